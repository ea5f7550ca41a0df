/**
 * The ids an operation may name, so that the manager's methods can refuse an unknown id
 * synchronously: they throw a typed error and journal nothing.
 *
 * The view is the last addressbook extracted from the server's documents plus every operation
 * journaled since (an edit may name a contact added a moment ago, still in the journal). It is
 * a guard against programming errors, not a lock: another device may remove a contact between
 * the check and the sync, and the operation is then a reported no-op (the journal's rule).
 */
import { XcapValidationError } from '../errors.js';
import type { Operation } from './operations.js';

/** An operation names an id the addressbook does not have (or adds one it already has). */
export class XcapUnknownIdError extends XcapValidationError {
  /** What kind of item: 'contact', 'group', 'policy' or 'uri'. */
  readonly kind: string;
  readonly id: string;

  constructor(kind: string, id: string, problem: 'unknown' | 'duplicate' | 'taken') {
    super(
      problem === 'unknown'
        ? `no ${kind} with id "${id}"`
        : problem === 'duplicate'
          ? `a ${kind} with id "${id}" exists`
          : `the ${kind} id "${id}" is already used by another item (addressbook ids are xs:ID, unique in the whole document)`,
      `${kind}Id`,
    );
    this.kind = kind;
    this.id = id;
  }
}

/** The shape of an addressbook the view is seeded from (the model's Addressbook fits). */
export interface AddressbookIds {
  readonly contacts: readonly {
    readonly id: string;
    readonly uris: readonly { readonly id: string }[];
  }[];
  readonly groups: readonly { readonly id: string }[];
  readonly policies: readonly { readonly id: string }[];
}

/**
 * Mutable id view: `check(op)` throws {@link XcapUnknownIdError} when `op` names an unknown
 * contact, group, policy or contact URI (or adds an id that exists); `apply(op)` records what
 * it adds and removes.
 *
 * @example
 * ```ts
 * const ids = KnownIds.of(addressbook);
 * ids.check(op); // throws on an unknown id
 * ids.apply(op);
 * ```
 */
export class KnownIds {
  private readonly contacts = new Map<string, Set<string>>();
  private readonly groups = new Set<string>();
  private readonly policies = new Set<string>();
  /** How many contacts use each URI id (sipsimple's addressbook.xsd: every id is an xs:ID). */
  private readonly uriIds = new Map<string, number>();

  /** The ids of `book`. */
  static of(book: AddressbookIds): KnownIds {
    const ids = new KnownIds();
    for (const c of book.contacts) ids.addContact(c.id, c.uris);
    for (const g of book.groups) ids.groups.add(g.id);
    for (const p of book.policies) ids.policies.add(p.id);
    return ids;
  }

  /** Throws when `op` cannot apply to this view. */
  check(op: Operation): void {
    switch (op.type) {
      case 'addContact':
        if (this.contacts.has(op.contact.id)) dup('contact', op.contact.id);
        this.free('contact', op.contact.id);
        for (const u of op.contact.uris) this.free('uri', u.id);
        return;
      case 'addGroup':
        if (this.groups.has(op.group.id)) dup('group', op.group.id);
        this.free('group', op.group.id);
        for (const id of op.group.contacts) this.contact(id);
        return;
      case 'addPolicy':
        if (this.policies.has(op.policy.id)) dup('policy', op.policy.id);
        this.free('policy', op.policy.id);
        return;
      case 'updateContact':
      case 'removeContact':
        this.contact(op.contactId);
        return;
      case 'addContactUri':
        if (this.contact(op.contactId).has(op.uri.id)) dup('uri', op.uri.id);
        this.free('uri', op.uri.id);
        return;
      case 'updateContactUri':
      case 'removeContactUri':
        if (!this.contact(op.contactId).has(op.uriId)) unknown('uri', op.uriId);
        return;
      case 'updateGroup':
      case 'removeGroup':
        this.group(op.groupId);
        return;
      case 'addGroupMember':
      case 'removeGroupMember':
        this.group(op.groupId);
        this.contact(op.contactId);
        return;
      case 'updatePolicy':
      case 'removePolicy':
        if (!this.policies.has(op.policyId)) unknown('policy', op.policyId);
        return;
      default:
        return;
    }
  }

  /** Records the ids `op` adds or removes (idempotent, never throws). */
  apply(op: Operation): void {
    switch (op.type) {
      case 'addContact':
        if (!this.contacts.has(op.contact.id)) this.addContact(op.contact.id, op.contact.uris);
        return;
      case 'removeContact':
        for (const u of this.contacts.get(op.contactId) ?? []) this.countUri(u, -1);
        this.contacts.delete(op.contactId);
        return;
      case 'addContactUri': {
        const uris = this.contacts.get(op.contactId);
        if (uris !== undefined && !uris.has(op.uri.id)) {
          uris.add(op.uri.id);
          this.countUri(op.uri.id, 1);
        }
        return;
      }
      case 'removeContactUri':
        if (this.contacts.get(op.contactId)?.delete(op.uriId)) this.countUri(op.uriId, -1);
        return;
      case 'addGroup':
        this.groups.add(op.group.id);
        return;
      case 'removeGroup':
        this.groups.delete(op.groupId);
        return;
      case 'addPolicy':
        this.policies.add(op.policy.id);
        return;
      case 'removePolicy':
        this.policies.delete(op.policyId);
        return;
      default:
        return;
    }
  }

  private addContact(id: string, uris: readonly { readonly id: string }[]): void {
    const set = new Set(uris.map((u) => u.id));
    this.contacts.set(id, set);
    for (const u of set) this.countUri(u, 1);
  }

  private countUri(id: string, delta: number): void {
    const n = (this.uriIds.get(id) ?? 0) + delta;
    if (n > 0) this.uriIds.set(id, n);
    else this.uriIds.delete(id);
  }

  /** Throws unless no item of any kind uses `id` (xs:ID uniqueness across the document). */
  private free(kind: string, id: string): void {
    if (
      this.contacts.has(id) ||
      this.groups.has(id) ||
      this.policies.has(id) ||
      this.uriIds.has(id)
    )
      throw new XcapUnknownIdError(kind, id, 'taken');
  }

  private contact(id: string): Set<string> {
    const uris = this.contacts.get(id);
    if (uris === undefined) unknown('contact', id);
    return uris;
  }

  private group(id: string): void {
    if (!this.groups.has(id)) unknown('group', id);
  }
}

function unknown(kind: string, id: string): never {
  throw new XcapUnknownIdError(kind, id, 'unknown');
}

function dup(kind: string, id: string): never {
  throw new XcapUnknownIdError(kind, id, 'duplicate');
}
