/**
 * The xcap-diff subscription over SIP (RFC 5875 over RFC 6665), implementing the manager's
 * {@link DiffPort}. Browser-safe: WebSocket through the environment's `WebSocket`; Node
 * services use `nodeSipDiffPort()` from ./node.ts (undici's WebSocket plus TCP/TLS).
 */
import { catchError, defer, type Observable, throwError } from 'rxjs';
import { Web } from 'sip.js';
import type { DiffPort, DiffSettings } from '../ports/index.js';
import type { SipDialogPort, SipDialogPortFactory } from './dialog-port.js';
import type { SipConnectionPool } from './sip-connection-pool.js';
import { type SipTarget, type SipTransportName, sipTargets } from './sip-targets.js';
import {
  type SipTransportConstructor,
  SipUnavailableError,
  sipJsDialogPort,
} from './sipjs-dialog-port.js';
import {
  type XcapDiffSubscriptionOptions,
  xcapDiffSubscription,
} from './xcap-diff-subscription.js';

export type {
  NotifyRequest,
  SipDialogPort,
  SipDialogPortFactory,
  SubscribeRequest,
  SubscribeResponse,
} from './dialog-port.js';
export {
  type SipConnectionPool,
  type SipConnectionPoolOptions,
  type SipConnectionPoolStats,
  sipConnectionPool,
} from './sip-connection-pool.js';
export { type SipTarget, type SipTransportName, sipTargets } from './sip-targets.js';
export {
  type SipJsPortOptions,
  type SipTransportConstructor,
  SipUnavailableError,
  sipJsDialogPort,
} from './sipjs-dialog-port.js';
export {
  initialMachineState,
  type MachineContext,
  type MachineEffect,
  type MachineInput,
  type MachineState,
  refreshDelay,
  subscriptionTransition,
  XCAP_DIFF_ACCEPT,
  XCAP_DIFF_EVENT,
} from './subscription-machine.js';
export {
  DEFAULT_SUBSCRIBE_BACKOFF,
  type XcapDiffSubscriptionOptions,
  xcapDiffSubscription,
} from './xcap-diff-subscription.js';

/**
 * Options of {@link sipDiffPort}.
 *
 * @example createXcapManager({ account, sip: sipDiffPort({ notifyTimeout: 32_000 } satisfies SipDiffPortOptions) });
 */
export interface SipDiffPortOptions extends XcapDiffSubscriptionOptions {
  /** sip.js transport classes by transport name; `tcp`/`tls` have none in browsers. */
  readonly transportConstructors?: Partial<Record<SipTransportName, SipTransportConstructor>>;
  /** Extra sip.js `transportOptions` (e.g. `{ tls: { ca } }` for the Node TLS transport). */
  readonly transportOptions?: Record<string, unknown>;
  /**
   * A WebSocket class for runtimes without a global one (Node 20: undici's `WebSocket`).
   * sip.js's WebSocket transport uses the global, so this one is installed as
   * `globalThis.WebSocket` when none exists (sip.js 0.21 reads the global).
   */
  readonly webSocket?: unknown;
  /**
   * Shared connections: every account whose diff port has the same pool sends over one
   * connection per server (up to the pool's per-connection limit) instead of its own.
   */
  readonly connections?: SipConnectionPool;
  /** Replaces how a SIP port is opened (tests, special deployments). */
  readonly open?: SipDialogPortFactory<DiffSettings>;
}

/**
 * The manager's diff port over SIP.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({ account, sip: sipDiffPort() }); // browser: WebSocket
 * ```
 */
export function sipDiffPort(options: SipDiffPortOptions = {}): DiffPort {
  const open = options.open ?? openSipJs(options);
  return { watch: (settings, control) => xcapDiffSubscription(open, settings, control, options) };
}

/**
 * Opens a sip.js user agent on the first target of {@link sipTargets} that connects.
 *
 * @example
 * ```ts
 * openSipJs({ transportConstructors: { tcp: TcpTransport } })(settings).subscribe((port) => ...);
 * ```
 */
export function openSipJs(options: SipDiffPortOptions = {}): SipDialogPortFactory<DiffSettings> {
  return (settings) =>
    defer(() => {
      if (
        options.webSocket !== undefined &&
        (globalThis as { WebSocket?: unknown }).WebSocket === undefined
      ) {
        (globalThis as { WebSocket?: unknown }).WebSocket = options.webSocket;
      }
      const hasWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket !== undefined;
      const usable = sipTargets(settings).filter((t) =>
        t.transport === 'ws' || t.transport === 'wss'
          ? hasWebSocket || options.transportConstructors?.[t.transport] !== undefined
          : options.transportConstructors?.[t.transport] !== undefined,
      );
      if (usable.length === 0) {
        return throwError(
          () => new SipUnavailableError('no usable SIP transport for these settings'),
        );
      }
      // Try each target in order; the last error is reported.
      return usable.reduceRight<Observable<SipDialogPort> | undefined>((fallback, target) => {
        const attempt = connect(settings, target, options);
        return fallback === undefined ? attempt : attempt.pipe(catchError(() => fallback));
      }, undefined)!;
    });
}

function connect(
  settings: DiffSettings,
  target: SipTarget,
  options: SipDiffPortOptions,
): Observable<SipDialogPort> {
  const own = options.transportConstructors?.[target.transport];
  const ctor =
    options.connections === undefined
      ? own
      : options.connections.transportFor(
          own ?? (Web.Transport as unknown as SipTransportConstructor),
          `${target.transport}|${target.server}`,
        );
  return sipJsDialogPort({
    aor: settings.aor,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    transport: target.transport,
    server: target.server,
    ...(ctor !== undefined ? { transportConstructor: ctor } : {}),
    ...(options.transportOptions !== undefined
      ? { transportOptions: options.transportOptions }
      : {}),
  });
}
