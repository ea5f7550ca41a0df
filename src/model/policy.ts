import { EventHandling, type EventHandlingData } from './event-handling.js';
import {
  type Attributes,
  assertInit,
  assertString,
  assertUri,
  freezeAttributes,
  idOrGenerated,
  sameAttributes,
} from './validation.js';

/** Plain JSON form of a {@link Policy}. */
export interface PolicyData {
  readonly id: string;
  readonly name: string;
  readonly uri: string;
  readonly presence: EventHandlingData;
  readonly dialog: EventHandlingData;
  readonly attributes: Attributes;
}

/** Constructor argument of {@link Policy}. */
export interface PolicyInit {
  id?: string;
  name: string;
  uri: string;
  presence?: EventHandling | EventHandlingData;
  dialog?: EventHandling | EventHandlingData;
  attributes?: Attributes;
}

/**
 * A policy for one URI that is not a contact (sipsimple's Policy), e.g. a blocked telemarketer.
 * A contact's handling overrides a policy for the same URI, as python-sipsimple computes its
 * derived lists (test/journal/fixture.test.ts).
 *
 * @example
 * ```ts
 * const spam = new Policy({ name: 'Spam', uri: 'sip:spam@example.org',
 *   presence: new EventHandling('block', false), dialog: new EventHandling('block', false) });
 * ```
 */
export class Policy {
  readonly id: string;
  readonly name: string;
  readonly uri: string;
  readonly presence: EventHandling;
  readonly dialog: EventHandling;
  readonly attributes: Attributes;

  constructor(init: PolicyInit) {
    assertInit(init, 'Policy', 'policy');
    this.id = idOrGenerated(init.id, 'policy.id');
    this.name = assertString(init.name, 'policy.name');
    this.uri = assertUri(init.uri, 'policy.uri');
    this.presence = EventHandling.from(init.presence);
    this.dialog = EventHandling.from(init.dialog);
    this.attributes = freezeAttributes(init.attributes, 'policy.attributes');
    Object.freeze(this);
  }

  /** Builds from an instance or its JSON form. @example Policy.from(JSON.parse(json)) */
  static from(value: Policy | PolicyInit): Policy {
    return value instanceof Policy ? value : new Policy(value);
  }

  /** A copy with some fields replaced. @example spam.with({ name: 'Telemarketer' }) */
  with(changes: Partial<Omit<PolicyInit, 'id'>>): Policy {
    return new Policy({ ...this.toJSON(), ...changes, id: this.id });
  }

  /** Value equality. @example a.equals(b) */
  equals(other: PolicyData): boolean {
    return (
      this.id === other.id &&
      this.name === other.name &&
      this.uri === other.uri &&
      this.presence.equals(other.presence) &&
      this.dialog.equals(other.dialog) &&
      sameAttributes(this.attributes, other.attributes)
    );
  }

  /** @example policy.toJSON() // { id, name, uri, presence, dialog, attributes } */
  toJSON(): PolicyData {
    return {
      id: this.id,
      name: this.name,
      uri: this.uri,
      presence: this.presence.toJSON(),
      dialog: this.dialog.toJSON(),
      attributes: { ...this.attributes },
    };
  }
}
