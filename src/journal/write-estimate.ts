/**
 * The size estimate behind the write limits (write-budget.ts): what a journal operation adds to
 * a document, from the markup each item adds (measured once with the real codec) plus its
 * escaped values and derived-list entries, with no serialization per edit. Every figure is an
 * upper bound of what applying the operation writes (property test "the estimate is an upper
 * bound of what applying adds").
 */

import { encodeContact, encodeGroup, encodePolicy } from '../codecs/addressbook.js';
import { encodeUriValue } from '../codecs/addressbook-uri.js';
import type { DocumentName } from '../codecs/applications.js';
import { utf8Length } from '../codecs/xml/limits.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import type { XmlElement } from '../codecs/xml/tree.js';
import type { ContactData } from '../model/contact.js';
import type { ContactURIData } from '../model/contact-uri.js';
import type { EventHandlingData } from '../model/event-handling.js';
import { emptyResourceLists, resourceListsPrefixes } from './normalize-resource-lists.js';
import type { Operation } from './operations.js';

/** The size of a document: UTF-8 bytes and elements. */
export interface DocumentSize {
  readonly bytes: number;
  readonly elements: number;
}

/**
 * The size of a document's text (one pass; called once per sync, not per edit).
 *
 * @example documentSize('<a><b/></a>') // { bytes: 11, elements: 2 }
 */
export function documentSize(content: string): DocumentSize {
  return { bytes: utf8Length(content), elements: countElements(content) };
}

/** What an operation does to one document: adds to it, or replaces it. */
export interface Growth {
  readonly document: DocumentName;
  readonly bytes: number;
  readonly elements: number;
  readonly replaces?: true;
}

/** Bytes per changed field of an update beyond its values: its element and markup. */
const FIELD_OVERHEAD = 160;

/**
 * What `op` adds to (or, for the icon and the offline status, makes of) each document.
 *
 * @example growthOf(operations.addContact(bob)) // [{ document: 'resource-lists', bytes: 812, elements: 14 }]
 */
export function growthOf(op: Operation): Growth[] {
  const cached = growths.get(op);
  if (cached !== undefined) return cached;
  const g = computeGrowth(op);
  growths.set(op, g);
  return g;
}

// check() then apply() of one operation estimate it once.
const growths = new WeakMap<Operation, Growth[]>();

function computeGrowth(op: Operation): Growth[] {
  const rl = (s: DocumentSize): Growth[] => [{ document: 'resource-lists', ...s }];
  switch (op.type) {
    case 'addContact':
      return rl(
        plus(
          contactSize(op.contact),
          derivedEntries(op.contact.uris, op.contact.presence, op.contact.dialog),
        ),
      );
    case 'addContactUri':
      // The contact's handling is not in the operation: count every derived list.
      return rl(plus(uriSize(op.uri), derivedEntries([op.uri], ALL, ALL)));
    case 'addGroup': {
      const m = markup();
      let s = plus(
        m.group,
        plus(values(op.group.id, op.group.name), attributesSize(op.group.attributes)),
      );
      for (const id of op.group.contacts) s = plus(s, plus(m.member, values(id)));
      return rl(s);
    }
    case 'addPolicy': {
      const p = op.policy;
      const own = plus(
        markup().policy,
        plus(values(p.id, p.name, encodeUriValue(p.uri)), attributesSize(p.attributes)),
      );
      return rl(plus(own, derivedEntries([p], p.presence, p.dialog)));
    }
    case 'addGroupMember':
      return rl(plus(markup().member, values(op.contactId)));
    case 'updateContact':
    case 'updateContactUri':
    case 'updateGroup':
    case 'updatePolicy': {
      // What the changes write, as if added next to the old values (an upper bound); a new
      // URI also gets derived entries.
      const strings = stringsOf(op.changes);
      let bytes = 0;
      for (const v of strings) bytes += escapedUtf8Length(v) + FIELD_OVERHEAD;
      const s = { bytes, elements: strings.length * 2 + 4 };
      const uri = (op.changes as { uri?: unknown }).uri;
      return rl(typeof uri === 'string' ? plus(s, derivedEntries([{ uri }], ALL, ALL)) : s);
    }
    case 'setStatusIcon':
      if (op.icon === null) return [];
      return [
        {
          document: 'pres-content',
          // The document around the base64 data (its text), description included.
          bytes: op.icon.data.length + escapedUtf8Length(op.icon.description ?? '') + 512,
          elements: 5,
          replaces: true,
        },
      ];
    case 'setOfflineStatus':
      if (op.pidf === null) return [];
      return [{ document: 'pidf-manipulation', ...documentSize(op.pidf), replaces: true }];
    default:
      // Removals, defaults and normalize do not grow a document.
      return [];
  }
}

function plus(a: DocumentSize, b: DocumentSize): DocumentSize {
  return { bytes: a.bytes + b.bytes, elements: a.elements + b.elements };
}

/** The escaped UTF-8 size of values written into markup measured without them. */
function values(...vs: (string | null | undefined)[]): DocumentSize {
  let bytes = 0;
  for (const v of vs) if (v) bytes += escapedUtf8Length(v);
  return { bytes, elements: 0 };
}

function attributesSize(attrs: Readonly<Record<string, string | null>>): DocumentSize {
  let s: DocumentSize = { bytes: 0, elements: 0 };
  for (const [k, v] of Object.entries(attrs)) s = plus(s, plus(markup().attribute, values(k, v)));
  return s;
}

