/**
 * The sync machine: its pipelines run by the actor loop (./actor.ts) around {@link transition}.
 */
import type { Observable } from 'rxjs';
import { runActor } from '../actor/run-actor.js';
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
  return runActor<MachineContext, MachineEvent, MachineCommand>({
    initial: options.initial ?? initialContext(),
    transition,
    effects: pipelines.map((p) => (commands$: Observable<MachineCommand>) => p(commands$, ports)),
    input$,
    // A pipeline that fails (a bug) is reported and resubscribed: no error ends state$.
    effectFailed: (e) => ({ type: 'pipelineFailed', error: new XcapSyncError('pipeline', e) }),
  });
}
