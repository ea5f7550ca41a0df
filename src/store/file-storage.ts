/**
 * The file storage adapter: durable JSON files under one directory, one file per key, one lock
 * per account. Node-only (import it from `src/store/node.ts`, never from browser code).
 *
 * - Layout: see `file-layout.ts` (`<dir>/<account>/<name>.json`). One file per key keeps the
 *   journal, saved on every operation, apart from the document cache, which may weigh
 *   megabytes: a journal save never rewrites the cache.
 * - Durability: every save goes through lowdb with {@link DurableJsonFile} (unique temp file,
 *   fsync, rename, fsync of the directory), so a crash leaves the old or the new value.
 * - Privacy: directories are created 0700 and files 0600 (they hold the user's contacts).
 * - Ownership: the first operation on an account takes a proper-lockfile lock on it
 *   (`<dir>/<account>.lock`); a second owner, in another process or in this one, gets
 *   `XcapStoreLockedError` instead of interleaving writes. proper-lockfile keeps the lock's mtime
 *   fresh while we live, and takes over a lock whose mtime is older than `staleMs` — so the
 *   lock of a SIGKILLed owner blocks for at most `staleMs`. We use it rather than a pid file
 *   because it works across hosts sharing a directory and has no pid-reuse failure mode.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Low } from 'lowdb';
import lockfile from 'proper-lockfile';
import { XcapError } from '../errors.js';
import {
  DurableJsonFile,
  type StoredEnvelope,
  syncDirectory,
  TEMP_SUFFIX,
} from './durable-json-file.js';
import { XcapStoreClosedError, XcapStoreIoError, XcapStoreLockedError } from './errors.js';
import {
  decodeSegment,
  encodeSegment,
  keyPath,
  lockPath,
  VALUE_SUFFIX,
  valuePath,
} from './file-layout.js';
import {
  checkKey,
  compareKeys,
  type StorageKey,
  type StoragePort,
  toJsonText,
} from './storage-port.js';

/**
 * Options of {@link fileStorage}.
 *
 * @example
 * ```ts
 * fileStorage('/home/alice/.rxcap', { staleMs: 30_000 });
 * ```
 */
export interface FileStorageOptions {
  /**
   * After how long without a refresh an account lock counts as abandoned (its owner crashed)
   * and may be taken over. Default 10 000 ms; proper-lockfile enforces at least 2 000 ms.
   */
  staleMs?: number;
}

const PURGE_SUFFIX = '.purge';

interface AccountState {
  /** Serializes every operation on the account, so saves to one key land in call order. */
  queue: Promise<unknown>;
  release: (() => Promise<void>) | undefined;
  compromised: boolean;
}

/**
 * Open a file storage rooted at `directory` (created 0700 if missing). Locks are taken lazily,
 * per account, by the first operation on a key of that account.
 *
 * @example
 * ```ts
 * // Node only: import from src/store/node.ts (never from browser code).
 * import { fileStorage, journalStore } from './store/node.js';
 * const storage = fileStorage('/home/alice/.rxcap');
 * const journal = journalStore(storage, 'alice@example.com');
 * await journal.save([{ id: 'op-1', operation: op }]); // may reject: XcapStoreLockedError
 * await storage.close(); // releases the lock
 * ```
 */
