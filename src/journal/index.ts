/**
 * The journal (DESIGN §1): serializable operations and the pure functions that apply them to
 * documents, normalize, and extraction of the model.
 *
 * @example
 * ```ts
 * import { applyOperations, extractData, operations } from './journal/index.js';
 * ```
 */
export { applyOperation, applyOperations, parsePidf } from './apply.js';
export { DERIVED_LIST_NAMES, type DerivedLists, deriveLists, referencedUris } from './derived.js';
export { type ExtractedData, extractAddressbook, extractData } from './extract.js';
export { iconDocument, iconFromDocument, readIconDocument } from './icon-document.js';
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
