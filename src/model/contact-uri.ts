import {
  type Attributes,
  assertInit,
  assertString,
  assertUri,
  freezeAttributes,
  idOrGenerated,
  sameAttributes,
} from './validation.js';

/**
 * Plain JSON form of a {@link ContactURI}.
 *
 * @example const data: ContactURIData = uri.toJSON(); // { id, uri, type, attributes }
 */
export interface ContactURIData {
  readonly id: string;
  readonly uri: string;
  readonly type: string | null;
  readonly attributes: Attributes;
}

/**
 * Constructor argument of {@link ContactURI}.
 *
 * @example new ContactURI({ uri: 'tel:+15551234567', type: 'Mobile' } satisfies ContactURIInit);
 */
export interface ContactURIInit {
  id?: string;
  uri: string;
  type?: string | null;
  attributes?: Attributes;
}

/**
 * One URI of a contact (SIP, tel, or any other scheme), with an optional type label
 * (`SIP`, `Mobile`...) and an attribute bag.
 *
 * @example
 * ```ts
 * const uri = new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' });
 * ```
 */
export class ContactURI {
  readonly id: string;
  readonly uri: string;
  readonly type: string | null;
  readonly attributes: Attributes;

  constructor(init: ContactURIInit) {
    assertInit(init, 'ContactURI', 'uri');
    this.id = idOrGenerated(init.id, 'uri.id');
    this.uri = assertUri(init.uri, 'uri.uri');
    this.type =
      init.type === undefined || init.type === null ? null : assertString(init.type, 'uri.type');
    this.attributes = freezeAttributes(init.attributes, 'uri.attributes');
    Object.freeze(this);
  }

  /**
   * Builds from an instance or its JSON form (validating).
   *
   * @example ContactURI.from({ id: 'id1', uri: 'tel:+1555', type: null, attributes: {} })
   */
  static from(value: ContactURI | ContactURIInit): ContactURI {
    return value instanceof ContactURI ? value : new ContactURI(value);
  }

  /** A copy with some fields replaced. @example uri.with({ type: 'Work' }) */
  with(changes: Partial<Omit<ContactURIInit, 'id'>>): ContactURI {
    return new ContactURI({ ...this.toJSON(), ...changes, id: this.id });
  }

  /** Value equality. @example a.equals(b) */
  equals(other: ContactURIData): boolean {
    return (
      this.id === other.id &&
      this.uri === other.uri &&
      this.type === other.type &&
      sameAttributes(this.attributes, other.attributes)
    );
  }

  /** @example uri.toJSON() // { id, uri, type, attributes } */
  toJSON(): ContactURIData {
    return { id: this.id, uri: this.uri, type: this.type, attributes: { ...this.attributes } };
  }
}