export function fileStorage(directory: string, options: FileStorageOptions = {}): StoragePort {
  // Absolute once and for all: a later process.chdir() must not move the store.
  const root = resolve(directory);
  const staleMs = options.staleMs ?? 10_000;
  const accounts = new Map<string, AccountState>();
  let closed = false;

  const ioError = (key: StorageKey, action: string) => (e: unknown) => {
    throw e instanceof XcapError ? e : new XcapStoreIoError(key, action, e);
  };

  /** Run `fn` in the account's queue, holding its lock. */
  const withAccount = <T>(account: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new XcapStoreClosedError());
    let state = accounts.get(account);
    if (state === undefined) {
      state = { queue: Promise.resolve(), release: undefined, compromised: false };
      accounts.set(account, state);
    }
    const s = state;
    const result = s.queue.then(async () => {
      await ensureLock(account, s);
      return fn();
    });
    s.queue = result.catch(() => {});
    return result;
  };

  const ensureLock = async (account: string, state: AccountState): Promise<void> => {
    const lock = lockPath(root, account);
    if (state.compromised) throw new XcapStoreLockedError(account, 'compromised', lock);
    if (state.release !== undefined) return;
    await makeDirectory(root);
    try {
      state.release = await lockfile.lock(keyPath(root, [account]), {
        realpath: false,
        lockfilePath: lock,
        stale: staleMs,
        retries: 0,
        // proper-lockfile's default throws from a timer (crashing the process); instead,
        // refuse every later operation on the account: someone else may be writing now.
        onCompromised: () => {
          state.compromised = true;
          state.release = undefined;
        },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new XcapStoreLockedError(account, 'held', lock, { cause: e });
      }
      throw new XcapStoreIoError([account], 'lock', e);
    }
    // We own the account now: temp files and half-done purges left by a crashed owner are
    // garbage (the targets they were meant to replace are intact). Failing to remove them
    // costs only disk space and must not refuse the store, so that error is not raised.
    await removeLeftovers(root, account).catch(() => {});
  };

  // Arguments are checked and the operation queued synchronously, so that a value mutated by
  // the caller after save() returns, or a close() right after, cannot change what happens.
  const start = <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return fn();
    } catch (e) {
      return Promise.reject(e);
    }
  };

  return {
    load: (key) =>
      start(() => {
        const k = checkKey(key);
        return withAccount(k[0]!, async () => {
          const db = new Low<StoredEnvelope | null>(
            new DurableJsonFile(valuePath(root, k), k),
            null,
          );
          await db.read();
          return db.data === null ? undefined : db.data.value;
        }).catch(ioError(k, 'load'));
      }),

    save: (key, value) =>
      start(() => {
        const k = checkKey(key);
        const file = valuePath(root, k);
        // Snapshot now: the caller may mutate `value` as soon as save() returns.
        const envelope: StoredEnvelope = { format: 1, value: JSON.parse(toJsonText(value)) };
        return withAccount(k[0]!, async () => {
          await makeDirectory(dirname(file));
          const db = new Low<StoredEnvelope | null>(new DurableJsonFile(file, k), envelope);
          await db.write();
        }).catch(ioError(k, 'save'));
      }),

    delete: (key) =>
      start(() => {
        const k = checkKey(key);
        const file = valuePath(root, k);
        return withAccount(k[0]!, async () => {
          if (await removeFile(file)) await syncDirectory(dirname(file));
        }).catch(ioError(k, 'delete'));
      }),

    purge: (prefix) =>
      start(() => {
        const p = checkKey(prefix, 1, 'prefix');
        const base = keyPath(root, p);
        return withAccount(p[0]!, async () => {
          // Rename the subtree away first (atomic), then delete it: a crash in between leaves
          // a `.purge` directory that is never read and is removed at the next lock.
          const trash = `${base}.${process.pid}-${randomBytes(6).toString('hex')}${PURGE_SUFFIX}`;
          let moved = true;
          try {
            await rename(base, trash);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
            moved = false;
          }
          const removed = await removeFile(base + VALUE_SUFFIX);
          if (moved || removed) await syncDirectory(dirname(base));
          if (moved) await rm(trash, { recursive: true, force: true });
        }).catch(ioError(p, 'purge'));
      }),

    keys: (prefix) =>
      start(async () => {
        const p = prefix === undefined ? [] : checkKey(prefix, 0, 'prefix');
        keyPath(root, p); // throws XcapValidationError for a segment too long to be a name
        if (closed) throw new XcapStoreClosedError();
        // Listing everything reads across accounts without locking them: a snapshot.
        const keys = await (p.length === 0
          ? listKeys(root, [])
          : withAccount(p[0]!, () => listKeys(root, p))
        ).catch(ioError(p, 'list'));
        return keys.sort(compareKeys);
      }),

    async close() {
      if (closed) return;
      closed = true;
      for (const [, state] of accounts) {
        await state.queue;
        const release = state.release;
        state.release = undefined;
        // Releasing a lock that was compromised meanwhile fails; it is not ours any more.
        if (release) await release().catch(() => {});
      }
      accounts.clear();
    },
  };
}

/** mkdir -p with mode 0700, fsyncing the parent of each directory created (its entry). */
async function makeDirectory(directory: string): Promise<void> {
  const first = await mkdir(directory, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // Directories created: first, ..., directory. Each one's entry lives in its parent.
  let d = directory;
  const created: string[] = [];
  while (d.length >= first.length) {
    created.push(d);
    if (d === first) break;
    d = dirname(d);
  }
  for (const c of created.reverse()) await syncDirectory(dirname(c));
}

async function removeFile(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function readDirectory(directory: string) {
  try {
    return await readdir(directory, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

/** Every key at or below `prefix` (unsorted). */
async function listKeys(root: string, prefix: StorageKey): Promise<StorageKey[]> {
  const out: StorageKey[] = [];
  if (prefix.length > 0) {
    const base = keyPath(root, prefix);
    const parent = await readDirectory(dirname(base));
    const name = encodeSegment(prefix[prefix.length - 1]!) + VALUE_SUFFIX;
    if (parent.some((e) => e.isFile() && e.name === name)) out.push([...prefix]);
  }
  const walk = async (directory: string, key: string[]): Promise<void> => {
    for (const entry of await readDirectory(directory)) {
      if (entry.isDirectory()) {
        const segment = decodeSegment(entry.name);
        if (segment !== undefined) await walk(join(directory, entry.name), [...key, segment]);
      } else if (entry.isFile() && entry.name.endsWith(VALUE_SUFFIX)) {
        const segment = decodeSegment(entry.name.slice(0, -VALUE_SUFFIX.length));
        if (segment !== undefined) out.push([...key, segment]);
      }
    }
  };
  await walk(prefix.length > 0 ? keyPath(root, prefix) : root, [...prefix]);
  return out;
}

/** Remove temp files and interrupted purges of an account (its owner died mid-write). */
async function removeLeftovers(root: string, account: string): Promise<void> {
  const base = encodeSegment(account);
  const isLeftover = (name: string) => name.endsWith(TEMP_SUFFIX) || name.endsWith(PURGE_SUFFIX);
  for (const entry of await readDirectory(root)) {
    if (entry.name.startsWith(base + '.') && isLeftover(entry.name)) {
      await rm(join(root, entry.name), { recursive: true, force: true });
    }
  }
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readDirectory(directory)) {
      const path = join(directory, entry.name);
      if (isLeftover(entry.name)) await rm(path, { recursive: true, force: true });
      else if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(join(root, base));
}
