/**
 * The retry timer: after a non-transient failure (a document that does not parse, a server
 * error that is not retried in place) the machine asks to be woken after a growing delay — the
 * an update that fails for any other reason is retried periodically. A new schedule or a
 * `cancel` replaces the pending one.
 */
import { EMPTY, filter, map, type Observable, switchMap, timer } from 'rxjs';
import { backoffDelay } from '../operators/retry-backoff.js';
import type { MachineCommand, MachineEvent } from './events.js';
import type { PipelinePorts } from './ports.js';

/**
 * `(commands$, ports) => events$` for `scheduleRetry`: emits `retryTimer` after the backoff
 * delay of the failure number (capped by `ports.backoff.maxDelay`).
 *
 * @example retryTimerPipeline(commands$, ports).subscribe(dispatch)
 */
export function retryTimerPipeline(
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  return commands$.pipe(
    filter((c) => c.type === 'scheduleRetry' || c.type === 'cancel'),
    switchMap((c) => {
      if (c.type !== 'scheduleRetry') return EMPTY;
      const delay = backoffDelay(ports.backoff, c.attempt, ports.random);
      ports.retrying?.({ attempt: c.attempt, delay });
      return timer(delay, ports.scheduler).pipe(map((): MachineEvent => ({ type: 'retryTimer' })));
    }),
  );
}
