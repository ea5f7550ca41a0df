/**
 * The store effect: runs the actor's store commands (load, cache and journal writes, release)
 * one after another through the storage port, and answers each with an event; plus the store
 * retry timer that wakes the actor to write a failed journal again. Promises live here, at the
 * edge, never inside the transition.
 */
import {
  concatMap,
  defer,
  EMPTY,
  filter,
  map,
  type Observable,
  type SchedulerLike,
  switchMap,
  timer,
} from 'rxjs';
import type { XmlElement } from '../codecs/xml/tree.js';
import { applyTreeChanges, diffTrees, type TreeChange } from '../codecs/xml/tree-diff.js';
import { backoffDelay } from '../operators/retry-backoff.js';
import { documentChangeLog } from '../store/document-change-log.js';
import { journalStore } from '../store/journal-store.js';
import type { StoragePort } from '../store/storage-port.js';
import { toXcapError } from '../streams/errors.js';
import type { BackoffPolicy, OperationData } from '../streams/ports.js';
import { loadAccountStore } from './load-store.js';
import type { ManagerCommand, ManagerEvent } from './machine-types.js';
import { cacheForm } from './store-form.js';

/**
 * What the store effect needs.
 *
 * @example storeEffect({ storage, owned: true, parse: parseXml, backoff, random, scheduler })
 */
export interface StoreDeps {
  readonly storage: StoragePort;
  /** The manager made the storage itself: releasing it closes it. */
  readonly owned: boolean;
  readonly parse: (content: string) => XmlElement;
  /** Writes a tree as text (the cache rebuilds a document from its base and changes). */
  readonly serialize: (root: XmlElement) => string;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly scheduler: SchedulerLike;
}

type StoreCommand = Extract<
  ManagerCommand,
  { type: 'loadStore' | 'persistCache' | 'persistJournal' | 'appendJournal' | 'releaseStore' }
>;
const STORE_COMMANDS: ReadonlySet<string> = new Set([
  'loadStore',
  'persistCache',
  'persistJournal',
  'appendJournal',
  'releaseStore',
]);

/**
 * `(commands$) => events$` of the store: serial, in command order (a journal saved after a cache
 * write never overtakes it), each answered by its event.
 *
 * @example runActor({ ..., effects: [storeEffect(deps), storeRetryEffect(deps)] })
 */
export function storeEffect(deps: StoreDeps) {
  return (commands$: Observable<ManagerCommand>): Observable<ManagerEvent> =>
    defer(() => {
      const caches = cachesOf(deps);
      return commands$.pipe(
        filter((c): c is StoreCommand => STORE_COMMANDS.has(c.type)),
        concatMap((c) => defer(() => run(deps, caches, c))),
      );
    });
}

type Caches = (account: string) => ReturnType<typeof documentChangeLog<XmlElement>>;

/**
 * One incremental document cache per account, kept while the manager runs: it remembers what it
 * stored, so that saving after an edit writes the edit's tree changes, not the documents.
 */
function cachesOf(deps: StoreDeps): Caches {
  const caches = new Map<string, ReturnType<typeof documentChangeLog<XmlElement>>>();
  const trees = {
    parse: deps.parse,
    serialize: deps.serialize,
    diff: diffTrees,
    apply: (root: XmlElement, changes: readonly unknown[]) =>
      applyTreeChanges(root, changes as TreeChange[]),
  };
  return (account) => {
    let cache = caches.get(account);
    if (cache === undefined) {
      cache = documentChangeLog(deps.storage, account, trees);
      caches.set(account, cache);
    }
    return cache;
  };
}

async function run(deps: StoreDeps, caches: Caches, c: StoreCommand): Promise<ManagerEvent> {
  const { storage } = deps;
  switch (c.type) {
    case 'loadStore':
      try {
        const loaded = await loadAccountStore(storage, c.account, c.id, deps.parse, caches);
        return { type: 'storeLoaded', account: c.account, ...loaded };
      } catch (e) {
        return { type: 'storeLoadFailed', account: c.account, error: toXcapError(e, 'storage') };
      }
    case 'persistCache':
      try {
        await caches(c.account).save(cacheForm(c.documents));
        return { type: 'cacheSaved' };
      } catch (e) {
        return { type: 'cacheSaveFailed', error: toXcapError(e, 'storage') };
      }
    case 'persistJournal':
      try {
        const records = c.journal.map((e) => ({ id: e.id, operation: e.operation }));
        await journalStore<OperationData>(storage, c.account).save(records);
        return { type: 'journalSaved', seq: c.seq };
      } catch (e) {
        return { type: 'journalSaveFailed', seq: c.seq, error: toXcapError(e, 'storage') };
      }
    case 'appendJournal':
      try {
        // Read, append what is not there yet, write: the account is not loaded any more.
        const journal = journalStore<OperationData>(storage, c.account);
        const stored = await journal.load();
        const ids = new Set(stored.map((r) => r.id));
        const added = c.entries.filter((e) => !ids.has(e.id));
        await journal.save([
          ...stored.map((r) => ({ id: r.id, operation: r.operation })),
          ...added.map((e) => ({ id: e.id, operation: e.operation })),
        ]);
        return { type: 'journalSaved', seq: c.seq };
      } catch (e) {
        return { type: 'journalSaveFailed', seq: c.seq, error: toXcapError(e, 'storage') };
      }
    case 'releaseStore':
      // A store passed in stays open: it is the application's.
      if (deps.owned) await storage.close().catch(() => undefined);
      return { type: 'storeReleased' };
  }
}

/**
 * `(commands$) => events$` of the store retry: `storeRetryTimer` after the backoff delay of the
 * failed write number `attempt`; a release cancels it.
 *
 * @example runActor({ ..., effects: [storeRetryEffect(deps)] })
 */
export function storeRetryEffect(deps: Pick<StoreDeps, 'backoff' | 'random' | 'scheduler'>) {
  return (commands$: Observable<ManagerCommand>): Observable<ManagerEvent> =>
    commands$.pipe(
      filter((c) => c.type === 'scheduleStoreRetry' || c.type === 'releaseStore'),
      switchMap((c) =>
        c.type === 'scheduleStoreRetry'
          ? timer(backoffDelay(deps.backoff, c.attempt, deps.random), deps.scheduler).pipe(
              map((): ManagerEvent => ({ type: 'storeRetryTimer' })),
            )
          : EMPTY,
      ),
    );
}
