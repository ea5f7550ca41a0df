/**
 * The loop that folds pipeline events through {@link transition} and feeds the resulting
 * commands back to the pipelines (redux-observable's epics, XState's actor loop). Events are
 * queued, so a pipeline that answers synchronously never re-enters the transition.
 */
import { catchError, concat, merge, Observable, of, Subject } from 'rxjs';
import { capabilitiesPipeline } from './capabilities.js';
import { diffPipeline } from './diff.js';
import { XcapSyncError } from './errors.js';
import type { MachineCommand, MachineContext, MachineEvent } from './events.js';
import { fetchPipeline } from './fetch.js';
import type { PipelinePorts } from './ports.js';
import { retryTimerPipeline } from './retry-timer.js';
import { initialContext, transition } from './transition.js';
import { updatePipeline } from './update.js';

/**
 * One step of the machine: the event, the context after it and the commands it produced.
 *
 * @example runMachine(input$, ports).subscribe(({ event, context }) => log(event.type, context.state));
 */
export interface MachineStep {
  readonly event: MachineEvent;
  readonly context: MachineContext;
  readonly commands: readonly MachineCommand[];
}

/**
 * A pipeline: `(commands$, ports) => events$` (redux-observable style, state travels in commands).
 *
 * @example const echo: Pipeline = (commands$) => commands$.pipe(filter(isFetch), map(() => ({ type: 'pollTick' })));
 */
export type Pipeline = (
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
) => Observable<MachineEvent>;

/**
 * The manager's pipelines: capabilities$, fetch$, journal/update$ and diff$.
 *
 * @example runMachine(input$, ports, { pipelines: [...PIPELINES, myPipeline] });
 */
export const PIPELINES: readonly Pipeline[] = [
  capabilitiesPipeline,
  fetchPipeline,
  updatePipeline,
  diffPipeline,
  retryTimerPipeline,
];

/**
 * Runs the machine (cold: each subscription runs one). `input$` carries the facade's events
 * (started, stopRequested, journalAppended, settingsChanged, loaded).
 *
 * @example
 * ```ts
 * runMachine(input$, ports).subscribe((step) => console.log(step.context.state));
 * ```
 */
export function runMachine(
  input$: Observable<MachineEvent>,
  ports: PipelinePorts,
  options: { initial?: MachineContext; pipelines?: readonly Pipeline[] } = {},
): Observable<MachineStep> {
  const pipelines = options.pipelines ?? PIPELINES;
  return new Observable<MachineStep>((subscriber) => {
    let context = options.initial ?? initialContext();
    const commands$ = new Subject<MachineCommand>();
    const queue: MachineEvent[] = [];
    let draining = false;
    const dispatch = (event: MachineEvent): void => {
      queue.push(event);
      if (draining) return;
      draining = true;
      try {
        while (queue.length > 0) {
          const e = queue.shift()!;
          const r = transition(context, e);
          context = r.context;
          subscriber.next({ event: e, context, commands: r.commands });
          for (const c of r.commands) commands$.next(c);
        }
      } finally {
        draining = false;
      }
    };
    // A pipeline that fails (a bug) is reported and resubscribed: no error ends state$.
    const guarded = pipelines.map((p) => {
      const run = (): Observable<MachineEvent> =>
        p(commands$, ports).pipe(
          catchError((e: unknown) =>
            concat(
              of<MachineEvent>({ type: 'pipelineFailed', error: new XcapSyncError('pipeline', e) }),
              run(),
            ),
          ),
        );
      return run();
    });
    const sub = merge(...guarded).subscribe(dispatch);
    sub.add(input$.subscribe(dispatch));
    return () => {
      sub.unsubscribe();
      commands$.complete();
    };
  });
}
