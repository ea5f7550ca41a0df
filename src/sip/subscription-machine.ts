/**
 * The xcap-diff subscription as a pure state machine (XState-like
 * `transition(state, input) -> { state, effects }`): every SIP rule of RFC 6665 and RFC 5875
 * that rxcap follows is decided here, and the driver (./xcap-diff-subscription.ts) only runs
 * the effects. Time enters as `timer` inputs; randomness through `context.random`.
 */
import { changedDocuments, parseXcapDiff } from '../codecs/xcap-diff.js';
import { backoffDelay } from '../operators/retry-backoff.js';
import type { DiffEvent, DiffState } from '../ports/index.js';
import type { NotifyRequest, SubscribeRequest, SubscribeResponse } from './dialog-port.js';
import {
  boundedDelay,
  boundedExpires,
  grantRefreshDelay,
  MAX_SUBSCRIBE_EXPIRES,
  refreshDelay,
  SHORT_GRANT_SECONDS,
} from './subscription-bounds.js';
import type {
  MachineContext,
  MachineEffect,
  MachineInput,
  MachineState,
  TimerName,
} from './subscription-state.js';

export {
  boundedDelay,
  boundedExpires,
  grantRefreshDelay,
  MAX_SUBSCRIBE_EXPIRES,
  refreshDelay,
  SHORT_GRANT_SECONDS,
  TIMER_LIMIT,
} from './subscription-bounds.js';
export {
  initialMachineState,
  type MachineContext,
  type MachineEffect,
  type MachineInput,
  type MachineState,
  type Phase,
  type TimerName,
} from './subscription-state.js';

/**
 * The SIP event package of xcap-diff (RFC 5875 §4).
 *
 * @example request.event === XCAP_DIFF_EVENT
 */
export const XCAP_DIFF_EVENT = 'xcap-diff';
/**
 * The Accept header of an xcap-diff SUBSCRIBE (RFC 5875 §4.3).
 *
 * @example request.accept === XCAP_DIFF_ACCEPT
 */
export const XCAP_DIFF_ACCEPT = 'application/xcap-diff+xml';
const RESOURCE_LISTS = 'application/resource-lists+xml';

/** Responses after which a refresh means "the subscription is gone" (RFC 6665 §4.1.2.2). */
const DIALOG_GONE = new Set([404, 405, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604]);
/** Responses that say the server has no xcap-diff at all: poll only, do not retry. */
const NOT_SUPPORTED = new Set([405, 489, 501]);

/**
 * The next state and the effects of `input` (RFC 6665 §4.1, RFC 5875 §4.4).
 *
 * @example
 * ```ts
 * const { state, effects } = subscriptionTransition(initialMachineState(600), { type: 'start' }, ctx);
 * ```
 */
