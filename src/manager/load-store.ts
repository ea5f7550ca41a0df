/**
 * Loading one account's store: its document cache and journal, found under the canonical
 * account or, for a store written before stores were keyed canonically, under another spelling
 * (then moved to the canonical key). A corrupt cache is dropped (it is only a copy of the
 * server, refetched at the next sync); a corrupt journal is never dropped; a journal record of
 * an unexpected shape is refused, kept aside, and the others load.
 */
import type { XmlElement } from '../codecs/xml/tree.js';
import type { XcapError } from '../errors.js';
import { checkOperation } from '../journal/check-operation.js';
import type { CachedDocument } from '../store/document-cache.js';
import { documentCache, documentCacheKey } from '../store/document-cache.js';
import { journalKey, journalStore } from '../store/journal-store.js';
import type { StoragePort } from '../store/storage-port.js';
import { toXcapError } from '../streams/errors.js';
import type { DocumentStore, JournalEntry } from '../streams/events.js';
import type { OperationData } from '../streams/ports.js';
import { accountSpellings } from './account.js';
import { restoreDocuments } from './store-form.js';

/**
 * What a load found, and what it reports (dropped cache, refused records).
 *
 * @example const { documents, journal, problems } = await loadAccountStore(storage, account, id, parse);
 */
export interface LoadedStore {
  readonly documents: DocumentStore;
  readonly journal: readonly JournalEntry[];
  readonly problems: readonly XcapError[];
}

/**
 * Loads the store of `account` (canonical), looking under the other spellings of `id` when the
 * canonical key holds nothing. Rejects only when the journal cannot be read (corrupt, locked,
 * I/O): nothing is dropped then.
 *
 * @example await loadAccountStore(storage, 'sip:alice@example.com', 'alice@example.com', parseXml)
 */
export async function loadAccountStore(
  storage: StoragePort,
  account: string,
  id: string,
  parse: (content: string) => XmlElement,
  cacheOf: (account: string) => AccountCache = (a) => plainCache(storage, a),
): Promise<LoadedStore> {
  const source = await findStore(storage, account, id);
  const problems: XcapError[] = [];
  const cache = cacheOf(source);
  let cached: Record<string, CachedDocument & { root?: XmlElement }> = {};
  try {
    cached = await cache.load();
  } catch (e) {
    if ((e as XcapError | null)?.code !== 'RXCAP_STORE_CORRUPT') throw e;
    // Only a copy of the server: report and drop it, the next sync fetches everything.
    problems.push(e as XcapError);
    await cache.clear();
  }
  const documents = restoreDocuments(cached, parse, (e) =>
    problems.push(toXcapError(e, 'storage')),
  );
  const journal = journalStore<OperationData>(storage, source);
  const { records, refused } = await journal.loadChecked((op) => checkOperation(op));
  const entries = records.map((r) => ({ id: r.id, operation: r.operation }));
  if (refused.length > 0) {
    await journalStore(storage, account).setAside(refused);
    problems.push(...refused.map((r) => r.error));
  }
  if (source !== account) {
    // Move the store to the canonical key, then forget the old spelling's copy.
    if (Object.keys(cached).length > 0) await saveMoved(cacheOf(account), documents, cached);
    await journalStore(storage, account).save(entries);
    await cache.clear();
    await storage.delete(journalKey(source));
  } else if (refused.length > 0) {
    // The refused records are kept aside: the journal keeps the others only.
    await journal.save(entries);
  }
  return { documents, journal: entries, problems };
}

/**
 * The document cache of one account as the load uses it: the plain `documentCache` or the
 * incremental one (document-change-log.ts), which also returns the parsed trees it rebuilt.
 */
export interface AccountCache {
  load(): Promise<Record<string, CachedDocument & { root?: XmlElement }>>;
  save(docs: Record<string, CachedDocument & { root: XmlElement }>): Promise<unknown>;
  clear(): Promise<void>;
}

/** The whole-cache `documentCache` as an {@link AccountCache} (trees are not stored). */
function plainCache(storage: StoragePort, account: string): AccountCache {
  const cache = documentCache(storage, account);
  return {
    load: () => cache.load(),
    clear: () => cache.clear(),
    save: (docs) =>
      cache.save(
        Object.fromEntries(
          Object.entries(docs).map(([n, { root: _, ...d }]) => [n, d as CachedDocument]),
        ),
      ),
  };
}

/** Writes the loaded documents under the canonical account (the ones that parsed, with their trees). */
async function saveMoved(
  cache: AccountCache,
  documents: DocumentStore,
  cached: Record<string, CachedDocument>,
): Promise<void> {
  const out: Record<string, CachedDocument & { root: XmlElement }> = {};
  for (const [name, d] of Object.entries(documents)) {
    const c = cached[name];
    if (d && c) out[name] = { ...c, root: d.root };
  }
  await cache.save(out);
}

async function findStore(storage: StoragePort, account: string, id: string): Promise<string> {
  if (await holdsStore(storage, account)) return account;
  const spellings = accountSpellings(id);
  if (spellings.length === 0) return account;
  // Listing every key is a snapshot that takes no account's lock or ownership (both adapters):
  // reading the other spellings directly would lock accounts this manager does not own.
  const stored = new Set(
    (await storage.keys())
      .filter((k) => k[1] === 'journal' || k[1] === 'documents')
      .map((k) => k[0]!),
  );
  return spellings.find((s) => stored.has(s)) ?? account;
}

async function holdsStore(storage: StoragePort, account: string): Promise<boolean> {
  // A corrupt value still means a store is there; any other failure (locked, I/O) fails the
  // load rather than send it looking elsewhere.
  const present = (e: unknown): boolean => {
    if ((e as XcapError | null)?.code === 'RXCAP_STORE_CORRUPT') return true;
    throw e;
  };
  const journal = await storage.load(journalKey(account)).catch(present);
  if (journal !== undefined) return true;
  if ((await storage.load(documentCacheKey(account)).catch(present)) !== undefined) return true;
  // The incremental cache keeps one key per document (document-change-log.ts).
  return (await storage.keys([account, 'documents'])).length > 0;
}
