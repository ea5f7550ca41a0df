/**
 * The document cache at the cost of the change: each document is stored as a base (its text,
 * ETag and headers, as of some version) plus the tree changes confirmed since, one key per
 * change, so that an edit writes its change (a few hundred bytes for one contact of a
 * 10,000-contact addressbook) instead of the whole cache (7.8 MB rewritten per edit before).
 * Browser-safe, on top of any {@link StoragePort}.
 *
 * Keys of an account:
 * - `[account, 'documents', name]`: the base `{ content, etag, headers?, gen }`;
 * - `[account, 'document-changes', name, seq]`: `{ gen, changes, etag, headers? }`, the tree
 *   changes (tree-diff.ts) from the previous version and the ETag the server gave the result;
 * - `[account, 'documents']`: the whole cache as older versions wrote it; read when present,
 *   rewritten in this layout by the first save, then deleted.
 *
 * Crash safety: every key is saved atomically (the storage contract). A change names the
 * generation (`gen`) of the base it builds on; writing a new base (compaction, or a document
 * that was fetched whole) gives it a new generation before the old changes are purged, so a
 * crash between the two leaves changes that are ignored on load. A change is written only after
 * the server confirmed it (the manager saves the cache after a PUT succeeded), so every loaded
 * version is one the server had, with its ETag.
 *
 * Compaction: once a document's changes pass {@link CHANGE_LOG_LIMITS} (count, or bytes relative
 * to its base), the next save writes a new base instead (the only write of the whole text).
 */
import { parseXml } from '../codecs/xml/parse.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import type { XmlElement } from '../codecs/xml/tree.js';
import { applyTreeChanges, diffTrees, type TreeChange } from '../codecs/xml/tree-diff.js';
import { XcapValidationError } from '../errors.js';
import {
  emptyState,
  isRecord,
  newGen,
  type State,
  sameHeaders,
  seqKey,
  validHeaders,
} from './change-log-state.js';
import { type CachedDocument, documentCache, documentCacheKey } from './document-cache.js';
import { XcapStoreCorruptError } from './errors.js';
import type { StorageKey, StoragePort } from './storage-port.js';

/**
 * The tree functions the cache needs (tree.ts, tree-diff.ts, parse and serialize).
 *
 * @example const trees: ChangeLogTrees<XmlElement> = { parse: parseXml, serialize: serializeXml, diff: diffTrees, apply: applyTreeChanges };
 */
export interface ChangeLogTrees<T> {
  parse(content: string): T;
  serialize(root: T): string;
  diff(a: T, b: T): unknown[];
  apply(root: T, changes: readonly unknown[]): T;
}

/**
 * A document as the manager holds it: text, ETag, headers and its parsed tree.
 *
 * @example const d: TreeDocument<XmlElement> = { content: xml, etag: '"1"', root: parseXml(xml) };
 */
export interface TreeDocument<T> {
  readonly content: string;
  readonly etag: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly root: T;
}

/**
 * When a change log is compacted (see {@link CHANGE_LOG_LIMITS}).
 *
 * @example xmlDocumentChangeLog(storage, account, { maxChanges: 16, minBytes: 1024, baseRatio: 0.25 })
 */
export interface ChangeLogLimits {
  readonly maxChanges: number;
  readonly minBytes: number;
  readonly baseRatio: number;
}

/**
 * When a document's change log is compacted into a new base: past `maxChanges` changes, or
 * when the changes would weigh more than `minBytes` and more than `baseRatio` of the base.
 *
 * @example CHANGE_LOG_LIMITS.maxChanges // 256
 */
export const CHANGE_LOG_LIMITS: ChangeLogLimits = Object.freeze({
  maxChanges: 256,
  minBytes: 64 * 1024,
  baseRatio: 0.25,
});

/**
 * The incremental document cache of one account. Keep one per account for as long as the
 * account is loaded: it remembers what it stored, so that a save writes only the changes.
 *
 * @example
 * ```ts
 * const cache = documentChangeLog(storage, 'alice@example.com', { parse: parseXml, serialize: serializeXml, diff: diffTrees, apply: applyTreeChanges });
 * const docs = await cache.load(); // { 'resource-lists': { content, etag, root } }
 * await cache.save({ 'resource-lists': { content, etag: '"2"', root: edited } }); // writes the change only
 * ```
 */
