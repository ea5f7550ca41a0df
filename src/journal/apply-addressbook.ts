/**
 * The addressbook operations: contacts, their URIs, groups and policies, edited by id in the
 * `sipsimple_addressbook` list. Each returns the documents after normalize, or a
 * skip when its target is missing or its data is invalid.
 */
import {
  decodeContact,
  decodeGroup,
  decodePolicy,
  encodeContact,
  encodeGroup,
  encodePolicy,
} from '../codecs/addressbook.js';
import type { Prefixes } from '../codecs/addressbook-xml-edit.js';
import { setChildren } from '../codecs/addressbook-xml-edit.js';
import { attr, is, NS, type XmlElement } from '../codecs/xml/tree.js';
import { Contact, type ContactData } from '../model/contact.js';
import { ContactURI } from '../model/contact-uri.js';
import { Group } from '../model/group.js';
import { Policy } from '../model/policy.js';
import {
  checkContactChanges,
  checkContactUriChanges,
  checkGroupChanges,
  checkPolicyChanges,
  mergeAttributes,
  mergeHandling,
  type Operation,
} from './operations.js';
import {
  findItem,
  isSkip,
  editBook as normalizedEdit,
  putItem,
  type Skip,
  type Step,
  validate,
} from './step.js';
import type { Documents, JournalContext } from './types.js';

const AB = NS.addressbook;

/** How an operation edits the addressbook list: step.ts `editBook`, or a batch's deferred edit. */
export type BookEditor = typeof normalizedEdit;

function withContact(
  docs: Documents,
  ctx: JournalContext,
  contactId: string,
  fn: (d: ContactData, el: XmlElement) => ContactData | Skip,
  editBook: BookEditor,
): Step {
  return editBook(docs, ctx, (list, p) => {
    const el = findItem(list, 'contact', contactId);
    const d = el && decodeContact(el);
    if (!el || !d) return { skipped: `contact ${contactId} not found` };
    const next = fn(d, el);
    if (isSkip(next)) return next;
    return putItem(list, 'contact', contactId, encodeContact(next, p, el));
  });
}

function removeMember(
  list: XmlElement,
  contactId: string,
  p: Prefixes,
  groupId?: string,
): XmlElement {
  return setChildren(
    list,
    list.children.map((c) => {
      if (!is(c, AB, 'group')) return c;
      if (groupId !== undefined && attr(c, 'id') !== groupId) return c;
      const g = decodeGroup(c);
      if (!g?.contacts.includes(contactId)) return c;
      return encodeGroup({ ...g, contacts: g.contacts.filter((x) => x !== contactId) }, p, c);
    }),
  );
}

/**
 * Applies an addressbook operation; undefined for other operation types. `editBook` runs the
 * edit (a batch passes one that defers the derived-content recompute, see batch.ts).
 */
