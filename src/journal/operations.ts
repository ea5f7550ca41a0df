/**
 * Journal operations: plain, JSON-serializable data with a `type` discriminator, one per
 * manager method that queues an XCAP operation on the journal. The journal persists only
 * data, never closures, so it survives restarts.
 * The builders in {@link operations} validate synchronously and throw a typed error, so that
 * nothing invalid is ever journaled.
 */
import { Pidf } from '../codecs/pidf.js';
import { XcapValidationError } from '../errors.js';
import { assertSubHandling, type SubHandling } from '../model/addressbook.js';
import { Contact, type ContactData } from '../model/contact.js';
import { ContactURI, type ContactURIData } from '../model/contact-uri.js';
import { EventHandling, type EventHandlingData } from '../model/event-handling.js';
import { Group, type GroupData } from '../model/group.js';
import { Icon, type IconData } from '../model/icon.js';
import { OfflineStatus, type PidfLike } from '../model/offline-status.js';
import { Policy, type PolicyData } from '../model/policy.js';
import {
  assertBoolean,
  assertId,
  assertPolicy,
  assertString,
  assertUri,
  freezeAttributes,
  RESERVED_PRESENCE_POLICIES,
} from '../model/validation.js';

/** Partial event handling in a change set. */
export interface EventHandlingChange {
  readonly policy?: EventHandlingData['policy'];
  readonly subscribe?: boolean;
}

/** Attribute edits: `attributes` are merged into the bag (null = a null value), `removeAttributes` deleted. */
export interface AttributeChanges {
  readonly attributes?: Readonly<Record<string, string | null>>;
  readonly removeAttributes?: readonly string[];
}

/** Changes of `updateContact` (URIs change through the *ContactUri operations). */
export interface ContactChanges extends AttributeChanges {
  readonly name?: string;
  /** Id of the default URI, or null for none. */
  readonly defaultUri?: string | null;
  readonly presence?: EventHandlingChange;
  readonly dialog?: EventHandlingChange;
}

/** Changes of `updateContactUri`. */
export interface ContactURIChanges extends AttributeChanges {
  readonly uri?: string;
  readonly type?: string | null;
}

/** Changes of `updateGroup` (members change through add/removeGroupMember). */
export interface GroupChanges extends AttributeChanges {
  readonly name?: string;
}

/** Changes of `updatePolicy`. */
export interface PolicyChanges extends AttributeChanges {
  readonly name?: string;
  readonly uri?: string;
  readonly presence?: EventHandlingChange;
  readonly dialog?: EventHandlingChange;
}

/** The icon as journal data (base64 image; the location is not stored). */
export type IconOperationData = Omit<IconData, 'location'>;

/** A journal operation. */
export type Operation =
  | { readonly type: 'normalize' }
  | { readonly type: 'addGroup'; readonly group: GroupData }
  | { readonly type: 'updateGroup'; readonly groupId: string; readonly changes: GroupChanges }
  | { readonly type: 'removeGroup'; readonly groupId: string }
  | { readonly type: 'addContact'; readonly contact: ContactData }
  | { readonly type: 'updateContact'; readonly contactId: string; readonly changes: ContactChanges }
  | { readonly type: 'removeContact'; readonly contactId: string }
  | { readonly type: 'addContactUri'; readonly contactId: string; readonly uri: ContactURIData }
  | {
      readonly type: 'updateContactUri';
      readonly contactId: string;
      readonly uriId: string;
      readonly changes: ContactURIChanges;
    }
  | { readonly type: 'removeContactUri'; readonly contactId: string; readonly uriId: string }
  | { readonly type: 'addGroupMember'; readonly groupId: string; readonly contactId: string }
  | { readonly type: 'removeGroupMember'; readonly groupId: string; readonly contactId: string }
  | { readonly type: 'addPolicy'; readonly policy: PolicyData }
  | { readonly type: 'updatePolicy'; readonly policyId: string; readonly changes: PolicyChanges }
  | { readonly type: 'removePolicy'; readonly policyId: string }
  | { readonly type: 'setDefaultPresencePolicy'; readonly policy: SubHandling }
  | { readonly type: 'setDefaultDialogPolicy'; readonly policy: SubHandling }
  | { readonly type: 'setStatusIcon'; readonly icon: IconOperationData | null }
  | { readonly type: 'setOfflineStatus'; readonly pidf: string | null };

/** The `type` of an operation. */
export type OperationType = Operation['type'];

function idOf(x: { id: string } | string, field: string): string {
  return typeof x === 'string' ? assertId(x, field) : assertId(x?.id, field);
}

/**
 * Checks an event-handling change. A policy naming an OMA reserved presence rule
 * (`wp_prs_unlisted`...) is ignored, as sipsimple's XCAP API specifies; any other unknown policy is an error.
 */
