/**
 * Applying operations to documents: pure functions of the documents (DESIGN §1, journal/).
 *
 * Each operation addresses elements by id, so it applies to whatever another client did
 * meanwhile (seed: operations "do not depend on a specific version of the documents"). Every
 * operation runs normalize after its edit, which recomputes the derived lists, the RLS services
 * and the managed rules. A document that did not change keeps its object identity, and
 * `changed` lists only documents whose content changed; applying an operation twice is the same
 * as applying it once. A missing target is a no-op reported in `outcome.skipped`.
 */

import {
  ADDRESSBOOK_LIST,
  type DecodedAddressbook,
  decodeAddressbookList,
  decodeContact,
  decodeGroup,
  decodePolicy,
  encodeContact,
  encodeGroup,
  encodePolicy,
} from '../codecs/addressbook.js';
import { type Prefixes, setChildren } from '../codecs/addressbook-xml-edit.js';
import { DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import { Pidf } from '../codecs/pidf.js';
import { parseXml } from '../codecs/xml/parse.js';
import { attr, is, NS, sameElement, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import { Contact, type ContactData } from '../model/contact.js';
import { ContactURI } from '../model/contact-uri.js';
import { Group } from '../model/group.js';
import { Icon } from '../model/icon.js';
import { Policy } from '../model/policy.js';
import { referencedUris } from './derived.js';
import { iconDocument, sameIcon } from './icon-document.js';
import { replaceTopList, topList } from './list-edit.js';
import { normalizeResourceLists, resourceListsPrefixes } from './normalize-resource-lists.js';
import { normalizeRlsServices } from './normalize-rls-services.js';
import {
  DIALOG_RULES,
  normalizeRules,
  PRESENCE_RULES,
  setDefaultPolicy,
} from './normalize-rules.js';
import {
  checkContactChanges,
  checkContactUriChanges,
  checkGroupChanges,
  checkPolicyChanges,
  mergeAttributes,
  mergeHandling,
  type Operation,
} from './operations.js';
import type { Documents, JournalContext, OperationOutcome } from './types.js';

const AB = NS.addressbook;

interface Skip {
  readonly skipped: string;
}
type Step = Documents | Skip;

function isSkip<T>(s: T | Skip): s is Skip {
  return typeof s === 'object' && s !== null && typeof (s as Skip).skipped === 'string';
}

/**
 * Runs normalize on every supported document (`dropped`: URIs an edit made unreferenced,
 * whose derived-list entries must go).
 */
function normalizeAll(
  docs: Documents,
  ctx: JournalContext,
  dropped?: ReadonlySet<string>,
): Documents {
  const next: Documents = { ...docs };
  if (ctx.supported.has('resource-lists'))
    next['resource-lists'] = normalizeResourceLists(docs['resource-lists'], ctx, dropped);
  if (ctx.supported.has('rls-services'))
    next['rls-services'] = normalizeRlsServices(docs['rls-services'], ctx);
  if (ctx.supported.has('pres-rules'))
    next['pres-rules'] = normalizeRules(docs['pres-rules'], ctx, PRESENCE_RULES);
  if (ctx.supported.has('dialog-rules'))
    next['dialog-rules'] = normalizeRules(docs['dialog-rules'], ctx, DIALOG_RULES);
  return next;
}

type BookEdit = (
  list: XmlElement,
  prefixes: Prefixes,
  book: DecodedAddressbook,
) => XmlElement | Skip;

/** Edits the `sipsimple_addressbook` list, then normalizes with the URIs the edit dropped. */
function editBook(docs: Documents, ctx: JournalContext, edit: BookEdit): Step {
  if (!ctx.supported.has('resource-lists'))
    return { skipped: 'resource-lists is not supported by the server' };
  const rl0 = normalizeResourceLists(docs['resource-lists'], ctx);
  const list = topList(rl0, ADDRESSBOOK_LIST)!;
  const before = decodeAddressbookList(list);
  const res = edit(list, resourceListsPrefixes(rl0), before);
  if (isSkip(res)) return res;
  const after = decodeAddressbookList(res);
  const refsAfter = referencedUris(after.contacts, after.policies);
  const dropped = new Set(
    [...referencedUris(before.contacts, before.policies)].filter((u) => !refsAfter.has(u)),
  );
  return normalizeAll(
    { ...docs, 'resource-lists': replaceTopList(rl0, ADDRESSBOOK_LIST, res) },
    ctx,
    dropped,
  );
}

function findItem(list: XmlElement, name: string, id: string): XmlElement | undefined {
  for (const c of list.children) if (is(c, AB, name) && attr(c, 'id') === id) return c;
  return undefined;
}

/** Replaces the first item `{name}#id` (or appends `next`); null removes every such item. */
function putItem(list: XmlElement, name: string, id: string, next: XmlElement | null): XmlElement {
  let done = false;
  const kids: XmlNode[] = [];
  for (const c of list.children) {
    if (is(c, AB, name) && attr(c, 'id') === id) {
      if (next !== null && !done) kids.push(next);
      done = true;
      continue;
    }
    kids.push(c);
  }
  if (!done && next !== null) kids.push(next);
  return setChildren(list, kids);
}

function validate<T>(fn: () => T): T | Skip {
  try {
    return fn();
  } catch (e) {
    return { skipped: `invalid operation data: ${(e as Error).message}` };
  }
}

function withContact(
  docs: Documents,
  ctx: JournalContext,
  contactId: string,
  fn: (d: ContactData, el: XmlElement) => ContactData | Skip,
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

function run(docs: Documents, op: Operation, ctx: JournalContext): Step {
  switch (op.type) {
    case 'normalize':
      return normalizeAll(docs, ctx);

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
      return withContact(docs, ctx, op.contactId, (d) => ({
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
      }));
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
      return withContact(docs, ctx, op.contactId, (d) => ({
        ...d,
        uris: d.uris.some((x) => x.id === u.id)
          ? d.uris.map((x) => (x.id === u.id ? u : x))
          : [...d.uris, u],
      }));
    }
    case 'updateContactUri': {
      const ch = validate(() => checkContactUriChanges(op.changes));
      if (isSkip(ch)) return ch;
      return withContact(docs, ctx, op.contactId, (d) => {
        const cur = d.uris.find((x) => x.id === op.uriId);
        if (!cur) return { skipped: `URI ${op.uriId} of contact ${op.contactId} not found` };
        const next = {
          ...cur,
          uri: ch.uri ?? cur.uri,
          type: ch.type === undefined ? cur.type : ch.type,
          attributes: mergeAttributes(cur.attributes, ch),
        };
        return { ...d, uris: d.uris.map((x) => (x.id === op.uriId ? next : x)) };
      });
    }
    case 'removeContactUri':
      return withContact(docs, ctx, op.contactId, (d) => {
        if (!d.uris.some((x) => x.id === op.uriId))
          return { skipped: `URI ${op.uriId} of contact ${op.contactId} not found` };
        return {
          ...d,
          uris: d.uris.filter((x) => x.id !== op.uriId),
          defaultUri: d.defaultUri === op.uriId ? null : d.defaultUri,
        };
      });

    case 'addGroup': {
      const g = validate(() => Group.from(op.group).toJSON());
      if (isSkip(g)) return g;
      return editBook(docs, ctx, (list, p, book) => {
        // Members must be contacts of the addressbook (the reference implementation drops
        // dangling ids when it writes, fixture README quirk 14).
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

    case 'setDefaultPresencePolicy':
    case 'setDefaultDialogPolicy': {
      const name: DocumentName =
        op.type === 'setDefaultPresencePolicy' ? 'pres-rules' : 'dialog-rules';
      if (!ctx.supported.has(name)) return { skipped: `${name} is not supported by the server` };
      const flavor = name === 'pres-rules' ? PRESENCE_RULES : DIALOG_RULES;
      const policy = op.policy;
      if (!['allow', 'block', 'polite-block', 'confirm'].includes(policy))
        return { skipped: `invalid operation data: policy ${String(policy)}` };
      const base = normalizeAll(docs, ctx);
      return { ...base, [name]: setDefaultPolicy(base[name], ctx, flavor, policy) };
    }

    case 'setStatusIcon': {
      if (!ctx.supported.has('pres-content'))
        return { skipped: 'pres-content is not supported by the server' };
      const base = normalizeAll(docs, ctx);
      if (op.icon === null) return { ...base, 'pres-content': null };
      const icon = op.icon;
      const ok = validate(() => Icon.fromJSON({ ...icon, location: null }));
      if (isSkip(ok)) return ok;
      if (sameIcon(base['pres-content'], icon)) return base;
      return { ...base, 'pres-content': iconDocument(icon) };
    }
    case 'setOfflineStatus': {
      if (!ctx.supported.has('pidf-manipulation'))
        return { skipped: 'pidf-manipulation is not supported by the server' };
      const base = normalizeAll(docs, ctx);
      if (op.pidf === null) return { ...base, 'pidf-manipulation': null };
      const pidf = op.pidf;
      const doc = validate(() => parsePidf(pidf));
      if (isSkip(doc)) return doc;
      return { ...base, 'pidf-manipulation': doc };
    }
    default: {
      const unknown: { type?: unknown } = op;
      return { skipped: `unknown operation type ${String(unknown.type)}` };
    }
  }
}

/**
 * Parses a PIDF document (RFC 3863 `<presence>`); throws when it is not one.
 *
 * @example parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>')
 */
export function parsePidf(xml: string): XmlElement {
  const doc = parseXml(xml);
  if (!is(doc, NS.pidf, 'presence')) throw new Error('not a PIDF document (RFC 3863 <presence>)');
  Pidf.parse(xml); // the PIDF codec's checks (entity, tuple ids...)
  return doc;
}

/**
 * Applies one operation. Documents it did not change keep their identity; `outcome.changed`
 * names the documents whose content changed (null = delete on the server).
 *
 * @example
 * ```ts
 * const { docs: next, outcome } = applyOperation(docs, operations.removeContact('id1'), ctx);
 * for (const name of outcome.changed) put(name, next[name]);
 * ```
 */
export function applyOperation(
  docs: Documents,
  op: Operation,
  ctx: JournalContext,
): { docs: Documents; outcome: OperationOutcome } {
  const step = run(docs, op, ctx);
  if (isSkip(step)) return { docs, outcome: { changed: [], skipped: step.skipped } };
  const changed: DocumentName[] = [];
  const out: Documents = { ...docs };
  for (const name of DOCUMENT_NAMES) {
    const a = docs[name] ?? null;
    const b = step[name] ?? null;
    if (a === b) continue;
    if (a !== null && b !== null && sameElement(a, b)) continue;
    out[name] = b;
    changed.push(name);
  }
  return { docs: changed.length === 0 ? docs : out, outcome: { changed } };
}

/**
 * Applies operations in order; each outcome's `changed` is relative to the documents before
 * that operation.
 *
 * @example const { docs: next, outcomes } = applyOperations(docs, journal, ctx);
 */
export function applyOperations(
  docs: Documents,
  ops: readonly Operation[],
  ctx: JournalContext,
): { docs: Documents; outcomes: OperationOutcome[] } {
  let cur = docs;
  const outcomes: OperationOutcome[] = [];
  for (const op of ops) {
    const r = applyOperation(cur, op, ctx);
    cur = r.docs;
    outcomes.push(r.outcome);
  }
  return { docs: cur, outcomes };
}
