import { XcapValidationError } from '../errors.js';
import { Contact } from './contact.js';
import {
  type Attributes,
  assertId,
  assertInit,
  assertString,
  freezeAttributes,
  idOrGenerated,
  sameAttributes,
} from './validation.js';

/** Plain JSON form of a {@link Group}: members as contact ids, in order. */
export interface GroupData {
  readonly id: string;
  readonly name: string;
  readonly contacts: readonly string[];
  readonly attributes: Attributes;
}

/** Constructor argument of {@link Group}. Members are contacts or contact ids. */
export interface GroupInit {
  id?: string;
  name: string;
  contacts?: readonly (Contact | string)[];
  attributes?: Attributes;
}

/**
 * A named set of contacts (sipsimple's Group). `contacts` holds the member Contact objects that are
 * known; `contactIds` always holds every member id in order (a group built from ids alone has
 * ids only; groups in an extracted {@link Addressbook} have both).
 *
 * @example
 * ```ts
 * const work = new Group({ name: 'Work', contacts: [bob] });
 * work.contactIds // [bob.id]
 * ```
 */
export class Group {
  readonly id: string;
  readonly name: string;
  readonly contacts: readonly Contact[];
  readonly contactIds: readonly string[];
  readonly attributes: Attributes;

  constructor(init: GroupInit) {
    assertInit(init, 'Group', 'group');
    this.id = idOrGenerated(init.id, 'group.id');
    this.name = assertString(init.name, 'group.name');
    if (init.contacts !== undefined && !Array.isArray(init.contacts))
      throw new XcapValidationError('group.contacts must be an array', 'group.contacts');
    const contacts: Contact[] = [];
    const ids: string[] = [];
    for (const c of init.contacts ?? []) {
      const id = c instanceof Contact ? c.id : assertId(c, 'group.contacts[]');
      if (ids.includes(id)) continue; // membership is a set (sipsimple ignores a second add)
      ids.push(id);
      if (c instanceof Contact) contacts.push(c);
    }
    this.contacts = Object.freeze(contacts);
    this.contactIds = Object.freeze(ids);
    this.attributes = freezeAttributes(init.attributes, 'group.attributes');
    Object.freeze(this);
  }

  /** Builds from an instance or its JSON form. @example Group.from({ name: 'Work', contacts: ['id1'] }) */
  static from(value: Group | GroupInit): Group {
    return value instanceof Group ? value : new Group(value);
  }

  /** A copy with some fields replaced. @example work.with({ name: 'Office' }) */
  with(changes: Partial<Omit<GroupInit, 'id'>>): Group {
    return new Group({
      name: this.name,
      contacts: this.contacts.length === this.contactIds.length ? this.contacts : this.contactIds,
      attributes: this.attributes,
      ...changes,
      id: this.id,
    });
  }

  /** Value equality (members by id, in order). @example a.equals(b) */
  equals(other: GroupData): boolean {
    return (
      this.id === other.id &&
      this.name === other.name &&
      this.contactIds.length === other.contacts.length &&
      this.contactIds.every((id, i) => id === other.contacts[i]) &&
      sameAttributes(this.attributes, other.attributes)
    );
  }

  /** @example group.toJSON() // { id, name, contacts: [ids], attributes } */
  toJSON(): GroupData {
    return {
      id: this.id,
      name: this.name,
      contacts: [...this.contactIds],
      attributes: { ...this.attributes },
    };
  }
}
