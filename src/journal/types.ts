import type { DocumentName } from '../codecs/applications.js';
import type { XmlElement } from '../codecs/xml/tree.js';

/**
 * The documents an operation works on, by logical name. null or missing: absent on the server.
 *
 * @example const docs: Documents = { 'resource-lists': parseXml(xml), 'rls-services': null };
 */
export type Documents = Partial<Record<DocumentName, XmlElement | null>>;

/**
 * What operations need to know about the account and the server.
 *
 * @example
 * ```ts
 * const ctx: JournalContext = { xcapRoot: 'http://127.0.0.1:5080/xcap-root',
 *   xui: 'sip:alice@example.com', presRulesAuid: 'org.openmobilealliance.pres-rules',
 *   supported: new Set(DOCUMENT_NAMES) };
 * ```
 */
export interface JournalContext {
  /** XCAP root, written into the anchors of `oma_allcontacts`, rules and rls-services. */
  readonly xcapRoot: string;
  /** The user's XUI, e.g. `sip:alice@example.com`. */
  readonly xui: string;
  /** `org.openmobilealliance.pres-rules` or `pres-rules`. */
  readonly presRulesAuid: string;
  /** Documents the server offers; operations leave the others alone. */
  readonly supported: ReadonlySet<DocumentName>;
}

/**
 * What applying one operation did: the documents whose content changed (only those need a PUT
 * or DELETE), and why it was a no-op when it was skipped.
 */
export interface OperationOutcome {
  changed: DocumentName[];
  skipped?: string;
}
