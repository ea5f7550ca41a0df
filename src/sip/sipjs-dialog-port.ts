/**
 * The {@link SipDialogPort} over sip.js 0.21's `UserAgentCore`, bypassing its `Subscriber`,
 * which has known defects (listed in src/sip/README.md). Each workaround is marked `Workaround (sip.js N)`:
 *
 * 1. `Subscriber`/`SubscriptionDialog.refresh()` drop the body and the Accept header on refresh:
 *    refreshes are built here with `dialog.createOutgoingRequestMessage` and carry both.
 * 2. `Subscriber` turns 423 into a silent termination: the 423 and its Min-Expires are passed
 *    to the state machine, which resubscribes with the larger Expires.
 * 3. NOTIFYs are matched on the raw `Event` header of the SUBSCRIBE, so a SUBSCRIBE with Event
 *    parameters never matches (489): the SUBSCRIBE carries the bare event type only.
 * 4. `ReSubscribeUserAgentClient` answers an in-dialog challenge without incrementing the
 *    dialog's CSeq, so the next in-dialog request reuses a CSeq: {@link InDialogClient} passes
 *    the dialog to the authentication guard.
 * 5. `Subscriber` reads `retry-after` as milliseconds: the port reports it in seconds and the
 *    state machine waits that many seconds.
 *
 * Browser-safe: no `node:` import. Node needs a WebSocket (undici's) or the TCP transport of
 * ./tcp-transport.ts; see ./README.md.
 */
import { Observable, Subject } from 'rxjs';
import type { Transport as SipTransport } from 'sip.js';
import { Core, UserAgent } from 'sip.js';
import { XcapError } from '../errors.js';
import type {
  NotifyRequest,
  SipDialogPort,
  SubscribeRequest,
  SubscribeResponse,
} from './dialog-port.js';

/** No usable SIP transport for the settings: the manager falls back to polling only. */
export class SipUnavailableError extends XcapError {
  constructor(message: string) {
    super('RXCAP_SIP_UNAVAILABLE', message);
  }
}

/** A sip.js `transportConstructor` (sip.js `UserAgentOptions.transportConstructor`). */
export type SipTransportConstructor = new (logger: never, options?: never) => SipTransport;

/** Everything one sip.js user agent needs. */
export interface SipJsPortOptions {
  /** AOR, e.g. `sip:alice@example.com`; also the Request-URI (own address, RFC 5875 §4.4). */
  readonly aor: string;
  readonly username?: string;
  readonly password?: string;
  /** `ws`/`wss` (sip.js's WebTransport) or `tcp`/`tls` (needs `transportConstructor`). */
  readonly transport: 'ws' | 'wss' | 'tcp' | 'tls';
  /** `ws(s)://host:port/path` for WebSocket, `host:port` for TCP/TLS. */
  readonly server: string;
  /** Overrides the transport class (the Node TCP/TLS transport; fakes in tests). */
  readonly transportConstructor?: SipTransportConstructor;
  /** Extra options handed to the transport constructor. */
  readonly transportOptions?: Record<string, unknown>;
  /**
   * Contact for the SUBSCRIBE. Default: sip.js's `*.invalid` contact with `transport=<t>`;
   * a TCP transport exposing `localContactHost` (host:port of its socket) is used instead, so
   * that the server can send NOTIFYs on the same connection.
   */
  readonly contact?: string;
}

/**
 * Connects a sip.js user agent and emits it as a {@link SipDialogPort}; unsubscribing stops it.
 * Errors: the transport did not connect.
 *
 * @example
 * ```ts
 * sipJsDialogPort({ aor: 'sip:a@example.com', username: 'a', password: 's',
 *                   transport: 'ws', server: 'wss://sip.example.com' }).subscribe((port) => ...);
 * ```
 */
