/**
 * The ids an operation may name, so that the manager's methods can refuse an unknown id
 * synchronously (DESIGN §3: "Operation methods validate synchronously (... unknown id): they
 * throw a typed error and journal nothing").
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

  constructor(kind: string, id: string, problem: 'unknown' | 'duplicate') {
    super(
      problem === 'unknown' ? `no ${kind} with id "${id}"` : `a ${kind} with id "${id}" exists`,
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

  /** The ids of `book`. */
  static of(book: AddressbookIds): KnownIds {
    const ids = new KnownIds();
    for (const c of book.contacts) ids.contacts.set(c.id, new Set(c.uris.map((u) => u.id)));
    for (const g of book.groups) ids.groups.add(g.id);
    for (const p of book.policies) ids.policies.add(p.id);
    return ids;
  }

  /** Throws when `op` cannot apply to this view. */
  check(op: Operation): void {
    switch (op.type) {
      case 'addContact':
        if (this.contacts.has(op.contact.id)) dup('contact', op.contact.id);
        return;
      case 'addGroup':
        if (this.groups.has(op.group.id)) dup('group', op.group.id);
        for (const id of op.group.contacts) this.contact(id);
        return;
      case 'addPolicy':
        if (this.policies.has(op.policy.id)) dup('policy', op.policy.id);
        return;
      case 'updateContact':
      case 'removeContact':
        this.contact(op.contactId);
        return;
      case 'addContactUri':
        if (this.contact(op.contactId).has(op.uri.id)) dup('uri', op.uri.id);
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
        this.contacts.set(op.contact.id, new Set(op.contact.uris.map((u) => u.id)));
        return;
      case 'removeContact':
        this.contacts.delete(op.contactId);
        return;
      case 'addContactUri':
        this.contacts.get(op.contactId)?.add(op.uri.id);
        return;
      case 'removeContactUri':
        this.contacts.get(op.contactId)?.delete(op.uriId);
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
