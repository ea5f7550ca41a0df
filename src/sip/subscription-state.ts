/**
 * The data of the xcap-diff subscription machine (./subscription-machine.ts): what goes in,
 * what comes out, the state and the fixed context. Plain data only, so that the driver, the
 * tests and a future manager loop can hold and compare it.
 */
import type { BackoffPolicy, DiffEvent } from '../ports/index.js';
import type { NotifyRequest, SubscribeRequest, SubscribeResponse } from './dialog-port.js';
import { boundedExpires } from './subscription-bounds.js';

/** The timers the machine uses. */
export type TimerName = 'refresh' | 'retry' | 'notify-wait' | 'expiry' | 'terminate' | 'stable';

/** What happens to the machine. */
export type MachineInput =
  | { readonly type: 'start' }
  /** `secure`: the connection to the first hop is TLS (wss, tls); see {@link SipDialogPort}. */
  | { readonly type: 'connected'; readonly secure?: boolean }
  | { readonly type: 'connect-failed'; readonly reason: string }
  /** The connection of the current port was lost. */
  | { readonly type: 'disconnected'; readonly reason: string }
  /** No SIP transport can be used for these settings: poll only (the DiffPort contract). */
  | { readonly type: 'unavailable'; readonly reason: string }
  | ({ readonly type: 'response'; readonly id: number } & SubscribeResponse)
  | ({ readonly type: 'notify' } & NotifyRequest)
  | { readonly type: 'timer'; readonly name: TimerName }
  | { readonly type: 'terminate' };

/** What the driver must do. */
export type MachineEffect =
  | { readonly type: 'emit'; readonly event: DiffEvent }
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly id: number; readonly request: SubscribeRequest }
  | { readonly type: 'timer'; readonly name: TimerName; readonly delay: number }
  | { readonly type: 'cancel'; readonly name: TimerName }
  | { readonly type: 'complete' };

export type Phase =
  | 'idle'
  | 'connecting'
  | 'subscribing'
  | 'subscribed'
  | 'backoff'
  | 'unavailable'
  | 'terminating'
  | 'done';

/** The machine's state: plain data. */
export interface MachineState {
  readonly phase: Phase;
  /** Requested Expires in seconds (subscribe interval, raised by 423 Min-Expires). */
  readonly expires: number;
  /** Consecutive failures, for the backoff. */
  readonly failures: number;
  /** A NOTIFY created the dialog of the current subscription (in-dialog requests possible). */
  readonly dialog: boolean;
  /** No NOTIFY yet in the current dialog: the next one is the initial NOTIFY. */
  readonly fresh: boolean;
  /** The user agent is connected; a transport failure clears it. */
  readonly connected: boolean;
  /** Id of the outstanding SUBSCRIBE; responses to older ones are ignored. */
  readonly request: number;
  readonly requestKind: SubscribeRequest['kind'] | null;
  /** Last state emitted, to emit changes only. */
  readonly reported: string | null;
  /**
   * Terminating after the initial 2xx but before the first NOTIFY: the un-SUBSCRIBE is sent
   * when that NOTIFY creates the dialog (sip.js creates it on the NOTIFY, not on the 2xx).
   */
  readonly unsubscribeOwed: boolean;
  /** The current connection is TLS to the first hop (wss, tls): reported with each change. */
  readonly secure: boolean;
  /** The last grant (2xx Expires or NOTIFY expires) was shorter than `SHORT_GRANT_SECONDS`. */
  readonly shortGrant: boolean;
  /** Refreshes sent in a row on short grants: the refresh backoff grows with it. */
  readonly shortRefreshes: number;
  /** 423s in a row answered with a raised Min-Expires: only the first is resent at once. */
  readonly intervalRounds: number;
}

/** Fixed facts the machine decides with. */
export interface MachineContext {
  readonly xui: string;
  readonly body: string;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  /** Timer N, 64·T1 = 32 s (RFC 6665 §4.1.2.4). */
  readonly notifyTimeout: number;
  /** How long a graceful termination waits for the final response or NOTIFY. */
  readonly terminateTimeout: number;
  /**
   * How long a subscription must stay active before its failure count is forgotten (ms). A
   * server that terminates every subscription sooner is backed off (regression test "a server
   * that terminates every subscription at once with reason=deactivated is backed off").
   */
  readonly stableAfter: number;
}

/**
 * The machine before `start`.
 *
 * @example
 * ```ts
 * let s = initialMachineState(600);
 * ```
 */
export function initialMachineState(expires: number): MachineState {
  return {
    phase: 'idle',
    expires: boundedExpires(expires),
    failures: 0,
    dialog: false,
    fresh: true,
    connected: false,
    request: 0,
    requestKind: null,
    reported: null,
    unsubscribeOwed: false,
    secure: false,
    shortGrant: false,
    shortRefreshes: 0,
    intervalRounds: 0,
  };
}