export function subscriptionTransition(
  s: MachineState,
  input: MachineInput,
  ctx: MachineContext,
): { state: MachineState; effects: MachineEffect[] } {
  const fx: MachineEffect[] = [];
  if (s.phase === 'done') return { state: s, effects: fx };
  const report = (st: MachineState, state: DiffState, reason?: string): MachineState => {
    const key = `${state}:${reason ?? ''}`;
    if (st.reported === key) return st;
    fx.push({
      type: 'emit',
      event: reason === undefined ? { type: 'state', state } : { type: 'state', state, reason },
    });
    return { ...st, reported: key };
  };
  const send = (
    st: MachineState,
    kind: SubscribeRequest['kind'],
    expires = st.expires,
  ): MachineState => {
    const id = st.request + 1;
    fx.push({
      type: 'send',
      id,
      request: {
        kind,
        event: XCAP_DIFF_EVENT,
        accept: XCAP_DIFF_ACCEPT,
        expires,
        body: { contentType: RESOURCE_LISTS, content: ctx.body },
      },
    });
    if (kind === 'initial')
      fx.push({ type: 'timer', name: 'notify-wait', delay: ctx.notifyTimeout });
    const next = { ...st, request: id, requestKind: kind };
    return kind === 'initial'
      ? { ...next, phase: 'subscribing', dialog: false, fresh: true }
      : next;
  };
  /** Schedules the refresh for a grant of `granted` s, backing off repeated short grants. */
  const granted = (st: MachineState, seconds: number): MachineState => {
    fx.push({
      type: 'timer',
      name: 'refresh',
      delay: grantRefreshDelay(seconds, st.shortRefreshes, (n) =>
        backoffDelay(ctx.backoff, n, ctx.random),
      ),
    });
    return { ...st, shortGrant: boundedExpires(seconds) < SHORT_GRANT_SECONDS };
  };
  const cancelAll = () => {
    for (const name of ['refresh', 'retry', 'notify-wait', 'expiry', 'stable'] as const)
      fx.push({ type: 'cancel', name });
  };
  const fail = (
    st: MachineState,
    reason: string,
    opts: { delay?: number; transport?: boolean; failures?: number } = {},
  ): MachineState => {
    cancelAll();
    const failures = opts.failures ?? st.failures + 1;
    const delay = boundedDelay(opts.delay ?? backoffDelay(ctx.backoff, failures, ctx.random));
    fx.push({ type: 'timer', name: 'retry', delay });
    const next = report(st, 'failed', reason);
    return {
      ...next,
      phase: 'backoff',
      failures,
      dialog: false,
      requestKind: null,
      connected: opts.transport ? false : next.connected,
    };
  };
  const finish = (st: MachineState): MachineState => {
    cancelAll();
    fx.push({ type: 'cancel', name: 'terminate' });
    const next = report(st, 'terminated');
    fx.push({ type: 'complete' });
    return { ...next, phase: 'done' };
  };

  switch (input.type) {
    case 'start': {
      if (s.phase !== 'idle') return { state: s, effects: fx };
      fx.push({ type: 'connect' });
      return { state: { ...report(s, 'pending'), phase: 'connecting' }, effects: fx };
    }
    case 'connected':
      if (s.phase !== 'connecting') return { state: s, effects: fx };
      return {
        state: send({ ...s, connected: true, secure: input.secure === true }, 'initial'),
        effects: fx,
      };
    case 'connect-failed':
      if (s.phase !== 'connecting') return { state: s, effects: fx };
      return { state: fail(s, `transport: ${input.reason}`, { transport: true }), effects: fx };
    case 'disconnected':
      if (s.phase === 'terminating') return { state: finish(s), effects: fx };
      if (s.phase !== 'subscribing' && s.phase !== 'subscribed')
        return { state: { ...s, connected: false }, effects: fx };
      return { state: fail(s, `transport: ${input.reason}`, { transport: true }), effects: fx };
    case 'unavailable':
      if (s.phase !== 'connecting') return { state: s, effects: fx };
      cancelAll();
      return {
        state: { ...report(s, 'unavailable', input.reason), phase: 'unavailable' },
        effects: fx,
      };
    case 'terminate': {
      if (s.phase === 'terminating') return { state: s, effects: fx };
      if (s.dialog && s.connected && (s.phase === 'subscribed' || s.phase === 'subscribing')) {
        cancelAll();
        const next = send(s, 'unsubscribe', 0);
        fx.push({ type: 'timer', name: 'terminate', delay: ctx.terminateTimeout });
        return { state: { ...next, phase: 'terminating' }, effects: fx };
      }
      if (s.phase === 'subscribing' && s.connected && s.requestKind === null) {
        // The initial SUBSCRIBE was accepted, so the server holds a subscription (RFC 6665
        // §4.1.2.1), but no NOTIFY has created the dialog the un-SUBSCRIBE (§4.1.2.3) must be
        // sent in: wait for that NOTIFY, bounded by the terminate timer.
        cancelAll();
        fx.push({ type: 'timer', name: 'terminate', delay: ctx.terminateTimeout });
        return { state: { ...s, phase: 'terminating', unsubscribeOwed: true }, effects: fx };
      }
      return { state: finish(s), effects: fx };
    }
    case 'timer':
      return { state: onTimer(s, input.name), effects: fx };
    case 'response':
      if (input.id !== s.request) return { state: s, effects: fx };
      return { state: onResponse(s, input), effects: fx };
    case 'notify':
      return { state: onNotify(s, input), effects: fx };
  }

  function onTimer(st: MachineState, name: TimerName): MachineState {
    switch (name) {
      case 'terminate':
        return st.phase === 'terminating' ? finish(st) : st;
      case 'retry':
        if (st.phase !== 'backoff') return st;
        if (!st.connected) {
          fx.push({ type: 'connect' });
          return { ...st, phase: 'connecting' };
        }
        return send(st, 'initial');
      case 'refresh':
        if (st.phase !== 'subscribed' || !st.dialog) return st;
        // Counted when the refresh goes out, not per grant: a peer mixing a long 2xx Expires
        // with a short NOTIFY expires cannot reset the count.
        return send(
          { ...st, shortRefreshes: st.shortGrant ? st.shortRefreshes + 1 : 0 },
          'refresh',
        );
      case 'notify-wait':
        // RFC 6665 §4.1.2.4: no NOTIFY within Timer N, the subscription failed.
        return st.phase === 'subscribing' ? fail(st, 'no NOTIFY within Timer N') : st;
      case 'expiry':
        return st.phase === 'subscribed'
          ? fail(st, 'subscription expired before a refresh succeeded')
          : st;
      case 'stable':
        // Active long enough: the next termination is news, not a loop.
        return st.phase === 'subscribed' ? { ...st, failures: 0 } : st;
    }
  }

  function onResponse(st: MachineState, r: SubscribeResponse): MachineState {
    const kind = st.requestKind;
    const next = { ...st, requestKind: null };
    // RFC 6665 §4.1.2.3: after the un-SUBSCRIBE is accepted, a final NOTIFY follows; wait
    // for it (or the terminate timer). A rejected un-SUBSCRIBE ends the wait at once.
    if (st.phase === 'terminating') return r.status >= 300 ? finish(next) : next;
    if (r.status < 200) return st;
    if (r.status < 300) {
      // RFC 6665 §4.1.2.1: the 2xx Expires may shorten, never lengthen, the subscription.
      const seconds =
        r.expires !== undefined && r.expires >= 0 ? Math.min(r.expires, st.expires) : st.expires;
      const scheduled = granted({ ...next, intervalRounds: 0 }, seconds);
      fx.push({ type: 'cancel', name: 'expiry' });
      return kind === 'refresh' ? { ...scheduled, failures: 0 } : scheduled;
    }
    if (r.status === 423) {
      // RFC 6665 §4.1.2.1 / RFC 3261 §20.23: retry with at least Min-Expires, and keep it.
      if (r.minExpires !== undefined && r.minExpires > MAX_SUBSCRIBE_EXPIRES) {
        // Refused, not clamped: the server would answer 423 again. Wait the longest delay
        // (regression test "a 423 with a Min-Expires past a day is refused, not a storm").
        return fail(
          next,
          `423 Min-Expires ${r.minExpires} s is past the ${MAX_SUBSCRIBE_EXPIRES} s rxcap accepts`,
          { delay: ctx.backoff.maxDelay },
        );
      }
      if (r.minExpires !== undefined && r.minExpires > st.expires) {
        const raised = {
          ...next,
          expires: boundedExpires(r.minExpires),
          intervalRounds: st.intervalRounds + 1,
        };
        // The first 423 is answered at once. A server that raises Min-Expires again on every
        // retry (by 1 s, say) would otherwise get back-to-back SUBSCRIBEs up to the one-day
        // cap: from the second 423 in a row, wait the backoff (regression test "a server that
        // raises Min-Expires on every retry is backed off").
        if (raised.intervalRounds > 1)
          return fail(
            raised,
            `423 Interval Too Brief again: Min-Expires ${raised.expires} s (${raised.intervalRounds} in a row)`,
          );
        return send(raised, kind === 'refresh' ? 'refresh' : 'initial');
      }
      return fail(next, '423 Interval Too Brief without a usable Min-Expires');
    }
    const retryAfterMs = r.retryAfter !== undefined ? r.retryAfter * 1000 : undefined;
    const reason = `SUBSCRIBE answered ${r.status}${r.reason ? ` ${r.reason}` : ''}`;
    if (kind === 'refresh' && !DIALOG_GONE.has(r.status)) {
      // RFC 6665 §4.1.2.2: the subscription stays valid until it expires; retry the refresh.
      const delay = backoffDelay(ctx.backoff, st.failures + 1, ctx.random, retryAfterMs);
      fx.push({ type: 'timer', name: 'refresh', delay });
      // The last granted period had ~10 % left when the refresh was sent: expire then.
      if (st.failures === 0)
        fx.push({ type: 'timer', name: 'expiry', delay: Math.floor(refreshDelay(st.expires) / 9) });
      return { ...next, failures: st.failures + 1 };
    }
    if (kind === 'initial' && NOT_SUPPORTED.has(r.status)) {
      cancelAll();
      return { ...report(next, 'unavailable', reason), phase: 'unavailable' };
    }
    if (r.status === 401 || r.status === 407 || r.status === 403) {
      // Credentials were refused: do not hammer the server, wait the longest delay.
      return fail(next, reason, { delay: ctx.backoff.maxDelay });
    }
    const transport = r.status === 408 || r.status === 503;
    return fail(next, reason, {
      transport,
      ...(retryAfterMs !== undefined
        ? { delay: backoffDelay(ctx.backoff, st.failures + 1, ctx.random, retryAfterMs) }
        : {}),
    });
  }

  function onNotify(st: MachineState, n: NotifyRequest): MachineState {
    if (st.phase !== 'subscribing' && st.phase !== 'subscribed' && st.phase !== 'terminating')
      return st;
    let next: MachineState = st;
    fx.push({ type: 'cancel', name: 'notify-wait' });
    // RFC 5875 §4.4.2: the first NOTIFY of a subscription carries full state: refetch what
    // changed while we were not subscribed. Later NOTIFYs name the changed documents.
    // While terminating, the final NOTIFY's body is of no use to a stopping manager.
    if (st.phase !== 'terminating') {
      if (st.fresh && n.state !== 'terminated') {
        // RFC 5875 §4.4.2: the initial NOTIFY holds the full state, every document with its
        // ETag: only documents we do not hold at that ETag need a GET (a resubscription after
        // a termination is then not a full refetch). A body without it: fetch everything.
        const event = n.body.trim() === '' ? null : changedEvent(n.body, ctx.xui, st.secure);
        fx.push({
          type: 'emit',
          event:
            event === null || event.type !== 'changed'
              ? { type: 'resync' }
              : { ...event, fullState: true },
        });
      } else if (n.body.trim() !== '') {
        const event = changedEvent(n.body, ctx.xui, st.secure);
        if (event !== null) fx.push({ type: 'emit', event });
      }
    }
    next = { ...next, fresh: false };
    if (st.phase === 'terminating') {
      if (n.state === 'terminated') return finish(next);
      // The first NOTIFY created the dialog: send the owed un-SUBSCRIBE (RFC 6665 §4.1.2.3).
      return st.unsubscribeOwed
        ? send({ ...next, dialog: true, unsubscribeOwed: false }, 'unsubscribe', 0)
        : next;
    }
    if (n.state === 'active' || n.state === 'pending') {
      // The failure count is forgotten once the subscription has stayed active for a while
      // (the 'stable' timer), not on the first active NOTIFY: a server that accepts and then
      // terminates at once would otherwise be resubscribed at the first backoff step forever.
      if (n.state === 'active' && (st.fresh || st.reported !== 'active:'))
        fx.push({ type: 'timer', name: 'stable', delay: ctx.stableAfter });
      next = report({ ...next, dialog: true, phase: 'subscribed' }, n.state);
      // RFC 6665 §4.1.3: the expires parameter is authoritative.
      if (n.expires !== undefined && n.expires > 0)
        return granted(next, Math.min(n.expires, st.expires));
      return next;
    }
    if (n.state !== 'terminated') return next;
    // RFC 6665 §4.1.3 reasons.
    const reason = n.reason ?? 'terminated';
    next = { ...next, dialog: false };
    switch (n.reason) {
      case 'deactivated':
      case 'timeout':
        // RFC 6665 §4.1.3: retry at once with a new subscription; but only once per stable
        // subscription. A server that terminates every subscription at once is backed off
        // (regression test "a server that terminates every subscription at once with
        // reason=deactivated is backed off"): 51 SUBSCRIBEs in 3 s before.
        if (st.failures > 0) return fail(next, reason);
        // No state report: the new subscription's first NOTIFY holds the full state (RFC 5875
        // §4.4.2) and tells what changed in the gap; a "not active" report would make the
        // manager refetch every document on top of it. If the new SUBSCRIBE fails, `fail`
        // reports it.
        cancelAll();
        return send({ ...next, failures: 1 }, 'initial');
      case 'probation':
      case 'giveup': {
        // Retry after retry-after SECONDS if given (sip.js 0.21 waits that many ms),
        // bounded by the backoff's longest delay: a 10-year retry-after passes the timer limit
        // and would fire at once (regression test "a retry-after past the timer limit waits
        // the longest backoff delay, not 1 ms").
        const failures = st.failures + 1;
        const retryAfterMs = n.retryAfter !== undefined ? n.retryAfter * 1000 : undefined;
        return fail(next, reason, {
          failures,
          delay: backoffDelay(ctx.backoff, failures, ctx.random, retryAfterMs),
        });
      }
      default:
        // rejected, noresource, invariant and unknown reasons: report and retry with backoff.
        return fail(next, reason);
    }
  }
}

/** The `changed` event of a NOTIFY body, `resync` when it cannot be parsed, null when it names nothing of ours. */
function changedEvent(body: string, xui: string, secure: boolean): DiffEvent | null {
  try {
    const documents = changedDocuments(parseXcapDiff(body), xui);
    if (documents.length === 0) return null;
    return secure ? { type: 'changed', documents, secure } : { type: 'changed', documents };
  } catch {
    // RFC 5874 body we cannot read: fetch everything (the issue).
    return { type: 'resync' };
  }
}