export function runAddressbookOperation(
  docs: Documents,
  op: Operation,
  ctx: JournalContext,
  editBook: BookEditor = normalizedEdit,
): Step | undefined {
  switch (op.type) {
    case 'addContact': {
      const c = validate(() => Contact.from(op.contact).toJSON());
      if (isSkip(c)) return c;
      return editBook(docs, ctx, (list, p) =>
        putItem(list, 'contact', c.id, encodeContact(c, p, findItem(list, 'contact', c.id))),
      );
    }
    case 'updateContact': {
      const ch = validate(() => checkContactChanges(op.changes));
      if (isSkip(ch)) return ch;
      return withContact(
        docs,
        ctx,
        op.contactId,
        (d) => ({
          ...d,
          name: ch.name ?? d.name,
          defaultUri:
            ch.defaultUri === undefined ||
            (ch.defaultUri !== null && !d.uris.some((u) => u.id === ch.defaultUri))
              ? d.defaultUri
              : ch.defaultUri,
          presence: mergeHandling(d.presence, ch.presence),
          dialog: mergeHandling(d.dialog, ch.dialog),
          attributes: mergeAttributes(d.attributes, ch),
        }),
        editBook,
      );
    }
    case 'removeContact':
      return editBook(docs, ctx, (list, p) => {
        if (!findItem(list, 'contact', op.contactId))
          return { skipped: `contact ${op.contactId} not found` };
        return removeMember(putItem(list, 'contact', op.contactId, null), op.contactId, p);
      });

    case 'addContactUri': {
      const u = validate(() => ContactURI.from(op.uri).toJSON());
      if (isSkip(u)) return u;
      return withContact(
        docs,
        ctx,
        op.contactId,
        (d) => ({
          ...d,
          uris: d.uris.some((x) => x.id === u.id)
            ? d.uris.map((x) => (x.id === u.id ? u : x))
            : [...d.uris, u],
        }),
        editBook,
      );
    }
    case 'updateContactUri': {
      const ch = validate(() => checkContactUriChanges(op.changes));
      if (isSkip(ch)) return ch;
      return withContact(
        docs,
        ctx,
        op.contactId,
        (d) => {
          const cur = d.uris.find((x) => x.id === op.uriId);
          if (!cur) return { skipped: `URI ${op.uriId} of contact ${op.contactId} not found` };
          const next = {
            ...cur,
            uri: ch.uri ?? cur.uri,
            type: ch.type === undefined ? cur.type : ch.type,
            attributes: mergeAttributes(cur.attributes, ch),
          };
          return { ...d, uris: d.uris.map((x) => (x.id === op.uriId ? next : x)) };
        },
        editBook,
      );
    }
    case 'removeContactUri':
      return withContact(
        docs,
        ctx,
        op.contactId,
        (d) => {
          if (!d.uris.some((x) => x.id === op.uriId))
            return { skipped: `URI ${op.uriId} of contact ${op.contactId} not found` };
          return {
            ...d,
            uris: d.uris.filter((x) => x.id !== op.uriId),
            defaultUri: d.defaultUri === op.uriId ? null : d.defaultUri,
          };
        },
        editBook,
      );

    case 'addGroup': {
      const g = validate(() => Group.from(op.group).toJSON());
      if (isSkip(g)) return g;
      return editBook(docs, ctx, (list, p, book) => {
        // Members must be contacts of the addressbook (the reference implementation drops
        // dangling ids when it writes).
        const known = new Set(book.contacts.map((c) => c.id));
        const data = { ...g, contacts: g.contacts.filter((id) => known.has(id)) };
        return putItem(list, 'group', g.id, encodeGroup(data, p, findItem(list, 'group', g.id)));
      });
    }
    case 'updateGroup': {
      const ch = validate(() => checkGroupChanges(op.changes));
      if (isSkip(ch)) return ch;
      return editBook(docs, ctx, (list, p) => {
        const el = findItem(list, 'group', op.groupId);
        const g = el && decodeGroup(el);
        if (!el || !g) return { skipped: `group ${op.groupId} not found` };
        const next = {
          ...g,
          name: ch.name ?? g.name,
          attributes: mergeAttributes(g.attributes, ch),
        };
        return putItem(list, 'group', op.groupId, encodeGroup(next, p, el));
      });
    }
    case 'removeGroup':
      return editBook(docs, ctx, (list) =>
        findItem(list, 'group', op.groupId)
          ? putItem(list, 'group', op.groupId, null)
          : { skipped: `group ${op.groupId} not found` },
      );
    case 'addGroupMember':
      return editBook(docs, ctx, (list, p, book) => {
        const el = findItem(list, 'group', op.groupId);
        const g = el && decodeGroup(el);
        if (!el || !g) return { skipped: `group ${op.groupId} not found` };
        if (!book.contacts.some((c) => c.id === op.contactId))
          return { skipped: `contact ${op.contactId} not found` };
        if (g.contacts.includes(op.contactId)) return list;
        return putItem(
          list,
          'group',
          op.groupId,
          encodeGroup({ ...g, contacts: [...g.contacts, op.contactId] }, p, el),
        );
      });
    case 'removeGroupMember':
      return editBook(docs, ctx, (list, p) => {
        if (!findItem(list, 'group', op.groupId))
          return { skipped: `group ${op.groupId} not found` };
        return removeMember(list, op.contactId, p, op.groupId);
      });

    case 'addPolicy': {
      const pd = validate(() => Policy.from(op.policy).toJSON());
      if (isSkip(pd)) return pd;
      return editBook(docs, ctx, (list, p) =>
        putItem(
          list,
          'policy-element',
          pd.id,
          encodePolicy(pd, p, findItem(list, 'policy-element', pd.id)),
        ),
      );
    }
    case 'updatePolicy': {
      const ch = validate(() => checkPolicyChanges(op.changes));
      if (isSkip(ch)) return ch;
      return editBook(docs, ctx, (list, p) => {
        const el = findItem(list, 'policy-element', op.policyId);
        const d = el && decodePolicy(el);
        if (!el || !d) return { skipped: `policy ${op.policyId} not found` };
        const next = {
          ...d,
          name: ch.name ?? d.name,
          uri: ch.uri ?? d.uri,
          presence: mergeHandling(d.presence, ch.presence),
          dialog: mergeHandling(d.dialog, ch.dialog),
          attributes: mergeAttributes(d.attributes, ch),
        };
        return putItem(list, 'policy-element', op.policyId, encodePolicy(next, p, el));
      });
    }
    case 'removePolicy':
      return editBook(docs, ctx, (list) =>
        findItem(list, 'policy-element', op.policyId)
          ? putItem(list, 'policy-element', op.policyId, null)
          : { skipped: `policy ${op.policyId} not found` },
      );
    default:
      return undefined;
  }
}
