/**
 * The rxcap data model: immutable values with validation in constructors.
 *
 * @example
 * ```ts
 * import { Contact, ContactURI, EventHandling } from './model/index.js';
 * ```
 */
export {
  Addressbook,
  type AddressbookData,
  assertSubHandling,
  DialogRules,
  PresenceRules,
  SUB_HANDLING_VALUES,
  type SubHandling,
} from './addressbook.js';
export { decodeBase64, encodeBase64 } from './base64.js';
export { Contact, type ContactData, type ContactInit } from './contact.js';
export { ContactURI, type ContactURIData, type ContactURIInit } from './contact-uri.js';
export { EventHandling, type EventHandlingData } from './event-handling.js';
export { Group, type GroupData, type GroupInit } from './group.js';
export {
  ICON_MIME_TYPES,
  Icon,
  type IconData,
  type IconInit,
  type IconMimeType,
  MAX_ICON_BYTES,
  PORTABLE_ICON_BYTES,
} from './icon.js';
export {
  OfflineStatus,
  type OfflineStatusData,
  type PidfLike,
  RawPidf,
} from './offline-status.js';
export { Policy, type PolicyData, type PolicyInit } from './policy.js';
export {
  type Attributes,
  assertId,
  assertPolicy,
  assertUri,
  generateId,
  isValidId,
  isValidUri,
  isXmlText,
  POLICY_VALUES,
  type PolicyValue,
  RESERVED_PRESENCE_POLICIES,
  sameAttributes,
} from './validation.js';
