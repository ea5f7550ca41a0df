/**
 * Persistence of one account's document cache: every XCAP document as last fetched, with its
 * ETag, so that `load()` can show data offline and the next fetch can be conditional
 * (`If-None-Match`, RFC 4825 §7.11). Browser-safe, on top of any {@link StoragePort}.
 *
 * The cache has its own key (`[accountId, 'documents']`), apart from the journal: the cache may
 * weigh megabytes and is written once per completed sync, while the journal is written on every
 * operation and must stay cheap to save.
 */
import { XcapValidationError } from '../errors.js';
import { XcapStoreCorruptError } from './errors.js';
import type { StorageKey, StoragePort } from './storage-port.js';

/**
 * One cached XCAP document.
 *
 * @example
 * ```ts
 * const doc: CachedDocument = { content: '<?xml ...', etag: '"abc"', contentType: 'application/resource-lists+xml' };
 * ```
 */
export interface CachedDocument {
  /** The XML exactly as fetched. */
  content: string;
  /** The ETag the server sent with it (RFC 4825 §7.11), or null when it sent none. */
  etag: string | null;
  contentType?: string;
  /** Response headers worth keeping, e.g. `x-alternative-location`. */
  headers?: Record<string, string>;
}

/**
 * The storage key of an account's document cache.
 *
 * @example
 * ```ts
 * documentCacheKey('alice@example.com'); // ['alice@example.com', 'documents']
 * ```
 */
export function documentCacheKey(accountId: string): StorageKey {
  return [checkAccountId(accountId), 'documents'];
}

/**
 * The document cache of one account, on top of a storage port. Documents are keyed by the
 * caller's names (e.g. `'resource-lists'`); the cache knows nothing of XCAP applications. A
 * `null` entry records a document known to be absent (the server answered 404), so that a
 * restart does not ask for it again; caches written before hold no such entry.
 *
 * @example
 * ```ts
 * const cache = documentCache(storage, 'alice@example.com');
 * await cache.save({ 'resource-lists': { content: xml, etag: '"1"' } });
 * const docs = await cache.load(); // { 'resource-lists': { content: xml, etag: '"1"' } }
 * await cache.clear();
 * ```
 */
export function documentCache(
  storage: StoragePort,
  accountId: string,
): {
  /** The cached documents; `{}` when nothing is cached. Rejects with XcapStoreCorruptError. */
  load(): Promise<Record<string, CachedDocument | null>>;
  /** Replace the whole cache with `docs` (`null`: known to be absent). */
  save(docs: Record<string, CachedDocument | null>): Promise<void>;
  /** Forget every cached document (e.g. after a corrupt cache: they will be fetched again). */
  clear(): Promise<void>;
} {
  const key = documentCacheKey(accountId);
  return {
    async load() {
      const value = await storage.load(key);
      if (value === undefined) return {};
      return checkDocuments(key, value);
    },
    async save(docs) {
      // Check before writing: a malformed cache entry must fail here, not on the next load.
      checkDocuments(key, docs, (message) => new XcapValidationError(message, 'docs'));
      await storage.save(key, docs);
    },
    async clear() {
      await storage.delete(key);
    },
  };
}

function checkAccountId(accountId: unknown): string {
  if (typeof accountId !== 'string' || accountId.length === 0) {
    throw new XcapValidationError('accountId must be a non-empty string', 'accountId');
  }
  return accountId;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkDocuments(
  key: StorageKey,
  value: unknown,
  fail: (message: string) => Error = (message) => new XcapStoreCorruptError(key, message),
): Record<string, CachedDocument | null> {
  if (!isRecord(value)) throw fail('the document cache is not an object');
  const out: Record<string, CachedDocument | null> = {};
  for (const [name, doc] of Object.entries(value)) {
    if (doc === null) {
      out[name] = null;
      continue;
    }
    if (
      !isRecord(doc) ||
      typeof doc.content !== 'string' ||
      (doc.etag !== null && typeof doc.etag !== 'string') ||
      (doc.contentType !== undefined && typeof doc.contentType !== 'string') ||
      (doc.headers !== undefined &&
        (!isRecord(doc.headers) || Object.values(doc.headers).some((h) => typeof h !== 'string')))
    ) {
      throw fail(`cached document ${JSON.stringify(name)} is malformed`);
    }
    out[name] = doc as unknown as CachedDocument;
  }
  return out;
}
