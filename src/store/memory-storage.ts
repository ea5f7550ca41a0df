/**
 * The in-memory storage adapter: for tests and browsers. Browser-safe (no `node:` imports);
 * nothing survives the process. Values are kept as JSON text, so that a value reads back exactly
 * as it would from the file store and callers cannot mutate what is stored.
 */
import { XcapStoreClosedError, XcapStoreCorruptError } from './errors.js';
import {
  checkKey,
  compareKeys,
  hasPrefix,
  type StorageKey,
  type StoragePort,
  toJsonText,
} from './storage-port.js';

// The JSON text of a key is an unambiguous map key (no separator that a segment could contain).
const mapKey = (key: StorageKey): string => JSON.stringify(key);

/**
 * Create an empty in-memory storage.
 *
 * @example
 * ```ts
 * const storage = memoryStorage();
 * await storage.save(['alice@example.com', 'journal'], []);
 * await storage.load(['alice@example.com', 'journal']); // []
 * ```
 */
export function memoryStorage(): StoragePort {
  const entries = new Map<string, { key: StorageKey; text: string }>();
  let closed = false;

  // Every method validates its arguments first (a typed error, synchronously turned into a
  // rejection) and answers asynchronously, like a real adapter would.
  const run = async <T>(fn: () => T): Promise<T> => {
    if (closed) throw new XcapStoreClosedError();
    return fn();
  };

  return {
    load: (key) =>
      run(() => {
        const k = checkKey(key);
        const entry = entries.get(mapKey(k));
        if (entry === undefined) return undefined;
        try {
          return JSON.parse(entry.text) as unknown;
        } catch (cause) {
          // Cannot happen for text written by save(); kept so that the contract holds.
          throw new XcapStoreCorruptError(k, 'invalid JSON', undefined, { cause });
        }
      }),
    save: (key, value) =>
      run(() => {
        const k = checkKey(key);
        entries.set(mapKey(k), { key: k, text: toJsonText(value) });
      }),
    delete: (key) =>
      run(() => {
        entries.delete(mapKey(checkKey(key)));
      }),
    purge: (prefix) =>
      run(() => {
        const p = checkKey(prefix, 1, 'prefix');
        for (const [id, entry] of entries) if (hasPrefix(entry.key, p)) entries.delete(id);
      }),
    keys: (prefix) =>
      run(() => {
        const p = prefix === undefined ? [] : checkKey(prefix, 0, 'prefix');
        return [...entries.values()]
          .filter((entry) => hasPrefix(entry.key, p))
          .map((entry) => [...entry.key])
          .sort(compareKeys);
      }),
    close: async () => {
      closed = true;
    },
  };
}
