/**
 * The storage port: a small key/value interface the manager persists its document cache and
 * journal through (modelled on automerge-repo's `StorageAdapterInterface`). Browser-safe.
 *
 * Keys are arrays of strings, the first segment being the account
 * (`['alice@example.com', 'journal']`), so that one account's data can be listed and purged by
 * prefix and, in the file store, locked by one owner. Values are JSON-serializable; every adapter
 * stores their JSON text, so a value reads back exactly as `JSON.parse(JSON.stringify(value))`
 * whatever the adapter.
 */
import { XcapValidationError } from '../errors.js';

/**
 * A storage key: one or more non-empty strings, the first one naming the account.
 *
 * @example
 * ```ts
 * const key: StorageKey = ['alice@example.com', 'journal'];
 * ```
 */
export type StorageKey = readonly string[];

/**
 * The storage port every adapter implements (`memoryStorage()`, `fileStorage(directory)`).
 * All methods return Promises; the manager turns them into Observables at the edge (`defer`).
 *
 * Contract (checked by the shared suite in `test/store/storage-contract.ts`):
 * - `load` of a missing key resolves `undefined`; a corrupt value rejects with
 *   `XcapStoreCorruptError`, never `undefined`.
 * - `save` replaces the whole value atomically: a reader (or a reload after a crash) sees the
 *   old or the new value, never a mix. Saves to one key are applied in call order.
 * - Prefixes match whole segments: `['alice']` matches `['alice', 'x']`, not `['alice2']`.
 * - `keys` resolves the keys in ascending order (segment by segment, by UTF-16 code units).
 * - After `close()` every method rejects with `XcapStoreClosedError`.
 *
 * @example
 * ```ts
 * const storage: StoragePort = memoryStorage();
 * await storage.save(['alice@example.com', 'journal'], [{ id: '1', operation: { kind: 'x' } }]);
 * await storage.keys(['alice@example.com']); // [['alice@example.com', 'journal']]
 * await storage.purge(['alice@example.com']);
 * ```
 */
export interface StoragePort {
  /** The value saved under `key`, or `undefined` when there is none. */
  load(key: StorageKey): Promise<unknown>;
  /** Save a JSON-serializable value under `key`, replacing the old one atomically. */
  save(key: StorageKey, value: unknown): Promise<void>;
  /** Remove `key`; removing a missing key is not an error. */
  delete(key: StorageKey): Promise<void>;
  /** Remove every key that starts with `prefix` (at least one segment: e.g. one account). */
  purge(prefix: StorageKey): Promise<void>;
  /** The keys that start with `prefix` (all keys when absent or empty), sorted. */
  keys(prefix?: StorageKey): Promise<StorageKey[]>;
  /** Wait for pending writes, release locks; the storage cannot be used afterwards. */
  close(): Promise<void>;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Check that `key` is a valid storage key (at least `minLength` non-empty string segments) and
 * return a frozen copy, so that later changes by the caller cannot alter what is stored.
 *
 * @example
 * ```ts
 * checkKey(['alice@example.com', 'journal']); // ok
 * checkKey([]); // throws XcapValidationError
 * ```
 */
export function checkKey(key: unknown, minLength = 1, field = 'key'): StorageKey {
  if (!Array.isArray(key) || key.length < minLength) {
    throw new XcapValidationError(
      `a storage ${field} must be an array of at least ${minLength} string(s)`,
      field,
    );
  }
  for (const segment of key) {
    if (typeof segment !== 'string' || segment.length === 0) {
      throw new XcapValidationError(
        `every segment of a storage ${field} must be a non-empty string`,
        field,
      );
    }
    // A lone surrogate has no UTF-8 form: the file store would encode it as U+FFFD, so two
    // different keys would share one file.
    if (LONE_SURROGATE.test(segment)) {
      throw new XcapValidationError(
        `a storage ${field} segment must be well-formed Unicode (no lone surrogate)`,
        field,
      );
    }
  }
  return Object.freeze([...(key as string[])]);
}

/**
 * Serialize a value to the JSON text every adapter stores; throws `XcapValidationError` for a
 * value JSON cannot represent (undefined, a function, a BigInt, a cycle).
 *
 * @example
 * ```ts
 * toJsonText({ a: 1 }); // '{"a":1}'
 * toJsonText(undefined); // throws XcapValidationError
 * ```
 */
export function toJsonText(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new XcapValidationError('a stored value must be JSON-serializable', 'value', { cause });
  }
  if (text === undefined) {
    throw new XcapValidationError('a stored value must be JSON-serializable', 'value');
  }
  return text;
}

/**
 * Whether `key` starts with every segment of `prefix` (whole segments only).
 *
 * @example
 * ```ts
 * hasPrefix(['alice', 'journal'], ['alice']); // true
 * hasPrefix(['alice2', 'journal'], ['alice']); // false
 * ```
 */
export function hasPrefix(key: StorageKey, prefix: StorageKey): boolean {
  if (prefix.length > key.length) return false;
  return prefix.every((segment, i) => key[i] === segment);
}

/**
 * Order of keys returned by `keys()`: segment by segment, by UTF-16 code units, a key before
 * its extensions.
 *
 * @example
 * ```ts
 * [['b'], ['a', 'x'], ['a']].sort(compareKeys); // [['a'], ['a', 'x'], ['b']]
 * ```
 */
export function compareKeys(a: StorageKey, b: StorageKey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
