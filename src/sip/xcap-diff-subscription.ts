/**
 * The driver of the subscription machine: runs its effects against a {@link SipDialogPort},
 * with time only through the injected scheduler, and implements the DiffPort
 * contract of src/ports/diff-port.ts (graceful termination on `terminate$`, best-effort
 * un-SUBSCRIBE on unsubscribe).
 */
import { asyncScheduler, EMPTY, Observable, type SchedulerLike, Subscription, timeout } from 'rxjs';
import { serialDispatch } from '../actor/serial-dispatch.js';
import { xcapDiffSubscribeBody } from '../codecs/xcap-diff.js';
import type { BackoffPolicy, DiffEvent, DiffSettings } from '../ports/index.js';
import type { SipDialogPort, SipDialogPortFactory, SubscribeRequest } from './dialog-port.js';
import {
  boundedDelay,
  initialMachineState,
  type MachineContext,
  type MachineEffect,
  type MachineInput,
  subscriptionTransition,
  type TimerName,
  XCAP_DIFF_ACCEPT,
  XCAP_DIFF_EVENT,
} from './subscription-machine.js';

/** Tuning of {@link xcapDiffSubscription}; every field has a default. */
export interface XcapDiffSubscriptionOptions {
  readonly scheduler?: SchedulerLike;
  readonly random?: () => number;
  /** Backoff of resubscriptions (default 5 s doubling up to 5 min, 50 % jitter). */
  readonly backoff?: BackoffPolicy;
  /** Timer N in ms (RFC 6665 §4.1.2.4: 64·T1 = 32 s). */
  readonly notifyTimeout?: number;
  /** How long `terminate$` waits for the un-SUBSCRIBE to finish, ms (default 4 s, below the manager's 5 s). */
  readonly terminateTimeout?: number;
  /**
   * How long a subscription must stay active before earlier failures are forgotten, ms
   * (default 60 s): a server that terminates subscriptions sooner is resubscribed with backoff.
   */
  readonly stableAfter?: number;
}

/** The default resubscription backoff. */
export const DEFAULT_SUBSCRIBE_BACKOFF: BackoffPolicy = {
  initialDelay: 5_000,
  maxDelay: 300_000,
  factor: 2,
  jitter: 0.5,
};

/**
 * Watches the xcap-diff documents of `settings` through SIP ports made by `open`.
 *
 * @example
 * ```ts
 * xcapDiffSubscription(open, settings, { terminate$ }, { scheduler }).subscribe((e) => ...);
 * ```
 */
