/**
 * Write limits: rxcap never writes a document that no reader can read back. Every reader —
 * other devices, and this one after a restart — refuses a body past 16 MiB
 * (`RXCAP_RESPONSE_TOO_LARGE`) and a document past the XML limits (`RXCAP_XML_LIMIT`): a
 * transaction importing 25,000 contacts once PUT a 20.7 MB document that the server accepted
 * and nobody could read again.
 *
 * The check is synchronous and cheap: the view starts from the size of each held document (its
 * text, measured once per sync) and adds an upper estimate of what each journaled operation
 * adds — the markup of the items it writes (measured once with the real codec) plus its
 * escaped values and derived-list entries (write-estimate.ts) — without applying the journal
 * or serializing anything. An operation that would take a document past a limit is refused
 * with {@link XcapWriteLimitError} and nothing is journaled. Removals are not subtracted (the estimate stays an upper bound
 * until the next sync measures the documents again).
 */
import type { DocumentName } from '../codecs/applications.js';
import { DEFAULT_XML_LIMITS } from '../codecs/xml/limits.js';
import { XcapValidationError } from '../errors.js';
import type { Operation } from './operations.js';
import {
  type DocumentSize,
  documentSize,
  type Growth,
  growthOf,
  longestValue,
} from './write-estimate.js';

export { type DocumentSize, documentSize } from './write-estimate.js';

/**
 * The largest documents rxcap writes: no larger than what every reader reads. `maxBytes` is
 * both the XML limit and the client's default body limit (16 MiB each); `maxElements` and
 * `maxAttributeValueLength` are the XML limits (a value is checked against the smaller of the
 * attribute and text limits, as it may land in either).
 *
 * @example WRITE_LIMITS.maxBytes // 16777216
 */
export const WRITE_LIMITS = Object.freeze({
  maxBytes: DEFAULT_XML_LIMITS.maxBytes,
  maxElements: DEFAULT_XML_LIMITS.maxElements,
  maxValueLength: Math.min(
    DEFAULT_XML_LIMITS.maxAttributeValueLength,
    DEFAULT_XML_LIMITS.maxTextLength,
  ),
});

/** The names of the write limits. */
export type WriteLimitName = keyof typeof WRITE_LIMITS;

/**
 * An edit would produce a document no reader can read back (larger than the read limits); it
 * was refused and nothing was journaled. `limit` names the limit, `max` its value, `document`
 * the document it would have grown.
 *
 * @example
 * ```ts
 * try { manager.addContact(c); } catch (e) { if (e instanceof XcapWriteLimitError) alert(e.limit); }
 * ```
 */
export class XcapWriteLimitError extends XcapValidationError {
  readonly limit: WriteLimitName;
  readonly max: number;
  readonly document: DocumentName;

  constructor(document: DocumentName, limit: WriteLimitName, max: number, would: number) {
    super(
      `the ${document} document would exceed the write limit ${limit} (${max}; about ${would}): every reader would refuse it, so the edit is refused`,
      limit,
    );
    this.limit = limit;
    this.max = max;
    this.document = document;
  }
}

/**
 * The sizes of the held documents (absent ones count as empty).
 *
 * @example WriteBudget.of(documentSizes(context.documents))
 */
export function documentSizes(
  documents: Partial<Record<DocumentName, { readonly content: string } | null>>,
): Partial<Record<DocumentName, DocumentSize>> {
  const out: Partial<Record<DocumentName, DocumentSize>> = {};
  for (const [name, doc] of Object.entries(documents) as [
    DocumentName,
    { readonly content: string } | null | undefined,
  ][])
    if (doc) {
      let size = sizes.get(doc);
      if (size === undefined) {
        size = documentSize(doc.content);
        sizes.set(doc, size);
      }
      out[name] = size;
    }
  return out;
}

// Per held document object: a document no edit touched is not measured again on every edit
// (counting the elements of an unchanged 7.5 MB PIDF is a scan of its text).
const sizes = new WeakMap<object, DocumentSize>();

/**
 * The estimated sizes of the documents after the journal: `check(op)` throws
 * {@link XcapWriteLimitError} when `op` would take a document past {@link WRITE_LIMITS},
 * `apply(op)` adds its estimate.
 *
 * @example
 * ```ts
 * const budget = WriteBudget.of(documentSizes(documents));
 * budget.check(op); // throws when the document would grow past a read limit
 * budget.apply(op);
 * ```
 */
export class WriteBudget {
  private readonly sizes = new Map<DocumentName, DocumentSize>();

  private constructor(private readonly limits: typeof WRITE_LIMITS) {}

  /** A view starting from `sizes` (documents not named count as empty). */
  static of(
    sizes: Partial<Record<DocumentName, DocumentSize>> = {},
    limits: typeof WRITE_LIMITS = WRITE_LIMITS,
  ): WriteBudget {
    const b = new WriteBudget(limits);
    for (const [n, s] of Object.entries(sizes) as [DocumentName, DocumentSize][]) b.sizes.set(n, s);
    return b;
  }

  /** The estimated size of `document` after what was applied. */
  size(document: DocumentName): DocumentSize {
    return this.sizes.get(document) ?? { bytes: 0, elements: 0 };
  }

  /** Throws {@link XcapWriteLimitError} when `op` would take a document past a limit. */
  check(op: Operation): void {
    const long = longestValue(op);
    if (long !== undefined && long.length > this.limits.maxValueLength)
      throw new XcapWriteLimitError(
        long.document,
        'maxValueLength',
        this.limits.maxValueLength,
        long.length,
      );
    for (const g of growthOf(op)) {
      const next = this.after(g);
      if (next.bytes > this.limits.maxBytes)
        throw new XcapWriteLimitError(g.document, 'maxBytes', this.limits.maxBytes, next.bytes);
      if (next.elements > this.limits.maxElements)
        throw new XcapWriteLimitError(
          g.document,
          'maxElements',
          this.limits.maxElements,
          next.elements,
        );
    }
  }

  /** Adds the estimate of `op` (never throws). */
  apply(op: Operation): void {
    for (const g of growthOf(op)) this.sizes.set(g.document, this.after(g));
  }

  private after(g: Growth): DocumentSize {
    if (g.replaces) return { bytes: g.bytes, elements: g.elements };
    const s = this.size(g.document);
    return { bytes: s.bytes + g.bytes, elements: s.elements + g.elements };
  }
}
