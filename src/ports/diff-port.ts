/**
 * The xcap-diff port (RFC 5875): what the manager needs of a SIP subscription to document
 * changes. src/sip implements it; `unavailableDiffPort` is the default without SIP (polling).
 */
import { Observable } from 'rxjs';
import type { ChangedDocument } from '../codecs/xcap-diff.js';

/**
 * What the diff port needs to SUBSCRIBE to `xcap-diff` (RFC 5875) for one account.
 *
 * @example diffSettingsOf(account, root, watchedDocumentUris(xui)).subscribeInterval // 600
 */
export interface DiffSettings {
  /** Account id / AOR, e.g. `sip:alice@example.com`. */
  readonly aor: string;
  readonly username?: string;
  readonly password?: string;
  /** The XCAP root the documents live under (the diff names documents below it). */
  readonly xcapRoot: string;
  /** The XUI whose documents are watched. */
  readonly xui: string;
  /** Requested Expires in seconds (default 600); a 423 Min-Expires may raise it. */
  readonly subscribeInterval: number;
  readonly outboundProxy?: string;
  readonly transports?: readonly ('ws' | 'wss' | 'tcp' | 'tls' | 'udp')[];
  /** XCAP URIs (relative to the root) of the documents to watch, e.g. `resource-lists/users/sip:a@b/index`. */
  readonly documents: readonly string[];
  /** When NOTIFY patches are applied (default `'secure'`): see {@link DiffPatchTrust}. */
  readonly patches?: DiffPatchTrust;
}

/**
 * When the patches of an xcap-diff NOTIFY (RFC 5874 §4.1) are applied instead of fetching the
 * whole document: `'secure'` only when the NOTIFY came over TLS to the first SIP hop (wss,
 * tls), `'always'` also over tcp/ws (an opt-in: a NOTIFY there could be forged), `'never'`.
 * An applied patch is still confirmed by a conditional GET before its result is used.
 *
 * @example const trust: DiffPatchTrust = 'secure';
 */
export type DiffPatchTrust = 'secure' | 'always' | 'never';

/**
 * State of the subscription as the port sees it.
 *
 * @example if (event.type === 'state' && event.state !== 'active') startPolling();
 */
export type DiffState = 'active' | 'pending' | 'unavailable' | 'failed' | 'terminated';

/**
 * One changed document named by a NOTIFY (RFC 5874 §4 `<document>`): the codec's
 * {@link ChangedDocument}, which the SIP side hands on as it decodes it (one type, so the two
 * cannot drift apart). `patchComplete`: the manager may apply `patch` to a cached document with
 * ETag `previousEtag` instead of fetching (RFC 5874 §4.1).
 *
 * @example const d: DiffDocument = { auid: 'resource-lists', filename: 'index', newEtag: 'e2', previousEtag: 'e1', patch: ops, patchComplete: true };
 */
export type DiffDocument = ChangedDocument;

/**
 * What the diff port reports.
 * - `state`: the subscription changed state. `active`: NOTIFYs will come, no polling needed.
 *   `pending`/`failed`/`unavailable`: the manager polls every 2 minutes by default; `failed`
 *   means "may work later" (the manager resubscribes with backoff), `unavailable` means "not
 *   supported or not configured" (polling only). `terminated` is the last event after a
 *   graceful termination.
 * - `changed`: a NOTIFY named these documents; only they are fetched.
 * - `resync`: events may have been missed (an unreadable full-state NOTIFY, a refresh after a
 *   gap): fetch every document.
 *
 * @example const e: DiffEvent = { type: 'changed', documents: [{ auid: 'resource-lists', newEtag: 'e2' }] };
 */
export type DiffEvent =
  | { readonly type: 'state'; readonly state: DiffState; readonly reason?: string }
  | {
      readonly type: 'changed';
      readonly documents: readonly DiffDocument[];
      /**
       * The NOTIFY came over a connection that is TLS to the first SIP hop (wss, tls): its
       * patches may be applied (see `AccountSettings.xcap.patches`).
       */
      readonly secure?: boolean;
      /**
       * The initial NOTIFY's full state (RFC 5875 §4.4.2): every document it names is at that
       * ETag; a document it does not name does not exist (fetched only when one is held).
       */
      readonly fullState?: boolean;
    }
  | { readonly type: 'resync' };

/**
 * The xcap-diff subscription (RFC 5875) behind `diff$`. Implemented over SIP by src/sip.
 *
 * Contract:
 * - `watch()` is cold: subscribing SUBSCRIBEs (Event: xcap-diff, Expires from
 *   `settings.subscribeInterval`, larger after 423), keeps the subscription refreshed and emits
 *   {@link DiffEvent}s. It should first emit `{ type: 'state', state: 'pending' }`, then
 *   `active` once the subscription is accepted.
 * - An initial or a refresh NOTIFY with full state may be reported as `resync`.
 * - Unsubscribing from the Observable tears the dialog down best-effort (fire and forget).
 * - When `control.terminate$` emits, the port terminates gracefully (SUBSCRIBE Expires: 0, waits
 *   for the final NOTIFY or a short timeout), emits `{ type: 'state', state: 'terminated' }` and
 *   completes. `manager.stop()` resolves only after that completion.
 * - A failure the port cannot recover from is reported either as an error notification or as
 *   `{ type: 'state', state: 'failed' }` followed by completion; the manager resubscribes with
 *   backoff. A server or configuration without xcap-diff is `unavailable` (then completion or
 *   silence): the manager polls every 2 minutes and does not resubscribe.
 * - Never put credentials into `reason` or errors.
 *
 * @example
 * ```ts
 * const sip: DiffPort = { watch: () => of({ type: 'state', state: 'unavailable' }) };
 * ```
 */
export interface DiffPort {
  watch(
    settings: DiffSettings,
    control: { readonly terminate$: Observable<unknown> },
  ): Observable<DiffEvent>;
}

/**
 * The default diff port while no SIP implementation is wired: always `unavailable`, which makes
 * the manager fall back to polling every 2 minutes.
 *
 * @example
 * ```ts
 * createXcapManager({ account, sip: unavailableDiffPort });
 * ```
 */
export const unavailableDiffPort: DiffPort = {
  watch: (_settings, control) =>
    new Observable<DiffEvent>((subscriber) => {
      subscriber.next({ type: 'state', state: 'unavailable', reason: 'no xcap-diff transport' });
      const s = control.terminate$.subscribe(() => {
        subscriber.next({ type: 'state', state: 'terminated' });
        subscriber.complete();
      });
      return () => s.unsubscribe();
    }),
};
