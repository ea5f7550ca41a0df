/**
 * Typed errors of the local store. Browser-safe (no `node:` imports): the memory store and the
 * document cache / journal persistence throw them too.
 *
 * They live here rather than in `src/errors.ts` because the store owns them; each one extends
 * {@link XcapError} and has a stable `code`.
 */
import { XcapError } from '../errors.js';
import type { StorageKey } from './storage-port.js';

/**
 * Another owner (another process, or another `fileStorage` instance in this process) holds the
 * lock on this account's store, or this instance lost its lock. Nothing was read or written.
 *
 * What to do: stop the other owner (one manager per account), or wait: the lock of a crashed
 * owner turns stale after `staleMs` (default 10 s) and is then taken over automatically.
 *
 * @example
 * ```ts
 * try { await storage.load(['alice@example.com', 'journal']); }
 * catch (e) { if (e instanceof XcapStoreLockedError) console.warn(`in use: ${e.account}`); }
 * ```
 */
export class XcapStoreLockedError extends XcapError {
  /** The account (first key segment) whose store is locked. */
  readonly account: string;
  /** The lock path, when the store is file based. */
  readonly lockPath: string | undefined;
  /** `held`: someone else owns the lock; `compromised`: this instance lost it while running. */
  readonly reason: 'held' | 'compromised';

  constructor(
    account: string,
    reason: 'held' | 'compromised',
    lockPath?: string,
    options?: { cause?: unknown },
  ) {
    super(
      'RXCAP_STORE_LOCKED',
      reason === 'held'
        ? `the store of account ${JSON.stringify(account)} is in use by another owner`
        : `the lock on the store of account ${JSON.stringify(account)} was lost`,
      options,
    );
    this.account = account;
    this.reason = reason;
    this.lockPath = lockPath;
  }
}

/**
 * A stored value cannot be read back: truncated or invalid JSON, or a value whose shape is not
 * what its reader expects. The store never drops such data silently; the file is left untouched.
 *
 * What to do: move the file named by `path` aside (to keep it for inspection), or call
 * `storage.delete(key)` to discard it. A corrupt document cache is harmless to discard (the
 * documents are fetched again); a corrupt journal holds operations not yet sent to the server.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof XcapStoreCorruptError) await storage.delete(e.key); }
 * ```
 */
export class XcapStoreCorruptError extends XcapError {
  /** The key whose value is corrupt. */
  readonly key: StorageKey;
  /** The file that holds it, when the store is file based. */
  readonly path: string | undefined;

  constructor(key: StorageKey, message: string, path?: string, options?: { cause?: unknown }) {
    super('RXCAP_STORE_CORRUPT', `corrupt value at ${JSON.stringify(key)}: ${message}`, options);
    this.key = key;
    this.path = path;
  }
}

/**
 * The storage was closed with `close()`; open a new one to go on.
 *
 * @example
 * ```ts
 * await storage.close();
 * await storage.load(['a']); // rejects with XcapStoreClosedError (code RXCAP_STORE_CLOSED)
 * ```
 */
export class XcapStoreClosedError extends XcapError {
  constructor() {
    super('RXCAP_STORE_CLOSED', 'the storage is closed');
  }
}

/**
 * The storage medium failed (permission denied, disk full, ...). `cause` holds the system error;
 * `syscallCode` its code (`EACCES`, `ENOSPC`, ...). The operation had no effect, or for a save,
 * the old value is still in place.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof XcapStoreIoError && e.syscallCode === 'ENOSPC') alert('disk full'); }
 * ```
 */
export class XcapStoreIoError extends XcapError {
  /** The key or prefix of the failed operation. */
  readonly key: StorageKey;
  /** The system error code, e.g. `EACCES`. */
  readonly syscallCode: string | undefined;

  constructor(key: StorageKey, action: string, cause: unknown) {
    const syscallCode =
      typeof cause === 'object' && cause !== null && 'code' in cause
        ? String((cause as { code: unknown }).code)
        : undefined;
    super(
      'RXCAP_STORE_IO',
      `could not ${action} ${JSON.stringify(key)}${syscallCode ? ` (${syscallCode})` : ''}`,
      { cause },
    );
    this.key = key;
    this.syscallCode = syscallCode;
  }
}

/**
 * A stored journal record was refused at load: its operation does not pass the operation's own
 * validator (a `null` contact, an unknown operation type, ...). It was not replayed; it is kept
 * aside under `[account, 'journal-refused']` (never deleted) and the other records loaded.
 *
 * @example
 * ```ts
 * manager.error$.subscribe((e) => { if (e instanceof XcapJournalRecordError) log(e.recordId, e.index); });
 * ```
 */
export class XcapJournalRecordError extends XcapError {
  /** The journal's key. */
  readonly key: StorageKey;
  /** The record's id, when it has a string one. */
  readonly recordId: string | undefined;
  /** The record's position in the stored journal. */
  readonly index: number;

  constructor(
    key: StorageKey,
    index: number,
    recordId: string | undefined,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message.slice(0, 200)}` : '';
    super(
      'RXCAP_JOURNAL_RECORD',
      `journal record ${index}${recordId === undefined ? '' : ` (${JSON.stringify(recordId.slice(0, 100))})`} at ${JSON.stringify(key)} was refused${why}; it is kept aside, not replayed`,
      options,
    );
    this.key = key;
    this.recordId = recordId;
    this.index = index;
  }
}
