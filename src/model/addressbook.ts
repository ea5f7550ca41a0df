import { XcapValidationError } from '../errors.js';
import type { Contact, ContactData } from './contact.js';
import type { Group, GroupData } from './group.js';
import type { Policy, PolicyData } from './policy.js';

/** Plain JSON form of an {@link Addressbook}. */
export interface AddressbookData {
  readonly contacts: readonly ContactData[];
  readonly groups: readonly GroupData[];
  readonly policies: readonly PolicyData[];
}

/**
 * Contacts, groups and policies, in document order (sipsimple's Addressbook).
 *
 * @example
 * ```ts
 * manager.addressbook$.subscribe((ab) => console.log(ab.contacts.map((c) => c.name)));
 * ```
 */
export class Addressbook {
  readonly contacts: readonly Contact[];
  readonly groups: readonly Group[];
  readonly policies: readonly Policy[];

  constructor(
    contacts: readonly Contact[] = [],
    groups: readonly Group[] = [],
    policies: readonly Policy[] = [],
  ) {
    this.contacts = Object.freeze([...contacts]);
    this.groups = Object.freeze([...groups]);
    this.policies = Object.freeze([...policies]);
    Object.freeze(this);
  }

  /** The contact with this id. @example ab.contact('id123')?.name */
  contact(id: string): Contact | undefined {
    return this.contacts.find((c) => c.id === id);
  }

  /** The group with this id. @example ab.group('id123')?.name */
  group(id: string): Group | undefined {
    return this.groups.find((g) => g.id === id);
  }

  /** The policy with this id. @example ab.policy('id123')?.uri */
  policy(id: string): Policy | undefined {
    return this.policies.find((p) => p.id === id);
  }

  /** @example JSON.stringify(addressbook) */
  toJSON(): AddressbookData {
    return {
      contacts: this.contacts.map((c) => c.toJSON()),
      groups: this.groups.map((g) => g.toJSON()),
      policies: this.policies.map((p) => p.toJSON()),
    };
  }
}

/**
 * Values of the RFC 5025 §3.2.1 `sub-handling` action that a default (unlisted) presence or
 * dialog rule may have; python-sipsimple writes `confirm` unless told otherwise.
 */
export type SubHandling = 'block' | 'confirm' | 'polite-block' | 'allow';

/** The sub-handling values. */
export const SUB_HANDLING_VALUES: readonly SubHandling[] = Object.freeze([
  'block',
  'confirm',
  'polite-block',
  'allow',
]);

/**
 * Throws unless `value` is a sub-handling value.
 *
 * @example assertSubHandling('confirm', 'policy')
 */
export function assertSubHandling(value: unknown, field: string): SubHandling {
  if (typeof value !== 'string' || !(SUB_HANDLING_VALUES as readonly string[]).includes(value))
    throw new XcapValidationError(
      `${field} must be one of ${SUB_HANDLING_VALUES.join(', ')}, got ${JSON.stringify(value)}`,
      field,
    );
  return value as SubHandling;
}

/**
 * What {@link PresenceRules} and {@link DialogRules} share: rxcap manages only the default
 * policy of a common-policy ruleset (RFC 4745), the sub-handling for unlisted watchers. Two
 * subclasses keep the two documents apart for `instanceof` and in signatures.
 *
 * @example new PresenceRules('confirm') instanceof DefaultPolicyRules // true
 */
export abstract class DefaultPolicyRules {
  readonly defaultPolicy: SubHandling | null;
  constructor(defaultPolicy: SubHandling | null) {
    this.defaultPolicy =
      defaultPolicy === null ? null : assertSubHandling(defaultPolicy, 'defaultPolicy');
    Object.freeze(this);
  }
  toJSON(): { defaultPolicy: SubHandling | null } {
    return { defaultPolicy: this.defaultPolicy };
  }
}

/**
 * The presence rules rxcap manages: only the default policy for unlisted watchers
 * (sipsimple's PresenceRules). null when the document has no default rule.
 *
 * @example new PresenceRules('confirm').defaultPolicy // 'confirm'
 */
export class PresenceRules extends DefaultPolicyRules {}

/**
 * The dialog rules rxcap manages: only the default policy (sipsimple's DialogRules). null when the
 * server has no dialog-rules application or the document has no default rule.
 *
 * @example new DialogRules('block').defaultPolicy // 'block'
 */
export class DialogRules extends DefaultPolicyRules {}