export function sipJsDialogPort(options: SipJsPortOptions): Observable<SipDialogPort> {
  return new Observable<SipDialogPort>((subscriber) => {
    const uri = UserAgent.makeURI(options.aor);
    if (uri === undefined) {
      subscriber.error(new SipUnavailableError('the account id is not a SIP URI'));
      return;
    }
    const ws = options.transport === 'ws' || options.transport === 'wss';
    if (!ws && options.transportConstructor === undefined) {
      subscriber.error(new SipUnavailableError(`no ${options.transport} transport in this build`));
      return;
    }
    let ua: UserAgent;
    try {
      ua = new UserAgent({
        uri,
        ...(options.username !== undefined ? { authorizationUsername: options.username } : {}),
        ...(options.password !== undefined ? { authorizationPassword: options.password } : {}),
        ...(options.transportConstructor !== undefined
          ? { transportConstructor: options.transportConstructor as never }
          : {}),
        transportOptions: { server: options.server, ...(options.transportOptions ?? {}) },
        contactParams: { transport: options.transport },
        // rport: replies over TCP/WS must come back on our connection (RFC 3581).
        forceRport: true,
        // sip.js logs whole messages, Authorization headers included: keep it silent.
        logBuiltinEnabled: false,
        logLevel: 'error',
        logConfiguration: false,
        userAgentString: 'rxcap',
        // Workaround: a UserAgent with gracefulShutdown would un-SUBSCRIBE through its own
        // (defective) subscriber list; we terminate ourselves.
        gracefulShutdown: false,
      });
    } catch (e) {
      subscriber.error(new SipUnavailableError(`cannot set up SIP: ${(e as Error).message}`));
      return;
    }
    const port = new SipJsDialogPort(ua, options);
    let stopped = false;
    ua.start().then(
      () => {
        if (!stopped) subscriber.next(port);
      },
      (e: unknown) => {
        if (!stopped) subscriber.error(new Error(`SIP transport did not connect: ${message(e)}`));
      },
    );
    ua.transport.onDisconnect = (error?: Error) => port.disconnected(error);
    return () => {
      stopped = true;
      port.dispose();
      ua.stop().catch(() => undefined);
    };
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

type Dialog = Core.SubscriptionDialog;

/** The methods sip.js's core answers (its AllowedMethods, which it does not export). */
const ALLOW =
  'ACK, BYE, CANCEL, INFO, INVITE, MESSAGE, NOTIFY, OPTIONS, PRACK, REFER, REGISTER, SUBSCRIBE';

/**
 * In-dialog non-INVITE client whose Digest retry advances the dialog's CSeq.
 * Workaround (sip.js 4): `UserAgentClient.receiveResponse` calls `authenticationGuard`
 * without the dialog, so the retried request takes CSeq n+1 while the dialog stays at n.
 */
class InDialogClient extends Core.UserAgentClient {
  constructor(
    core: Core.UserAgentCore,
    message: Core.OutgoingRequestMessage,
    delegate: Core.OutgoingRequestDelegate,
    private readonly dialog: Dialog,
  ) {
    super(Core.NonInviteClientTransaction, core, message, delegate);
  }

  protected override authenticationGuard(
    message: Core.IncomingResponseMessage,
    dialog?: Core.Dialog,
  ): boolean {
    return super.authenticationGuard(message, dialog ?? this.dialog);
  }
}

export class SipJsDialogPort implements SipDialogPort {
  readonly notify$ = new Subject<NotifyRequest>();
  readonly disconnected$ = new Subject<string>();
  private dialog: Dialog | undefined;
  private initial: Core.OutgoingSubscribeRequest | undefined;
  private readonly pending = new Set<(r: SubscribeResponse) => void>();

  /** TLS to the first hop: `tls`, or a WebSocket to a `wss://` URL. */
  readonly secure: boolean;

  constructor(
    private readonly ua: UserAgent,
    private readonly options: SipJsPortOptions,
  ) {
    this.secure = options.transport === 'tls' || /^wss:\/\//i.test(options.server);
  }

  subscribe(request: SubscribeRequest): Observable<SubscribeResponse> {
    return new Observable<SubscribeResponse>((subscriber) => {
      const done = (r: SubscribeResponse) => {
        this.pending.delete(done);
        subscriber.next(r);
        subscriber.complete();
      };
      this.pending.add(done);
      try {
        if (request.kind === 'initial') this.sendInitial(request, done);
        else this.sendInDialog(request, done);
      } catch (e) {
        done({ status: 503, reason: message(e) });
      }
      return () => this.pending.delete(done);
    });
  }

  /** The transport went down: every outstanding request fails like a transport error. */
  disconnected(error?: Error): void {
    const reason = error?.message ?? 'SIP connection closed';
    for (const done of [...this.pending]) done({ status: 503, reason });
    this.disconnected$.next(reason);
  }

  dispose(): void {
    this.dropDialog();
    this.notify$.complete();
    this.disconnected$.complete();
  }

  private headers(request: SubscribeRequest): string[] {
    const contact = this.options.contact ?? this.contactFromTransport();
    return [
      // Workaround (sip.js 3): the bare event type, so that NOTIFYs match the subscription.
      `Event: ${request.event}`,
      // Workaround (sip.js 1): Accept on every SUBSCRIBE, refreshes included (RFC 5875 §4.4).
      `Accept: ${request.accept}`,
      `Expires: ${request.expires}`,
      `Contact: ${contact}`,
      `Allow: ${ALLOW}`,
    ];
  }

  private contactFromTransport(): string {
    const host = (this.ua.transport as { localContactHost?: string }).localContactHost;
    if (host === undefined) return this.ua.contact.toString();
    const user = this.ua.contact.uri.user ?? 'rxcap';
    return `<sip:${user}@${host};transport=${this.options.transport}>`;
  }

  private body(request: SubscribeRequest): Core.Body {
    return {
      contentDisposition: 'render',
      contentType: request.body.contentType,
      content: request.body.content,
    };
  }

  private dropDialog(): void {
    this.initial?.waitNotifyStop();
    this.initial = undefined;
    if (this.dialog !== undefined) {
      this.dialog.delegate = undefined;
      this.dialog.dispose();
      this.dialog = undefined;
    }
  }

  private sendInitial(request: SubscribeRequest, done: (r: SubscribeResponse) => void): void {
    // RFC 6665 §4.1.2.1: a new subscription has a fresh Call-ID and From tag; the old dialog
    // (if any) is forgotten, and its NOTIFYs get 481.
    this.dropDialog();
    const core = this.ua.userAgentCore;
    const target = this.ua.configuration.uri;
    const message = core.makeOutgoingRequestMessage(
      Core.C.SUBSCRIBE,
      target,
      target,
      target,
      {},
      this.headers(request),
      this.body(request),
    );
    // Workaround (sip.js 2): `userAgentCore.subscribe` instead of `Subscriber`, so that every
    // final response, 423 included, reaches us.
    const uac = core.subscribe(message, {
      onAccept: (r) => done(response(r.message)),
      onRedirect: (r) => done(response(r.message)),
      onReject: (r) => done(response(r.message)),
      onNotify: ({ request: uas, subscription }) => {
        if (subscription instanceof Core.SubscriptionDialog) this.adopt(subscription);
        this.deliver(uas);
      },
      // Timer N of sip.js: the state machine runs its own (virtualisable) Timer N.
      onNotifyTimeout: () => undefined,
    });
    this.initial = uac;
  }

  private adopt(dialog: Dialog): void {
    this.dialog = dialog;
    dialog.delegate = {
      onNotify: (uas) => this.deliver(uas),
      onTerminated: () => {
        if (this.dialog === dialog) this.dialog = undefined;
      },
    };
  }

  private sendInDialog(request: SubscribeRequest, done: (r: SubscribeResponse) => void): void {
    const dialog = this.dialog;
    if (dialog === undefined) {
      done({ status: 481, reason: 'no subscription dialog' });
      return;
    }
    // Workaround (sip.js 1): build the refresh ourselves with the body and Accept header.
    const message = dialog.createOutgoingRequestMessage(Core.C.SUBSCRIBE, {
      extraHeaders: this.headers(request),
      body: this.body(request),
    });
    new InDialogClient(
      this.ua.userAgentCore,
      message,
      {
        onAccept: (r) => done(response(r.message)),
        onRedirect: (r) => done(response(r.message)),
        onReject: (r) => done(response(r.message)),
      },
      dialog,
    );
  }

  private deliver(uas: Core.IncomingRequestWithSubscription['request']): void {
    const m = uas.message;
    uas.accept();
    const ss = m.parseHeader('Subscription-State') as
      | { state?: string; reason?: string; expires?: number; params?: Record<string, unknown> }
      | undefined;
    if (ss?.state === undefined) return;
    const retryAfter = numberOf(ss.params?.['retry-after']);
    this.notify$.next({
      state: ss.state,
      ...(ss.reason !== undefined ? { reason: ss.reason } : {}),
      ...(ss.expires !== undefined ? { expires: Number(ss.expires) } : {}),
      // Workaround (sip.js 5): retry-after is in seconds (RFC 6665 §4.1.3).
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(m.getHeader('Content-Type') !== undefined
        ? { contentType: m.getHeader('Content-Type') as string }
        : {}),
      body: m.body ?? '',
    });
  }
}

function numberOf(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function response(m: Core.IncomingResponseMessage): SubscribeResponse {
  const expires = numberOf(m.getHeader('Expires'));
  const minExpires = numberOf(m.getHeader('Min-Expires'));
  const retryAfter = numberOf(m.getHeader('Retry-After')?.split(/[\s;(]/)[0]);
  return {
    status: m.statusCode ?? 500,
    ...(m.reasonPhrase ? { reason: m.reasonPhrase } : {}),
    ...(expires !== undefined ? { expires } : {}),
    ...(minExpires !== undefined ? { minExpires } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  };
}