function uriSize(u: ContactURIData): DocumentSize {
  return plus(
    markup().uri,
    plus(values(u.id, encodeUriValue(u.uri), u.type), attributesSize(u.attributes)),
  );
}

function contactSize(c: ContactData): DocumentSize {
  let s = plus(
    markup().contact,
    plus(values(c.id, c.name, c.defaultUri), attributesSize(c.attributes)),
  );
  for (const u of c.uris) s = plus(s, uriSize(u));
  return s;
}

/**
 * The markup each item adds to the resource-lists document with every value empty, measured
 * once by encoding and serializing empty items with the real codec: an item's size is then its
 * markup plus its escaped values (a few additions per edit instead of an encoding). Optional
 * parts are measured present, and the longest fixed values (`default`, `false`) are used, so
 * the sum is an upper bound.
 */
interface Markup {
  readonly contact: DocumentSize;
  readonly uri: DocumentSize;
  readonly attribute: DocumentSize;
  readonly group: DocumentSize;
  readonly member: DocumentSize;
  readonly policy: DocumentSize;
}

let measured: Markup | undefined;

function markup(): Markup {
  if (measured !== undefined) return measured;
  // Text values are measured as "x" and that one byte taken off again: an empty text would be
  // written as a self-closing element, shorter than any element with text.
  const X = 'x';
  const handling: EventHandlingData = { policy: 'default', subscribe: false };
  const contact = (uris: ContactURIData[], attributes: Record<string, string>) =>
    measure(
      encodeContact(
        { id: '', name: X, uris, defaultUri: '', presence: handling, dialog: handling, attributes },
        PREFIXES,
      ),
    );
  const c0 = contact([], {});
  const group = (contacts: string[]) =>
    measure(encodeGroup({ id: '', name: X, contacts, attributes: {} }, PREFIXES));
  const g0 = group([]);
  const policy = measure(
    encodePolicy(
      { id: '', name: X, uri: '', presence: handling, dialog: handling, attributes: {} },
      PREFIXES,
    ),
  );
  measured = {
    contact: minus(c0, { bytes: 1, elements: 0 }),
    uri: minus(contact([{ id: '', uri: '', type: '', attributes: {} }], {}), c0),
    attribute: minus(contact([], { '': X }), plus(c0, { bytes: 1, elements: 0 })),
    group: minus(g0, { bytes: 1, elements: 0 }),
    member: minus(group([X]), plus(g0, { bytes: 1, elements: 0 })),
    policy: minus(policy, { bytes: 1, elements: 0 }),
  };
  return measured;
}

function minus(a: DocumentSize, b: DocumentSize): DocumentSize {
  return { bytes: a.bytes - b.bytes, elements: a.elements - b.elements };
}

const PREFIXES = resourceListsPrefixes(null);
const WRAPPER = emptyResourceLists();
const ALL: EventHandlingData = { policy: 'allow', subscribe: true };

/** The exact size of `e` as it is written inside the resource-lists document. */
function measure(e: XmlElement): DocumentSize {
  const s = serializeXml({ ...WRAPPER, children: [e] }, { declaration: false });
  const inner = s.slice(s.indexOf('>') + 1, s.lastIndexOf('</'));
  return documentSize(inner);
}

/**
 * The `<rl:entry uri="..."/>` elements the URIs add to the derived lists: a granted or blocked
 * list and an RLS list per event package, as the handling says (RFC 4826 §3.2 entries).
 */
function derivedEntries(
  uris: readonly Pick<ContactURIData, 'uri'>[],
  presence: EventHandlingData,
  dialog: EventHandlingData,
): DocumentSize {
  const lists = (h: EventHandlingData) => (h.policy === 'default' ? 0 : 1) + (h.subscribe ? 1 : 0);
  const n = lists(presence) + lists(dialog);
  let bytes = 0;
  for (const u of uris) bytes += n * (escapedUtf8Length(encodeUriValue(u.uri)) + 20);
  return { bytes, elements: n * uris.length };
}

/** The longest string value an operation writes (the icon data is checked by its own size). */
export function longestValue(
  op: Operation,
): { document: DocumentName; length: number } | undefined {
  if (op.type === 'setStatusIcon' || op.type === 'setOfflineStatus' || op.type === 'normalize')
    return undefined;
  let max = 0;
  for (const v of stringsOf(op)) max = Math.max(max, escapedLength(v));
  return max === 0 ? undefined : { document: 'resource-lists', length: max };
}

/** Every string in a JSON value (keys of attribute bags included). */
function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      stringsOf(x, out);
    }
  return out;
}

/** Length once escaped for an attribute value (the larger of the two escapings). */
function escapedLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 38 /* & */) n += 4;
    else if (c === 60 || c === 62 /* < > */) n += 3;
    else if (c === 34 /* " */) n += 5;
    else if (c === 9 || c === 10 || c === 13) n += 4;
  }
  return n;
}

function escapedUtf8Length(s: string): number {
  return utf8Length(s) + (escapedLength(s) - s.length);
}

/** Start tags in an XML text: `<` followed by a name (not `</`, `<!`, `<?`). */
function countElements(s: string): number {
  let n = 0;
  for (let i = s.indexOf('<'); i >= 0; i = s.indexOf('<', i + 1)) {
    const c = s.charCodeAt(i + 1);
    if (c !== 47 && c !== 33 && c !== 63) n++;
  }
  return n;
}
