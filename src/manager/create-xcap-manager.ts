/**
 * `createXcapManager()`: wires the ports, the sync pipelines and the store effect around the
 * manager's pure transition (./machine.ts), and puts the facade (./facade.ts) over it.
 */
import { asyncScheduler, map, type Observable, Subject } from 'rxjs';
import { runActor } from '../actor/run-actor.js';
import { isTransient, retryAfterMs } from '../client/errors.js';
import {
  clientFactory,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_PERIOD,
  defaultEngine,
  noDns,
} from '../manager-defaults.js';
import { memoryStorage } from '../store/memory-storage.js';
import { checkDocumentRoots } from '../streams/document-roots.js';
import { XcapSyncError } from '../streams/errors.js';
import type { MachineCommand } from '../streams/events.js';
import { PIPELINES } from '../streams/machine.js';
import { type PipelinePorts, unavailableDiffPort } from '../streams/ports.js';
import { learningServers, serverKnowledge } from '../streams/server-knowledge.js';
import { managerFacade } from './facade.js';
import { localViews } from './local-views.js';
import { initialManagerContext, managerTransition } from './machine.js';
import type { ManagerCommand, ManagerContext, ManagerEvent } from './machine-types.js';
import { outputs } from './outputs.js';
import { storeEffect, storeRetryEffect } from './store-effect.js';
import type { XcapManager, XcapManagerOptions } from './types.js';

/**
 * Creates an XCAP manager. Nothing happens until `load()` / `start()`. Throws
 * `XcapValidationError` when the account (or the first value of an account stream given
 * synchronously) is invalid.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({ account, storage: fileStorage('/var/lib/app/xcap') });
 * await manager.start();
 * ```
 */
export function createXcapManager(options: XcapManagerOptions): XcapManager {
  const scheduler = options.scheduler ?? asyncScheduler;
  const storage = options.storage ?? memoryStorage();
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const random = options.random ?? Math.random;
  const pollPeriod = options.pollPeriod ?? DEFAULT_POLL_PERIOD;
  const out = outputs({ pollPeriod });
  const input$ = new Subject<ManagerEvent>();
  // How each server applies element writes, learned for this manager's session.
  const servers = serverKnowledge(options.elementWrites ?? 'auto');
  const ports: PipelinePorts = {
    http: learningServers(options.http ?? clientFactory(options.client), servers),
    servers,
    dns: options.dns ?? noDns,
    diff: options.sip ?? unavailableDiffPort,
    engine: options.engine ?? defaultEngine,
    // Not an option: no injected engine may write over a document of another application.
    checkRoots: checkDocumentRoots,
    scheduler,
    random,
    backoff,
    isTransient,
    retryAfterMs: (e) => retryAfterMs(e),
    pollPeriod,
    trace: (t) => out.trace$.next(t),
    // The pipelines' own retries become events: status$ counts them and says when the next
    // attempt is due, and the first of a kind reaches error$ (./health.ts).
    retrying: (n) => input$.next({ type: 'retrying', ...n, at: scheduler.now() }),
  };
  // The sync pipelines see every command and pick theirs; their events are the sync machine's.
  // A sync's answers carry the scheduler's time, so that the pure transition knows when it synced.
  const pipelines = PIPELINES.map(
    (p) => (commands$: Observable<ManagerCommand>) =>
      p(commands$ as Observable<MachineCommand>, ports).pipe(
        map((e) =>
          e.type === 'fetched' || e.type === 'updated' ? { ...e, at: scheduler.now() } : e,
        ),
      ) as Observable<ManagerEvent>,
  );
  const store = {
    storage,
    owned: options.storage === undefined,
    parse: ports.engine.parse,
    serialize: ports.engine.serialize,
  };
  const actor$ = runActor<ManagerContext, ManagerEvent, ManagerCommand>({
    initial: initialManagerContext(),
    transition: managerTransition,
    effects: [
      ...pipelines,
      storeEffect({ ...store, backoff, random, scheduler }),
      storeRetryEffect({ backoff, random, scheduler }),
    ],
    input$,
    effectFailed: (e) => ({ type: 'pipelineFailed', error: new XcapSyncError('pipeline', e) }),
  });
  // The local views apply the journal with the engine and check the update pipeline uses.
  const views = localViews({
    engine: ports.engine,
    checkRoots: ports.checkRoots,
    reportError: (e) => out.error$.next(e),
  });
  return managerFacade({ actor$, input$, out, views, account: options.account });
}