function handlingChange(v: unknown, field: string): EventHandlingChange | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object')
    throw new XcapValidationError(`${field} must be an object`, field);
  const h = v as { policy?: unknown; subscribe?: unknown };
  const out: { policy?: EventHandlingData['policy']; subscribe?: boolean } = {};
  if (h.policy !== undefined && !RESERVED_PRESENCE_POLICIES.includes(h.policy as string))
    out.policy = assertPolicy(h.policy, `${field}.policy`);
  if (h.subscribe !== undefined) out.subscribe = assertBoolean(h.subscribe, `${field}.subscribe`);
  return out.policy === undefined && out.subscribe === undefined ? undefined : out;
}

function attributeChanges(c: AttributeChanges, field: string): AttributeChanges {
  const out: { attributes?: Record<string, string | null>; removeAttributes?: string[] } = {};
  if (c.attributes !== undefined)
    out.attributes = { ...freezeAttributes(c.attributes, `${field}.attributes`) };
  if (c.removeAttributes !== undefined) {
    if (!Array.isArray(c.removeAttributes))
      throw new XcapValidationError(
        `${field}.removeAttributes must be an array`,
        `${field}.removeAttributes`,
      );
    out.removeAttributes = c.removeAttributes.map((k) =>
      assertString(k, `${field}.removeAttributes[]`),
    );
  }
  return out;
}

function changesObject(c: unknown, field: string): Record<string, unknown> {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new XcapValidationError(`${field} must be an object`, field);
  return c as Record<string, unknown>;
}

/**
 * Validates a contact change set (shared by the builder and by apply, for journals loaded from
 * storage). Throws {@link XcapValidationError}.
 */
export function checkContactChanges(changes: unknown): ContactChanges {
  const c = changesObject(changes, 'changes');
  const out: {
    -readonly [K in keyof ContactChanges]: ContactChanges[K];
  } = { ...attributeChanges(c as AttributeChanges, 'changes') };
  if (c.name !== undefined) out.name = assertString(c.name, 'changes.name');
  if (c.defaultUri !== undefined)
    out.defaultUri = c.defaultUri === null ? null : assertId(c.defaultUri, 'changes.defaultUri');
  const presence = handlingChange(c.presence, 'changes.presence');
  if (presence) out.presence = presence;
  const dialog = handlingChange(c.dialog, 'changes.dialog');
  if (dialog) out.dialog = dialog;
  return out;
}

/** Validates a contact URI change set. */
export function checkContactUriChanges(changes: unknown): ContactURIChanges {
  const c = changesObject(changes, 'changes');
  const out: { -readonly [K in keyof ContactURIChanges]: ContactURIChanges[K] } = {
    ...attributeChanges(c as AttributeChanges, 'changes'),
  };
  if (c.uri !== undefined) out.uri = assertUri(c.uri, 'changes.uri');
  if (c.type !== undefined)
    out.type = c.type === null ? null : assertString(c.type, 'changes.type');
  return out;
}

/** Validates a group change set. */
export function checkGroupChanges(changes: unknown): GroupChanges {
  const c = changesObject(changes, 'changes');
  const out: { -readonly [K in keyof GroupChanges]: GroupChanges[K] } = {
    ...attributeChanges(c as AttributeChanges, 'changes'),
  };
  if (c.name !== undefined) out.name = assertString(c.name, 'changes.name');
  return out;
}

/** Validates a policy change set. */
export function checkPolicyChanges(changes: unknown): PolicyChanges {
  const c = changesObject(changes, 'changes');
  const out: { -readonly [K in keyof PolicyChanges]: PolicyChanges[K] } = {
    ...attributeChanges(c as AttributeChanges, 'changes'),
  };
  if (c.name !== undefined) out.name = assertString(c.name, 'changes.name');
  if (c.uri !== undefined) out.uri = assertUri(c.uri, 'changes.uri');
  const presence = handlingChange(c.presence, 'changes.presence');
  if (presence) out.presence = presence;
  const dialog = handlingChange(c.dialog, 'changes.dialog');
  if (dialog) out.dialog = dialog;
  return out;
}

function plain<T>(x: { toJSON(): T }): T {
  return x.toJSON();
}

/**
 * Builders of the operations, one per manager method. Each validates its arguments
 * synchronously (typed {@link XcapValidationError}; nothing is journaled) and returns the
 * operation as plain data. Targets are given as model objects or ids; whether the id exists is
 * decided when the operation is applied (a missing target is a reported no-op), because the
 * documents may change before the operation reaches the server.
 *
 * @example
 * ```ts
 * const op = operations.addContact(new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }));
 * const { docs, outcome } = applyOperation(docs0, op, ctx);
 * ```
 */
