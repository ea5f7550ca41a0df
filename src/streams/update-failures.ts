/**
 * How the update pipeline tells which operation or document a failure is about: a document
 * the server (409) or the write limits refused (its operations are replayed one at a time), and
 * the held documents a codec or XML failure is blamed on (fetched again).
 */
import { auidOf, DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import { statusOf } from './errors.js';
import type { MachineCommand } from './events.js';

/** The update command. */
export type UpdateCommand = Extract<MachineCommand, { type: 'update' }>;

/** Documents refused before sending because they are past the read limits. */
const tooLarge = new WeakSet<object>();

/** Marks `e` as a document refused for its size (handled like a 409). */
export function markTooLarge(e: object): void {
  tooLarge.add(e);
}

/** The server (409) or the write limits refused a document: find the operation that causes it. */
export function refusedDocument(e: unknown): boolean {
  return statusOf(e) === 409 || (typeof e === 'object' && e !== null && tooLarge.has(e));
}

/** Errors thrown while serializing a document, tagged with that document. */
const blamedOn = new WeakMap<object, DocumentName>();

/** Tags an error thrown while serializing document `name` with it. */
export function blameOn(e: unknown, name: DocumentName): void {
  if (e !== null && typeof e === 'object') blamedOn.set(e, name);
}

/**
 * The held documents an update failure is blamed on: the document a codec error names (a
 * foreign root, a wrong shape), the document whose tree could not be serialized, or, for an XML
 * or codec error that names none, every held document. HTTP failures and bugs blame none. The
 * machine fetches the blamed documents again instead of replaying the journal on them forever
 * (regression test "a document rxcap refuses is fetched again until the server serves a good
 * one").
 */
export function blamedDocuments(error: unknown, cmd: UpdateCommand): DocumentName[] {
  const held = cmd.discovery.supported.filter((n) => cmd.documents[n] != null);
  if (error === null || typeof error !== 'object') return [];
  const tagged = blamedOn.get(error);
  if (tagged !== undefined) return held.includes(tagged) ? [tagged] : [];
  const code = (error as { code?: unknown }).code;
  if (code === 'RXCAP_CODEC') {
    const named = documentNamed((error as { document?: unknown }).document, cmd);
    if (named !== undefined) return held.includes(named) ? [named] : [];
    return held;
  }
  return typeof code === 'string' && code.startsWith('RXCAP_XML_') ? held : [];
}

/** The document a codec error's `document` names: a document name, an AUID, or `pidf`. */
function documentNamed(document: unknown, cmd: UpdateCommand): DocumentName | undefined {
  if (typeof document !== 'string') return undefined;
  if (document === 'pidf') return 'pidf-manipulation';
  return DOCUMENT_NAMES.find(
    (n) => n === document || auidOf(n, cmd.discovery.presRulesAuid) === document,
  );
}