export function documentChangeLog<T>(
  storage: StoragePort,
  accountId: string,
  trees: ChangeLogTrees<T>,
  limits: ChangeLogLimits = CHANGE_LOG_LIMITS,
): {
  /** The cached documents, with their trees (`null`: known to be absent); `{}` when nothing is cached. Rejects with XcapStoreCorruptError. */
  load(): Promise<Record<string, (CachedDocument & { root?: T }) | null>>;
  /** Stores `docs` as the whole cache (`null`: known to be absent), writing only what changed since the last load or save; resolves the bytes handed to the storage. */
  save(docs: Readonly<Record<string, TreeDocument<T> | null>>): Promise<number>;
  /** Forgets every cached document. */
  clear(): Promise<void>;
} {
  const legacyKey = documentCacheKey(accountId);
  const baseKey = (name: string): StorageKey => [accountId, 'documents', name];
  const changesPrefix = (name: string): StorageKey => [accountId, 'document-changes', name];
  let known: Map<string, State<T>> | undefined;
  let legacyStored = false;

  const corrupt = (key: StorageKey, message: string) => new XcapStoreCorruptError(key, message);

  const readKeys = async () => {
    const keys = await storage.keys([accountId]);
    const bases: string[] = [];
    const changes = new Map<string, StorageKey[]>();
    let legacy = false;
    for (const k of keys) {
      if (k.length === 2 && k[1] === 'documents') legacy = true;
      else if (k.length === 3 && k[1] === 'documents') bases.push(k[2]!);
      else if (k.length === 4 && k[1] === 'document-changes') {
        const list = changes.get(k[2]!) ?? [];
        list.push(k);
        changes.set(k[2]!, list);
      }
    }
    return { bases, changes, legacy };
  };

  const load = async (): Promise<Record<string, (CachedDocument & { root?: T }) | null>> => {
    const { bases, changes, legacy } = await readKeys();
    const state = new Map<string, State<T>>();
    const out: Record<string, (CachedDocument & { root?: T }) | null> = {};
    if (legacy) {
      for (const [name, d] of Object.entries(await documentCache(storage, accountId).load())) {
        out[name] = d;
        if (d === null) {
          state.set(name, { ...emptyState(), changesStored: changes.has(name), legacy: true });
          continue;
        }
        state.set(name, {
          doc: undefined,
          gen: '',
          seq: 0,
          count: 0,
          bytes: 0,
          baseBytes: d.content.length,
          changesStored: changes.has(name),
          legacy: true,
        });
      }
    }
    for (const name of bases) {
      const key = baseKey(name);
      const base = await storage.load(key);
      if (base === undefined) continue;
      if (isRecord(base) && base.absent === true && typeof base.gen === 'string') {
        out[name] = null;
        const changesStored = (changes.get(name)?.length ?? 0) > 0;
        state.set(name, { ...emptyState(), gen: base.gen, changesStored, absent: true });
        continue;
      }
      if (
        !isRecord(base) ||
        typeof base.content !== 'string' ||
        (base.etag !== null && typeof base.etag !== 'string') ||
        typeof base.gen !== 'string' ||
        !validHeaders(base.headers)
      )
        throw corrupt(key, `cached document ${JSON.stringify(name)} is malformed`);
      const keys = changes.get(name) ?? [];
      let seq = 0;
      const records: {
        changes: unknown[];
        etag: string | null;
        headers?: Record<string, string>;
        bytes: number;
      }[] = [];
      for (const k of keys) {
        seq = Math.max(seq, Number(k[3]) + 1);
        const r = await storage.load(k);
        if (r === undefined) continue;
        if (
          !isRecord(r) ||
          typeof r.gen !== 'string' ||
          !Array.isArray(r.changes) ||
          (r.etag !== null && typeof r.etag !== 'string') ||
          !validHeaders(r.headers)
        )
          throw corrupt(k, `a change of cached document ${JSON.stringify(name)} is malformed`);
        // A change of an older base (a crash between a new base and the purge): not ours.
        if (r.gen !== base.gen) continue;
        records.push({
          changes: r.changes,
          etag: r.etag as string | null,
          ...(r.headers !== undefined ? { headers: r.headers as Record<string, string> } : {}),
          bytes: JSON.stringify(r).length,
        });
      }
      let doc: CachedDocument & { root?: T } = {
        content: base.content,
        etag: base.etag as string | null,
        ...(base.headers !== undefined ? { headers: base.headers as Record<string, string> } : {}),
      };
      let root: T | undefined;
      try {
        root = trees.parse(base.content);
      } catch {
        // Left to the caller, which reports the document as corrupt and fetches it again.
      }
      if (root !== undefined && records.length > 0) {
        try {
          for (const r of records) root = trees.apply(root, r.changes);
        } catch (e) {
          throw new XcapStoreCorruptError(
            changesPrefix(name),
            'a change does not fit its base',
            undefined,
            { cause: e },
          );
        }
        const last = records[records.length - 1]!;
        doc = {
          content: trees.serialize(root),
          etag: last.etag,
          ...(last.headers !== undefined ? { headers: last.headers } : {}),
        };
      } else if (records.length > 0) {
        doc = { content: base.content, etag: null }; // unreadable base: refetched without condition
      }
      const stored: TreeDocument<T> | undefined = root === undefined ? undefined : { ...doc, root };
      out[name] = root === undefined ? doc : { ...doc, root };
      state.set(name, {
        doc: stored,
        gen: base.gen,
        seq,
        count: records.length,
        bytes: records.reduce((a, r) => a + r.bytes, 0),
        baseBytes: base.content.length,
        changesStored: keys.length > 0,
        legacy: false,
      });
    }
    for (const [name] of changes) if (!state.has(name)) await storage.purge(changesPrefix(name));
    known = state;
    legacyStored = legacy;
    return out;
  };

  const writeBase = async (name: string, d: TreeDocument<T>, st: State<T> | undefined) => {
    const gen = newGen();
    const value = {
      content: d.content,
      etag: d.etag,
      ...(d.headers !== undefined ? { headers: { ...d.headers } } : {}),
      gen,
    };
    await storage.save(baseKey(name), value);
    // Older changes name the old generation: purging them is tidying, not correctness.
    if (st?.changesStored === true) await storage.purge(changesPrefix(name));
    known!.set(name, {
      doc: d,
      gen,
      seq: 0,
      count: 0,
      bytes: 0,
      baseBytes: d.content.length,
      changesStored: false,
      legacy: false,
    });
    return d.content.length;
  };

  const save = async (docs: Readonly<Record<string, TreeDocument<T> | null>>): Promise<number> => {
    for (const [name, d] of Object.entries(docs))
      if (
        (d !== null && !isRecord(d)) ||
        (d !== null &&
          (typeof d.content !== 'string' || (d.etag !== null && typeof d.etag !== 'string')))
      )
        throw new XcapValidationError(
          `cached document ${JSON.stringify(name)} is malformed`,
          'docs',
        );
    if (known === undefined) {
      // Not loaded through this object: what is stored is unknown, so every document gets a
      // new base and stale changes are purged.
      const { bases, changes, legacy } = await readKeys();
      known = new Map();
      for (const name of new Set([...bases, ...changes.keys()]))
        known.set(name, {
          doc: undefined,
          gen: '',
          seq: 0,
          count: 0,
          bytes: 0,
          baseBytes: 0,
          changesStored: true,
          legacy: false,
        });
      legacyStored = legacy;
    }
    let written = 0;
    for (const [name, st] of [...known]) {
      if (docs[name] !== undefined) continue;
      await storage.delete(baseKey(name));
      if (st.changesStored) await storage.purge(changesPrefix(name));
      known.delete(name);
    }
    for (const [name, d] of Object.entries(docs)) {
      const st = known.get(name);
      if (d === null) {
        if (st?.absent === true && !st.legacy) continue;
        const value = { absent: true, gen: newGen() };
        await storage.save(baseKey(name), value);
        if (st?.changesStored === true) await storage.purge(changesPrefix(name));
        known.set(name, { ...emptyState(), gen: value.gen, absent: true });
        written += JSON.stringify(value).length;
        continue;
      }
      const last = st?.doc;
      if (st === undefined || last === undefined || st.legacy) {
        written += await writeBase(name, d, st);
        continue;
      }
      if (
        last === d ||
        (last.root === d.root && last.etag === d.etag && sameHeaders(last.headers, d.headers))
      ) {
        st.doc = d;
        continue;
      }
      const record = {
        gen: st.gen,
        changes: last.root === d.root ? [] : trees.diff(last.root, d.root),
        etag: d.etag,
        ...(d.headers !== undefined ? { headers: { ...d.headers } } : {}),
      };
      const bytes = JSON.stringify(record).length;
      const budget = Math.max(limits.minBytes, st.baseBytes * limits.baseRatio);
      if (st.count + 1 > limits.maxChanges || st.bytes + bytes > budget) {
        written += await writeBase(name, d, st);
        continue;
      }
      await storage.save([...changesPrefix(name), seqKey(st.seq)], record);
      st.seq += 1;
      st.count += 1;
      st.bytes += bytes;
      st.changesStored = true;
      st.doc = d;
      written += bytes;
    }
    if (legacyStored) {
      await storage.delete(legacyKey);
      legacyStored = false;
    }
    return written;
  };

  return {
    load,
    save,
    async clear() {
      await storage.delete(legacyKey);
      await storage.purge([accountId, 'documents']);
      await storage.purge([accountId, 'document-changes']);
      known = new Map();
      legacyStored = false;
    },
  };
}

/**
 * {@link documentChangeLog} with rxcap's XML trees (parseXml, serializeXml, tree-diff.ts): what
 * the manager stores, read or written outside a manager (tools, tests).
 *
 * @example const docs = await xmlDocumentChangeLog(storage, 'alice@example.com').load();
 */
export function xmlDocumentChangeLog(
  storage: StoragePort,
  accountId: string,
  limits: ChangeLogLimits = CHANGE_LOG_LIMITS,
) {
  return documentChangeLog<XmlElement>(
    storage,
    accountId,
    {
      parse: parseXml,
      serialize: serializeXml,
      diff: diffTrees,
      apply: (root, changes) => applyTreeChanges(root, changes as TreeChange[]),
    },
    limits,
  );
}
