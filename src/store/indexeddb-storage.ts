/**
 * The IndexedDB storage adapter: the browser's durable store, so that the document cache and
 * the journal of offline edits survive a reload. Browser-safe (no `node:` imports).
 *
 * - Keys are stored as IndexedDB array keys: arrays of strings compare segment by segment by
 *   code units, a key before its extensions (IndexedDB API §2.6 "key comparison"), exactly the
 *   order `keys()` promises, so a prefix is one key range.
 * - Values are stored as their JSON text (as every adapter), so they read back with JSON
 *   semantics, and anything else found under a key is reported as corrupt.
 * - Atomicity and order: each save is one `readwrite` transaction (all or nothing), and
 *   transactions on one object store run in the order they were created; the adapter also
 *   queues its calls so that they are created in call order.
 * - Ownership: one owner per account across tabs and workers through the Web Locks API
 *   (`navigator.locks`): the first operation on an account takes its lock and keeps it until
 *   `close()`. Another owner gets `XcapStoreLockedError` or, with `whenLocked: 'wait'`, waits
 *   for the lock; a lock stolen from us makes every later operation on the account fail.
 */
import { type IDBPDatabase, openDB } from 'idb';
import { XcapError } from '../errors.js';
import {
  XcapStoreClosedError,
  XcapStoreCorruptError,
  XcapStoreIoError,
  XcapStoreLockedError,
} from './errors.js';
import { checkKey, type StorageKey, type StoragePort, toJsonText } from './storage-port.js';

/** Options of {@link indexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** Database name; default `'rxcap'`. One database holds many accounts. */
  readonly databaseName?: string | undefined;
  /**
   * The Web Locks manager that gives one owner per account; default `navigator.locks`. `null`
   * turns ownership off (an application that guarantees a single owner itself).
   */
  readonly locks?: LockManager | null | undefined;
  /** When another tab owns the account: `'fail'` (default, `XcapStoreLockedError`) or `'wait'`. */
  readonly whenLocked?: 'fail' | 'wait' | undefined;
  /** Called when an account is owned elsewhere and this store starts waiting for it. */
  readonly onWait?: ((account: string) => void) | undefined;
}

const STORE = 'entries';

interface Ownership {
  /** Settles when the lock is held (or refused). */
  readonly held: Promise<void>;
  /** Lets go of the lock. */
  release(): void;
  lost: boolean;
}

