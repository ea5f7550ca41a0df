/**
 * The conversions between the machine's documents (parsed trees) and the document cache's
 * stored form (text, ETag, headers).
 */
import { DOCUMENT_NAMES } from '../codecs/applications.js';
import type { XmlElement } from '../codecs/xml/tree.js';
import type { CachedDocument } from '../store/document-cache.js';
import type { DocumentStore, StoredDocument } from '../streams/events.js';

/**
 * The cache form of the known documents (absent ones are not stored): the held documents
 * themselves, so that the incremental cache finds what changed by identity.
 *
 * @example cache.save(cacheForm(command.documents))
 */
export function cacheForm(documents: DocumentStore): Record<string, StoredDocument> {
  const out: Record<string, StoredDocument> = {};
  for (const n of DOCUMENT_NAMES) {
    const d: StoredDocument | null | undefined = documents[n];
    if (d) out[n] = d;
  }
  return out;
}

/**
 * The machine's documents from the cache form, parsed (or with the tree the cache rebuilt). A corrupt cache entry is left out (it is
 * then refetched unconditionally) and reported once through `onCorrupt`.
 *
 * @example
 * ```ts
 * const documents = restoreDocuments(await cache.load(), engine.parse, (e) => error$.next(e));
 * ```
 */
export function restoreDocuments(
  cached: Readonly<Record<string, CachedDocument & { root?: XmlElement }>>,
  parse: (content: string) => XmlElement,
  onCorrupt: (e: unknown) => void,
): DocumentStore {
  const documents: DocumentStore = {};
  for (const n of DOCUMENT_NAMES) {
    const d = cached[n];
    if (d === undefined) continue;
    try {
      documents[n] = {
        content: d.content,
        etag: d.etag,
        root: d.root ?? parse(d.content),
        ...(d.headers ? { headers: d.headers } : {}),
      };
    } catch (e) {
      onCorrupt(e);
    }
  }
  return documents;
}
