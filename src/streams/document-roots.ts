/**
 * The safety check of every update: a document whose root element is not its application's (an
 * HTML error page served as resource-lists, another application's document) is never edited
 * and written back. Normalizing such a document would replace it with an empty skeleton and the
 * PUT would overwrite whatever the server holds. It runs in the update pipeline, before the
 * document engine, so that an injected engine cannot drop it (robustness test "an HTML page
 * served as resource-lists (wrong content type) is a typed error, not overwritten").
 */
import type { DocumentName } from '../codecs/applications.js';
import { XcapCodecError } from '../codecs/xml/codec-error.js';
import { NS } from '../codecs/xml/tree.js';
import type { SyncDocuments } from './ports.js';

/** Root element (namespace, local name) of each document (RFC 4826 §3.2, RFC 4745 §7, RFC 3863 §4). */
const ROOTS: Readonly<Record<DocumentName, readonly [string, string]>> = {
  'resource-lists': [NS.resourceLists, 'resource-lists'],
  'rls-services': [NS.rlsServices, 'rls-services'],
  'pres-rules': [NS.commonPolicy, 'ruleset'],
  'dialog-rules': [NS.commonPolicy, 'ruleset'],
  'pidf-manipulation': [NS.pidf, 'presence'],
  'pres-content': [NS.presContent, 'content'],
};

/**
 * Returns `docs` when every present document has its application's root element; throws
 * {@link XcapCodecError} naming the first that does not (nothing is written then).
 *
 * @example const base = checkDocumentRoots(treesOf(cmd.documents, names));
 */
export function checkDocumentRoots(docs: SyncDocuments): SyncDocuments {
  for (const [name, root] of Object.entries(docs) as [
    DocumentName,
    SyncDocuments[DocumentName],
  ][]) {
    const expected = ROOTS[name];
    if (!root || expected === undefined) continue;
    const [ns, local] = expected;
    if (root.ns !== ns || root.name !== local) {
      throw new XcapCodecError(
        name,
        `the root element is {${root.ns}}${root.name}, expected {${ns}}${local}; not overwritten`,
        root.name,
      );
    }
  }
  return docs;
}
