/**
 * The journal: serializable operations and the pure functions that apply them to
 * documents, normalize, and extraction of the model.
 *
 * Decisions (where the reference implementation, python3-sipsimple, differs or is silent):
 * - normalize keeps what it does not own: foreign rules, lists, services, entries, elements and
 *   attributes, and the transformations of its own rules; a document that is already normal is
 *   returned as the same object (never re-PUT; python-sipsimple re-PUTs its rules documents after every fetch).
 * - Derived lists: entries for URIs a contact or policy refers to are exactly the computed ones
 *   (python-sipsimple's set algebra, see derived.ts); entries for URIs nobody refers to are another client's and are kept, except that
 *   a URI blocked for an event package is never kept as granted for it; when an operation makes
 *   a URI unreferenced (removes its contact, URI or policy), its entries are removed as well.
 * - A contact without `<presence>`/`<dialog>` reads as default/no subscription, and normalize
 *   writes the missing elements (sipsimple ignores such a contact until then).
 * - Group members that are not contacts stay in the document but are left out on extraction;
 *   addGroup keeps only known members; removeContact removes the contact from every group.
 * - The pres-content document is not normalized (sipsimple deletes an icon with an unknown MIME
 *   type; rxcap leaves another client's icon alone and extracts null for it).
 * - Change sets merge attributes (`attributes`) and delete some (`removeAttributes`); a
 *   presence or dialog policy naming an OMA reserved rule is ignored (as in sipsimple).
 * - Whether a target id exists is decided when the operation is applied: a missing target is a
 *   no-op reported in `outcome.skipped`, never an exception; so is journal data that fails
 *   validation (e.g. hand-edited storage).
 *
 * @example
 * ```ts
 * import { applyOperations, extractData, operations } from './journal/index.js';
 * const { docs: next, outcomes } = applyOperations(docs, [operations.normalize(), op], ctx);
 * const { addressbook } = extractData(next, ctx);
 * ```
 */
export { applyOperation, applyOperations, parsePidf } from './apply.js';
export { DERIVED_LIST_NAMES, type DerivedLists, deriveLists, referencedUris } from './derived.js';
export { type ExtractedData, extractAddressbook, extractData } from './extract.js';
export { iconDocument, iconFromDocument, readIconDocument } from './icon-document.js';
export { type AddressbookIds, KnownIds, XcapUnknownIdError } from './known-ids.js';
export {
  emptyResourceLists,
  MANAGED_LIST_NAMES,
  normalizeResourceLists,
} from './normalize-resource-lists.js';
export { normalizeRlsServices, rlsServiceUri } from './normalize-rls-services.js';
export {
  DIALOG_RULES,
  defaultPolicyOf,
  normalizeRules,
  PRESENCE_RULES,
  type RulesFlavor,
  setDefaultPolicy,
} from './normalize-rules.js';
export {
  type AttributeChanges,
  type ContactChanges,
  type ContactURIChanges,
  type EventHandlingChange,
  type GroupChanges,
  type IconOperationData,
  type Operation,
  type OperationType,
  operations,
  type PolicyChanges,
} from './operations.js';
export type { Documents, JournalContext, OperationOutcome } from './types.js';
export {
  type DocumentSize,
  documentSize,
  documentSizes,
  WRITE_LIMITS,
  WriteBudget,
  type WriteLimitName,
  XcapWriteLimitError,
} from './write-budget.js';
