/**
 * The small SIP port the xcap-diff subscription core talks to: send a SUBSCRIBE, get its final
 * response, receive the NOTIFYs of the current subscription. The sip.js adapter
 * (./sipjs-dialog-port.ts) implements it; tests use fakes. Nothing here imports sip.js or a
 * `node:` module.
 */
import type { Observable } from 'rxjs';

/** One SUBSCRIBE to send (RFC 6665 §4.1.2). */
export interface SubscribeRequest {
  /**
   * `initial` opens a new dialog (fresh Call-ID and From tag, RFC 6665 §4.1.2.1) and forgets the
   * previous one; `refresh` and `unsubscribe` are sent inside the current dialog (§4.1.2.2,
   * §4.1.2.3).
   */
  readonly kind: 'initial' | 'refresh' | 'unsubscribe';
  /** Event type without parameters (sip.js matches NOTIFYs on the raw header). */
  readonly event: string;
  readonly accept: string;
  /** Seconds; 0 for `unsubscribe`. */
  readonly expires: number;
  /** Repeated on every SUBSCRIBE, refreshes included (RFC 5875 §4.4). */
  readonly body: { readonly contentType: string; readonly content: string };
}

/** The final response to a SUBSCRIBE, after any Digest challenge was answered. */
export interface SubscribeResponse {
  /** SIP status; 408 for a transaction timeout and 503 for a transport error (RFC 3261 §8.1.3.1). */
  readonly status: number;
  readonly reason?: string;
  /** Expires of a 2xx (RFC 6665 §4.1.2.1). */
  readonly expires?: number;
  /** Min-Expires of a 423 (RFC 6665 §4.1.2.1, RFC 3261 §20.23). */
  readonly minExpires?: number;
  /** Retry-After in seconds (RFC 3261 §20.33). */
  readonly retryAfter?: number;
}

/** A NOTIFY of the current subscription; the port has already answered it with 200. */
export interface NotifyRequest {
  /** Subscription-State value: `active`, `pending`, `terminated` (or an extension value). */
  readonly state: string;
  /** Subscription-State `reason` (RFC 6665 §4.1.3). */
  readonly reason?: string;
  /** Subscription-State `expires`, seconds. */
  readonly expires?: number;
  /** Subscription-State `retry-after`, SECONDS (sip.js 0.21 reads it as ms). */
  readonly retryAfter?: number;
  readonly contentType?: string;
  readonly body: string;
}

/**
 * A connected SIP user agent seen as one subscription slot.
 *
 * @example
 * ```ts
 * port.subscribe({ kind: 'initial', event: 'xcap-diff', accept: 'application/xcap-diff+xml',
 *   expires: 600, body }).subscribe((r) => r.status);
 * ```
 */
export interface SipDialogPort {
  /** Cold: sends on subscribe, emits the final response once and completes. */
  subscribe(request: SubscribeRequest): Observable<SubscribeResponse>;
  /** NOTIFYs of the current subscription (initial and in-dialog). */
  readonly notify$: Observable<NotifyRequest>;
  /**
   * Emits a reason when the connection is lost: NOTIFYs cannot arrive any more, so the
   * subscription must be considered failed at once rather than at the next refresh.
   */
  readonly disconnected$?: Observable<string>;
  /**
   * The connection to the first SIP hop is TLS (`wss`, `tls`). NOTIFYs over any other are
   * only hints: their xcap-diff patches are not applied unless the account opts in.
   */
  readonly secure?: boolean;
}

/**
 * Opens a SIP user agent for the settings: emits the port once connected; unsubscribing stops
 * the user agent. An error means the transport could not connect.
 *
 * @example
 * ```ts
 * const open: SipDialogPortFactory = (s) => sipJsDialogPort(s, { transport: 'ws' });
 * ```
 */
export type SipDialogPortFactory<S> = (settings: S) => Observable<SipDialogPort>;
