import { XcapValidationError } from '../errors.js';
import { ContactURI, type ContactURIData, type ContactURIInit } from './contact-uri.js';
import { EventHandling, type EventHandlingData } from './event-handling.js';
import {
  type Attributes,
  assertInit,
  assertString,
  freezeAttributes,
  idOrGenerated,
  sameAttributes,
} from './validation.js';

/** Plain JSON form of a {@link Contact}. `defaultUri` is the id of one of `uris`, or null. */
export interface ContactData {
  readonly id: string;
  readonly name: string;
  readonly uris: readonly ContactURIData[];
  readonly defaultUri: string | null;
  readonly presence: EventHandlingData;
  readonly dialog: EventHandlingData;
  readonly attributes: Attributes;
}

/** Constructor argument of {@link Contact}. */
export interface ContactInit {
  id?: string;
  name: string;
  uris?: readonly (ContactURI | ContactURIInit)[];
  /** Id of the default URI (one of `uris`), or null/absent for none. */
  defaultUri?: string | null;
  presence?: EventHandling | EventHandlingData;
  dialog?: EventHandling | EventHandlingData;
  attributes?: Attributes;
}

/**
 * A person with URIs, presence and dialog handling, and an attribute bag (sipsimple's Contact).
 * Stored in `<rl:list name="sipsimple_addressbook">` of the resource-lists document, in
 * python-sipsimple's layout.
 *
 * @example
 * ```ts
 * const bob = new Contact({
 *   name: 'Bob',
 *   uris: [new ContactURI({ id: 'bob_sip', uri: 'sip:bob@example.com' })],
 *   defaultUri: 'bob_sip',
 *   presence: new EventHandling('allow', true),
 * });
 * ```
 */
export class Contact {
  readonly id: string;
  readonly name: string;
  readonly uris: readonly ContactURI[];
  readonly defaultUri: string | null;
  readonly presence: EventHandling;
  readonly dialog: EventHandling;
  readonly attributes: Attributes;

  constructor(init: ContactInit) {
    assertInit(init, 'Contact', 'contact');
    this.id = idOrGenerated(init.id, 'contact.id');
    this.name = assertString(init.name, 'contact.name');
    if (init.uris !== undefined && !Array.isArray(init.uris))
      throw new XcapValidationError('contact.uris must be an array', 'contact.uris');
    const uris = (init.uris ?? []).map((u) => ContactURI.from(u));
    const seen = new Set<string>();
    for (const u of uris) {
      // sipsimple's addressbook.xsd types contact and URI ids as xs:ID (unique in a document).
      if (u.id === this.id)
        throw new XcapValidationError(
          `contact.uris has the contact's own id ${u.id}`,
          'contact.uris',
        );
      if (seen.has(u.id))
        throw new XcapValidationError(`contact.uris has the id ${u.id} twice`, 'contact.uris');
      seen.add(u.id);
    }
    this.uris = Object.freeze(uris);
    const def = init.defaultUri ?? null;
    if (def !== null && !seen.has(def))
      throw new XcapValidationError(
        `contact.defaultUri ${JSON.stringify(def)} is not the id of one of its URIs`,
        'contact.defaultUri',
      );
    this.defaultUri = def;
    this.presence = EventHandling.from(init.presence);
    this.dialog = EventHandling.from(init.dialog);
    this.attributes = freezeAttributes(init.attributes, 'contact.attributes');
    Object.freeze(this);
  }

  /**
   * Builds from an instance or its JSON form (validating).
   *
   * @example Contact.from(JSON.parse(JSON.stringify(bob)))
   */
  static from(value: Contact | ContactInit): Contact {
    return value instanceof Contact ? value : new Contact(value);
  }

  /** The default URI, if any. @example bob.defaultContactUri?.uri // 'sip:bob@example.com' */
  get defaultContactUri(): ContactURI | undefined {
    return this.defaultUri === null ? undefined : this.uris.find((u) => u.id === this.defaultUri);
  }

  /** A copy with some fields replaced. @example bob.with({ name: 'Robert' }) */
  with(changes: Partial<Omit<ContactInit, 'id'>>): Contact {
    return new Contact({ ...this.toJSON(), ...changes, id: this.id });
  }

  /** Value equality (URIs in order). @example a.equals(b) */
  equals(other: ContactData): boolean {
    return (
      this.id === other.id &&
      this.name === other.name &&
      this.defaultUri === other.defaultUri &&
      this.uris.length === other.uris.length &&
      this.uris.every((u, i) => u.equals(other.uris[i]!)) &&
      this.presence.equals(other.presence) &&
      this.dialog.equals(other.dialog) &&
      sameAttributes(this.attributes, other.attributes)
    );
  }

  /** @example contact.toJSON() // { id, name, uris, defaultUri, presence, dialog, attributes } */
  toJSON(): ContactData {
    return {
      id: this.id,
      name: this.name,
      uris: this.uris.map((u) => u.toJSON()),
      defaultUri: this.defaultUri,
      presence: this.presence.toJSON(),
      dialog: this.dialog.toJSON(),
      attributes: { ...this.attributes },
    };
  }
}
