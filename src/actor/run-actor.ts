/**
 * The event loop of a pure state machine (XState's actor, redux-observable's epics): events are
 * folded through `transition`, each step is emitted, and its commands are fed to the effects,
 * whose events come back in. Events are queued, so an effect or a step observer that answers
 * synchronously never re-enters the transition (./serial-dispatch.ts). Used by the sync machine
 * and the manager.
 */
import { catchError, concat, merge, Observable, of, Subject } from 'rxjs';
import { serialDispatch } from './serial-dispatch.js';

/**
 * One step: the event, the context after it and the commands it produced.
 *
 * @example actor.subscribe(({ event, context }) => log(event.type, context));
 */
export interface ActorStep<C, E, Cmd> {
  readonly event: E;
  readonly context: C;
  readonly commands: readonly Cmd[];
}

/**
 * An effect: `(commands$) => events$`.
 *
 * @example const echo: Effect<Cmd, E> = (commands$) => commands$.pipe(filter(isPing), map(() => pong));
 */
export type Effect<Cmd, E> = (commands$: Observable<Cmd>) => Observable<E>;

/**
 * Options of {@link runActor}.
 *
 * @example runActor({ initial, transition, effects: [], input$, effectFailed: (e) => ({ type: 'failed', e }) })
 */
export interface ActorOptions<C, E, Cmd> {
  readonly initial: C;
  readonly transition: (context: C, event: E) => { context: C; commands: readonly Cmd[] };
  readonly effects: readonly Effect<Cmd, E>[];
  /** Events from outside (the facade). */
  readonly input$: Observable<E>;
  /** The event that reports an effect that failed (a bug); the effect is resubscribed. */
  readonly effectFailed: (error: unknown) => E;
}

/**
 * Runs the machine (cold: each subscription runs one). No error ends the steps: a failing effect
 * is reported with `effectFailed` and resubscribed.
 *
 * @example runActor({ initial, transition, effects, input$, effectFailed }).subscribe((s) => render(s.context))
 */
export function runActor<C, E, Cmd>(
  options: ActorOptions<C, E, Cmd>,
): Observable<ActorStep<C, E, Cmd>> {
  return new Observable<ActorStep<C, E, Cmd>>((subscriber) => {
    let context = options.initial;
    const commands$ = new Subject<Cmd>();
    const dispatch = serialDispatch<E>(
      (e) => {
        const r = options.transition(context, e);
        context = r.context;
        subscriber.next({ event: e, context, commands: r.commands });
        for (const c of r.commands) commands$.next(c);
      },
      () => subscriber.closed,
    );
    const guarded = options.effects.map((effect) => {
      const run = (): Observable<E> =>
        effect(commands$).pipe(
          catchError((e: unknown) => concat(of(options.effectFailed(e)), run())),
        );
      return run();
    });
    const sub = merge(...guarded).subscribe(dispatch);
    sub.add(options.input$.subscribe(dispatch));
    return () => {
      sub.unsubscribe();
      commands$.complete();
    };
  });
}