export function xcapDiffSubscription(
  open: SipDialogPortFactory<DiffSettings>,
  settings: DiffSettings,
  control: { readonly terminate$: Observable<unknown> },
  options: XcapDiffSubscriptionOptions = {},
): Observable<DiffEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const ctx: MachineContext = {
    xui: settings.xui,
    body: xcapDiffSubscribeBody(settings.documents),
    backoff: options.backoff ?? DEFAULT_SUBSCRIBE_BACKOFF,
    random: options.random ?? Math.random,
    notifyTimeout: options.notifyTimeout ?? 32_000,
    terminateTimeout: options.terminateTimeout ?? 4_000,
    stableAfter: options.stableAfter ?? 60_000,
  };
  return new Observable<DiffEvent>((subscriber) => {
    let state = initialMachineState(settings.subscribeInterval);
    const timers = new Map<TimerName, Subscription>();
    let port: SipDialogPort | undefined;
    let portSub: Subscription | undefined;
    let requests = new Subscription();
    let closed = false;

    // The event loop every machine shares (src/actor/serial-dispatch.ts): inputs are queued so
    // that an effect that answers synchronously (a fake port) cannot re-enter the transition,
    // and a failure never leaves the queue stuck.
    const feed = serialDispatch<MachineInput>(
      (input) => {
        const r = subscriptionTransition(state, input, ctx);
        state = r.state;
        for (const e of r.effects) run(e);
      },
      () => closed,
    );

    const disconnect = (): void => {
      requests.unsubscribe();
      requests = new Subscription();
      portSub?.unsubscribe();
      portSub = undefined;
      port = undefined;
    };

    const run = (e: MachineEffect): void => {
      switch (e.type) {
        case 'emit':
          subscriber.next(e.event);
          return;
        case 'timer':
          timers.get(e.name)?.unsubscribe();
          timers.set(
            e.name,
            // Bounded again here: a delay past 2^31−1 ms would fire at once.
            scheduler.schedule(() => {
              timers.delete(e.name);
              feed({ type: 'timer', name: e.name });
            }, boundedDelay(e.delay)),
          );
          return;
        case 'cancel':
          timers.get(e.name)?.unsubscribe();
          timers.delete(e.name);
          return;
        case 'connect': {
          disconnect();
          const sub = new Subscription();
          portSub = sub;
          // An adapter that throws instead of erroring its Observable is a failed connect too.
          let port$: ReturnType<typeof open>;
          try {
            port$ = open(settings);
          } catch (err) {
            feed({ type: 'connect-failed', reason: describe(err) });
            return;
          }
          sub.add(
            port$.subscribe({
              next: (p) => {
                port = p;
                sub.add(p.notify$.subscribe((n) => feed({ type: 'notify', ...n })));
                if (p.disconnected$ !== undefined) {
                  sub.add(
                    p.disconnected$.subscribe((reason) => feed({ type: 'disconnected', reason })),
                  );
                }
                feed({ type: 'connected', secure: p.secure === true });
              },
              error: (err: unknown) =>
                feed(
                  (err as { code?: unknown } | null)?.code === 'RXCAP_SIP_UNAVAILABLE'
                    ? { type: 'unavailable', reason: describe(err) }
                    : { type: 'connect-failed', reason: describe(err) },
                ),
            }),
          );
          return;
        }
        case 'send': {
          const p = port;
          if (p === undefined) {
            feed({ type: 'response', id: e.id, status: 503, reason: 'not connected' });
            return;
          }
          let response$: ReturnType<typeof p.subscribe>;
          try {
            response$ = p.subscribe(e.request);
          } catch (err) {
            feed({ type: 'response', id: e.id, status: 503, reason: describe(err) });
            return;
          }
          requests.add(
            response$.subscribe({
              next: (r) => feed({ type: 'response', id: e.id, ...r }),
              error: (err: unknown) =>
                feed({ type: 'response', id: e.id, status: 503, reason: describe(err) }),
            }),
          );
          return;
        }
        case 'complete':
          cleanup();
          subscriber.complete();
          return;
      }
    };

    const cleanup = (): void => {
      closed = true;
      for (const t of timers.values()) t.unsubscribe();
      timers.clear();
      terminateSub.unsubscribe();
      disconnect();
    };

    const terminateSub = control.terminate$.subscribe(() => feed({ type: 'terminate' }));
    feed({ type: 'start' });

    return () => {
      if (closed) return;
      // Unsubscribed without terminate$: un-SUBSCRIBE best-effort, then drop the user agent.
      const p = port;
      const ps = portSub;
      const live = state.dialog && p !== undefined;
      portSub = undefined;
      cleanup();
      if (live && ps !== undefined) {
        const request: SubscribeRequest = {
          kind: 'unsubscribe',
          event: XCAP_DIFF_EVENT,
          accept: XCAP_DIFF_ACCEPT,
          expires: 0,
          body: { contentType: 'application/resource-lists+xml', content: ctx.body },
        };
        p.subscribe(request)
          .pipe(timeout({ first: ctx.terminateTimeout, with: () => EMPTY, scheduler }))
          .subscribe({ error: () => ps.unsubscribe(), complete: () => ps.unsubscribe() });
      } else ps?.unsubscribe();
    };
  });
}

/** A message for a failure reason; never the error object itself (it may carry credentials). */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}