/**
 * Open an IndexedDB storage (the database is created on first use).
 *
 * @example
 * ```ts
 * import { createXcapManager, indexedDbStorage } from 'rxcap';
 * const storage = indexedDbStorage({ whenLocked: 'wait', onWait: () => show('open in another tab') });
 * const manager = createXcapManager({ account, storage });
 * ```
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): StoragePort {
  const name = options.databaseName ?? 'rxcap';
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  const whenLocked = options.whenLocked ?? 'fail';
  let db: Promise<IDBPDatabase> | undefined;
  const owned = new Map<string, Ownership>();
  // One queue per account (and '' for listings), so that waiting for one account's lock does
  // not hold up another's calls.
  const queues = new Map<string, Promise<unknown>>();
  const stop = new AbortController();
  let closed = false;

  const database = (): Promise<IDBPDatabase> => {
    db ??= openDB(name, 1, {
      upgrade(d) {
        d.createObjectStore(STORE);
      },
    });
    return db;
  };

  const ioError = (key: StorageKey, action: string) => (e: unknown) => {
    throw e instanceof XcapError ? e : new XcapStoreIoError(key, action, e);
  };

  /** Runs `fn` after every earlier call, holding `account`'s lock when one is given. */
  const run = <T>(account: string | undefined, fn: (d: IDBPDatabase) => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new XcapStoreClosedError());
    const q = account ?? '';
    const result = (queues.get(q) ?? Promise.resolve()).then(async () => {
      if (account !== undefined) await own(account);
      return fn(await database());
    });
    queues.set(
      q,
      result.catch(() => {}),
    );
    return result;
  };

  const own = async (account: string): Promise<void> => {
    if (locks === null) return;
    let o = owned.get(account);
    if (o === undefined) {
      o = acquire(
        locks,
        `rxcap:${name}:${account}`,
        account,
        whenLocked,
        options.onWait,
        stop.signal,
      );
      owned.set(account, o);
      try {
        await o.held;
      } catch (e) {
        // Not ours: try again at the next operation (the owner may have gone).
        owned.delete(account);
        throw e;
      }
    }
    if (o.lost) throw new XcapStoreLockedError(account, 'compromised');
  };

  const parse = (key: StorageKey, text: unknown): unknown => {
    if (typeof text !== 'string') throw new XcapStoreCorruptError(key, 'not JSON text');
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new XcapStoreCorruptError(key, 'invalid JSON', undefined, { cause });
    }
  };

  return {
    load: async (key) => {
      const k = checkKey(key);
      return run(k[0], async (d) => {
        const text: unknown = await d.get(STORE, [...k]).catch(ioError(k, 'read'));
        return text === undefined ? undefined : parse(k, text);
      });
    },
    save: async (key, value) => {
      const k = checkKey(key);
      const text = toJsonText(value);
      return run(k[0], async (d) => {
        await d.put(STORE, text, [...k]).catch(ioError(k, 'save'));
      });
    },
    delete: async (key) => {
      const k = checkKey(key);
      return run(k[0], async (d) => {
        await d.delete(STORE, [...k]).catch(ioError(k, 'delete'));
      });
    },
    purge: async (prefix) => {
      const p = checkKey(prefix, 1, 'prefix');
      return run(p[0], async (d) => {
        await d.delete(STORE, prefixRange(p)).catch(ioError(p, 'purge'));
      });
    },
    keys: async (prefix) => {
      const p = prefix === undefined ? [] : checkKey(prefix, 0, 'prefix');
      // Listing reads across accounts without owning them: a snapshot, as the file store does.
      return run(undefined, async (d) => {
        const keys = await d
          .getAllKeys(STORE, p.length === 0 ? undefined : prefixRange(p))
          .catch(ioError(p, 'list'));
        return keys.map((key) => [...(key as string[])]);
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      stop.abort(); // a call still waiting for a lock gives up
      await Promise.all(queues.values());
      for (const o of owned.values()) o.release();
      owned.clear();
      if (db !== undefined) (await db.catch(() => undefined))?.close();
    },
  };
}

/** Every array key that starts with `prefix`: from `prefix` itself up to `[...prefix, []]`
 * (an array sorts after every string, IndexedDB API §2.6). */
function prefixRange(prefix: StorageKey): IDBKeyRange {
  return IDBKeyRange.bound([...prefix], [...prefix, []], false, true);
}

function defaultLocks(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks ?? null;
}

/**
 * Requests the account's lock and holds it until `release()`: the Web Locks API keeps a lock
 * as long as the promise returned by the request's callback is pending.
 */
function acquire(
  locks: LockManager,
  lockName: string,
  account: string,
  whenLocked: 'fail' | 'wait',
  onWait: ((account: string) => void) | undefined,
  stop: AbortSignal,
): Ownership {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const ownership: { held: Promise<void>; release(): void; lost: boolean } = {
    held: Promise.resolve(),
    release,
    lost: false,
  };
  // `signal` and `ifAvailable` cannot be combined (Web Locks §4.1 request()); only the
  // waiting request needs to be abortable, by close().
  const request = (wait: boolean) =>
    new Promise<boolean>((resolve, reject) => {
      let granted = false;
      locks
        .request(lockName, wait ? { signal: stop } : { ifAvailable: true }, async (lock) => {
          granted = lock !== null;
          resolve(granted);
          if (granted) await released;
        })
        .catch((e: unknown) => {
          // Held and then rejected: another owner stole the lock (`steal: true`).
          if (granted) ownership.lost = true;
          else reject(stop.aborted ? new XcapStoreClosedError() : e);
        });
    });
  ownership.held = (async () => {
    if (await request(false)) return;
    if (whenLocked === 'fail') throw new XcapStoreLockedError(account, 'held');
    onWait?.(account);
    await request(true);
  })();
  return ownership;
}