export const operations = {
  normalize(): Operation {
    return { type: 'normalize' };
  },
  addGroup(group: Group): Operation {
    return { type: 'addGroup', group: plain(Group.from(group)) };
  },
  updateGroup(group: Group | string, changes: GroupChanges): Operation {
    return {
      type: 'updateGroup',
      groupId: idOf(group, 'group'),
      changes: checkGroupChanges(changes),
    };
  },
  removeGroup(group: Group | string): Operation {
    return { type: 'removeGroup', groupId: idOf(group, 'group') };
  },
  addContact(contact: Contact): Operation {
    return { type: 'addContact', contact: plain(Contact.from(contact)) };
  },
  updateContact(contact: Contact | string, changes: ContactChanges): Operation {
    return {
      type: 'updateContact',
      contactId: idOf(contact, 'contact'),
      changes: checkContactChanges(changes),
    };
  },
  removeContact(contact: Contact | string): Operation {
    return { type: 'removeContact', contactId: idOf(contact, 'contact') };
  },
  addContactUri(contact: Contact | string, uri: ContactURI): Operation {
    return {
      type: 'addContactUri',
      contactId: idOf(contact, 'contact'),
      uri: plain(ContactURI.from(uri)),
    };
  },
  updateContactUri(
    contact: Contact | string,
    uri: ContactURI | string,
    changes: ContactURIChanges,
  ): Operation {
    return {
      type: 'updateContactUri',
      contactId: idOf(contact, 'contact'),
      uriId: idOf(uri, 'uri'),
      changes: checkContactUriChanges(changes),
    };
  },
  removeContactUri(contact: Contact | string, uri: ContactURI | string): Operation {
    return {
      type: 'removeContactUri',
      contactId: idOf(contact, 'contact'),
      uriId: idOf(uri, 'uri'),
    };
  },
  addGroupMember(group: Group | string, contact: Contact | string): Operation {
    return {
      type: 'addGroupMember',
      groupId: idOf(group, 'group'),
      contactId: idOf(contact, 'contact'),
    };
  },
  removeGroupMember(group: Group | string, contact: Contact | string): Operation {
    return {
      type: 'removeGroupMember',
      groupId: idOf(group, 'group'),
      contactId: idOf(contact, 'contact'),
    };
  },
  addPolicy(policy: Policy): Operation {
    return { type: 'addPolicy', policy: plain(Policy.from(policy)) };
  },
  updatePolicy(policy: Policy | string, changes: PolicyChanges): Operation {
    return {
      type: 'updatePolicy',
      policyId: idOf(policy, 'policy'),
      changes: checkPolicyChanges(changes),
    };
  },
  removePolicy(policy: Policy | string): Operation {
    return { type: 'removePolicy', policyId: idOf(policy, 'policy') };
  },
  setDefaultPresencePolicy(policy: string): Operation {
    return { type: 'setDefaultPresencePolicy', policy: assertSubHandling(policy, 'policy') };
  },
  setDefaultDialogPolicy(policy: string): Operation {
    return { type: 'setDefaultDialogPolicy', policy: assertSubHandling(policy, 'policy') };
  },
  setStatusIcon(icon: Icon | null): Operation {
    if (icon === null) return { type: 'setStatusIcon', icon: null };
    if (!(icon instanceof Icon))
      throw new XcapValidationError('icon must be an Icon or null', 'icon');
    const { data, mimeType, description } = icon.toJSON();
    return { type: 'setStatusIcon', icon: { data, mimeType, description } };
  },
  setOfflineStatus(status: OfflineStatus<PidfLike> | null): Operation {
    if (status === null) return { type: 'setOfflineStatus', pidf: null };
    if (!(status instanceof OfflineStatus))
      throw new XcapValidationError('status must be an OfflineStatus or null', 'status');
    const pidf = status.pidf.toXml();
    // Refuse a PIDF that could never be applied (operation methods validate
    // synchronously and journal nothing); apply would only skip it later, unseen by the caller.
    try {
      Pidf.parse(pidf);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message.slice(0, 200) : 'not a PIDF document';
      throw new XcapValidationError(`status.pidf is not a usable PIDF document: ${why}`, 'status', {
        cause,
      });
    }
    return { type: 'setOfflineStatus', pidf };
  },
} as const;

/** Merges a partial handling into a full one. */
export function mergeHandling(
  h: EventHandlingData,
  c: EventHandlingChange | undefined,
): EventHandlingData {
  if (!c) return h;
  return new EventHandling(c.policy ?? h.policy, c.subscribe ?? h.subscribe).toJSON();
}

/** Applies attribute changes to a bag. */
export function mergeAttributes(
  bag: Readonly<Record<string, string | null>>,
  c: AttributeChanges,
): Record<string, string | null> {
  const out: Record<string, string | null> = { ...bag, ...(c.attributes ?? {}) };
  for (const k of c.removeAttributes ?? []) delete out[k];
  return out;
}
