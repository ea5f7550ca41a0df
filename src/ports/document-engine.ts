/**
 * The document engine port: the pure document functions the pipelines call (XML in and out,
 * capabilities decoding, applying journal operations), seen structurally; the manager wires
 * src/codecs and src/journal.
 */
import type { DocumentName } from '../codecs/applications.js';
import type { XmlElement } from '../codecs/xml/tree.js';

/**
 * Parsed documents by logical name; `null` = known to be absent (the journal's `Documents`).
 *
 * @example const docs: SyncDocuments = { 'resource-lists': parseXml(xml), 'rls-services': null };
 */
export type SyncDocuments = Partial<Record<DocumentName, XmlElement | null>>;

/**
 * What journal operations need to know about the account (the journal's `JournalContext`).
 *
 * @example const ctx: SyncContext = { xcapRoot, xui, presRulesAuid: 'pres-rules', supported: new Set(['resource-lists']) };
 */
export interface SyncContext {
  readonly xcapRoot: string;
  readonly xui: string;
  readonly presRulesAuid: string;
  readonly supported: ReadonlySet<DocumentName>;
}

/**
 * A journaled operation: JSON data with a `type` (the journal's `Operation`).
 *
 * @example const op: OperationData = { type: 'normalize' };
 */
export interface OperationData {
  readonly type: string;
}

/**
 * Server capabilities from `xcap-caps/global/index` (RFC 4825 §12).
 *
 * @example manager.capabilities$.subscribe((c: Capabilities) => console.log(c.auids));
 */
export interface Capabilities {
  readonly auids: string[];
  readonly extensions: string[];
  readonly namespaces: string[];
}

/**
 * The pure document functions the pipelines call: XML in and out, capabilities decoding and
 * applying journal operations. The manager wires src/codecs and src/journal; tests may pass
 * small fakes.
 *
 * @example
 * ```ts
 * const engine: DocumentEngine = { parse: parseXml, serialize: serializeXml, decodeCaps: decodeXcapCaps,
 *   apply: (docs, ops, ctx) => applyOperations(docs, ops as Operation[], ctx) };
 * ```
 */
export interface DocumentEngine {
  parse(content: string): XmlElement;
  serialize(root: XmlElement): string;
  decodeCaps(root: XmlElement): Capabilities;
  /**
   * Applies `ops` in order. Unchanged documents keep the same object reference; `outcomes[i]`
   * names the documents operation `i` changed.
   */
  apply(
    docs: SyncDocuments,
    ops: readonly OperationData[],
    ctx: SyncContext,
  ): {
    docs: SyncDocuments;
    outcomes: readonly { changed: readonly DocumentName[]; skipped?: string }[];
  };
}
