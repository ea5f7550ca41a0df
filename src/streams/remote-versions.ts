/**
 * Which versions a NOTIFY names and whether we already hold them (RFC 5875 §4.5): a NOTIFY for
 * our own write, a whole PUT or a step of an element-write chain, needs no GET, also when it
 * arrives before the write's answer (the pending fetch keeps the ETags named).
 */
import { DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import type { DocumentStore, FetchScope, MachineContext } from './events.js';
import { bareEtag } from './patch.js';

/** At most this many ETags per document are kept for a pending fetch (a peer sends NOTIFYs). */
const MAX_PENDING_ETAGS = 64;

/**
 * The pending ETags with the versions a NOTIFY named for `names`: a document a NOTIFY named
 * without an ETag is unknown (empty) and stays so, as does one past the bound.
 *
 * @example notePendingEtags(c.pendingEtags, ['resource-lists'], { 'resource-lists': 'e2' })
 */
export function notePendingEtags(
  pending: MachineContext['pendingEtags'],
  names: readonly DocumentName[],
  etags: Partial<Record<DocumentName, string | null>>,
): Partial<Record<DocumentName, readonly (string | null)[]>> {
  const out: Partial<Record<DocumentName, readonly (string | null)[]>> = { ...pending };
  for (const n of names) {
    const before = out[n];
    const etag = etags[n];
    out[n] =
      etag === undefined || before?.length === 0 || (before?.length ?? 0) >= MAX_PENDING_ETAGS
        ? []
        : [...(before ?? []), etag];
  }
  return out;
}

/**
 * True when a NOTIFY's ETag for a document (null: deleted) names the version we hold, or one
 * our own writes made and then replaced.
 *
 * @example alreadyHeld(context.documents['resource-lists'], '"e3"')
 */
export function alreadyHeld(
  known: DocumentStore[DocumentName],
  newEtag: string | null | undefined,
): boolean {
  if (newEtag === undefined || known === undefined) return false;
  if (newEtag === null) return known === null;
  if (known === null) return false;
  const tag = bareEtag(newEtag);
  if (known.etag !== null && bareEtag(known.etag) === tag) return true;
  // A version our own writes made and then replaced (a step of an element-write chain).
  return known.ownEtags?.some((e) => bareEtag(e) === tag) ?? false;
}

/**
 * The pending fetch once an update is done: a document named only by NOTIFYs of versions it now
 * holds (the NOTIFY of one of its own writes, e.g. a step of an element-write chain, RFC 5875
 * §4.5) is left out. Null when nothing is left to fetch.
 *
 * @example stillPending(c.pendingFetch, c.pendingEtags, documents)
 */
export function stillPending(
  scope: FetchScope | null,
  etags: MachineContext['pendingEtags'],
  documents: DocumentStore,
): FetchScope | null {
  if (scope === null || scope === 'all' || etags === undefined) return scope;
  const left = scope.filter((n) => {
    const named = etags[n];
    return (
      named === undefined || named.length === 0 || named.some((e) => !alreadyHeld(documents[n], e))
    );
  });
  return left.length === 0 ? null : left;
}

/**
 * The union of two fetch scopes.
 *
 * @example mergeScope(['pres-rules'], ['resource-lists']) // ['resource-lists', 'pres-rules']
 */
export function mergeScope(a: FetchScope | null, b: FetchScope): FetchScope {
  if (a === null) return b;
  if (a === 'all' || b === 'all') return 'all';
  return DOCUMENT_NAMES.filter((n) => a.includes(n) || b.includes(n));
}
