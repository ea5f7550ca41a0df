/**
 * Encoding half of the addressbook codec (see `addressbook.ts`): writes model data into
 * `addressbook:*` elements, patching an existing element in place so that foreign children and
 * attributes survive and an element that already says what the data says is returned as the
 * same object.
 */
import type { ContactData } from '../model/contact.js';
import type { ContactURIData } from '../model/contact-uri.js';
import type { EventHandlingData } from '../model/event-handling.js';
import type { GroupData } from '../model/group.js';
import type { PolicyData } from '../model/policy.js';
import { isValidId } from '../model/validation.js';
import { encodeUriValue, sameUri } from './addressbook-uri.js';
import {
  el,
  type Prefixes,
  setAttr,
  setText,
  setTextChild,
  textContent,
  upsertChild,
} from './addressbook-xml-edit.js';
import { attr, is, NS, withAttr, withChildren, type XmlElement, type XmlNode } from './xml/tree.js';

const AB = NS.addressbook;
const SX = NS.sipsimpleAddressbook;

function isNil(a: XmlElement): boolean {
  // Any nil attribute, even nil="false", means null to the reference implementation.
  return a.attributes.some((x) => x.name === 'nil');
}

/**
 * Writes an attribute bag into `<sipsimple:attributes>` (always written, even empty, as python-sipsimple does); null is
 * `nil="true"`. Foreign children of the bag are kept.
 */
export function encodeAttributes(
  attrs: Readonly<Record<string, string | null>>,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  const base = existing ?? el(SX, 'attributes', prefixes);
  const seen = new Set<string>();
  const kids: XmlNode[] = [];
  let changed = false;
  for (const c of base.children) {
    if (c.type === 'element' && c.ns === SX && c.name === 'attribute') {
      const name = attr(c, 'name');
      if (name === undefined || !Object.hasOwn(attrs, name) || seen.has(name)) {
        changed = true;
        continue;
      }
      seen.add(name);
      const next = encodeAttributeValue(c, attrs[name] ?? null);
      if (next !== c) changed = true;
      kids.push(next);
    } else kids.push(c);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (seen.has(k)) continue;
    changed = true;
    kids.push(encodeAttributeValue(el(SX, 'attribute', prefixes, { name: k }), v));
  }
  return changed ? withChildren(base, kids) : base;
}

function encodeAttributeValue(e: XmlElement, value: string | null): XmlElement {
  if (value === null) {
    if (isNil(e) && e.children.length === 0) return e;
    const noNil = { ...e, attributes: e.attributes.filter((a) => a.name !== 'nil') };
    return withChildren(withAttr(noNil, 'nil', 'true'), []);
  }
  if (!isNil(e) && e.children.every((c) => c.type === 'text') && textContent(e) === value) return e;
  const noNil = isNil(e) ? { ...e, attributes: e.attributes.filter((a) => a.name !== 'nil') } : e;
  return setText(noNil, value);
}

/** Writes `<addressbook:presence|dialog>` with `policy` and `subscribe` (only `true`/`false`, which python-sipsimple accepts). */
export function encodeEventHandling(
  name: 'presence' | 'dialog',
  data: EventHandlingData,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e = existing ?? el(AB, name, prefixes);
  e = setTextChild(e, AB, 'policy', data.policy, prefixes, (c) => c.trim() === data.policy);
  const sub = data.subscribe ? 'true' : 'false';
  e = setTextChild(e, AB, 'subscribe', sub, prefixes, (c) => c.trim() === sub);
  return e;
}

function withBag(
  e: XmlElement,
  attrs: Readonly<Record<string, string | null>>,
  prefixes: Prefixes,
): XmlElement {
  return upsertChild(
    e,
    (c) => c.ns === SX && c.name === 'attributes',
    (cur) => encodeAttributes(attrs, prefixes, cur),
  );
}

function withHandling(
  e: XmlElement,
  name: 'presence' | 'dialog',
  data: EventHandlingData,
  prefixes: Prefixes,
): XmlElement {
  return upsertChild(
    e,
    (c) => c.ns === AB && c.name === name,
    (cur) => encodeEventHandling(name, data, prefixes, cur),
  );
}

/** Writes `<addressbook:uri id uri type>`; the URI is written plain unless it already means the same. */
export function encodeContactUri(
  data: ContactURIData,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e = existing ?? el(AB, 'uri', prefixes, { id: data.id, uri: encodeUriValue(data.uri) });
  e = setAttr(e, 'id', data.id);
  e = setAttr(e, 'uri', encodeUriValue(data.uri), (c) => sameUri(c, data.uri));
  e = setAttr(e, 'type', data.type ?? undefined);
  return withBag(e, data.attributes, prefixes);
}

function encodeUris(
  uris: readonly ContactURIData[],
  defaultUri: string | null,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e = existing ?? el(AB, 'uris', prefixes);
  // A `default` naming no URI rxcap can show (python3-sipsimple leaves it so when it removes
  // the default URI) reads as no default; it is kept as written rather than rewritten to
  // nothing, so that reading such a contact never makes rxcap write the document (test
  // "a dangling uris/@default is kept and nothing is PUT"). A default naming a URI the edit
  // removes goes with it.
  const current = attr(e, 'default');
  const dangling =
    defaultUri === null &&
    current !== undefined &&
    !e.children.some((c) => is(c, AB, 'uri') && attr(c, 'id') === current && representable(c));
  if (!dangling) e = setAttr(e, 'default', defaultUri ?? undefined);
  const byId = new Map(uris.map((u) => [u.id, u]));
  const seen = new Set<string>();
  const kids: XmlNode[] = [];
  let changed = false;
  for (const c of e.children) {
    if (is(c, AB, 'uri')) {
      const id = attr(c, 'id');
      const d = id === undefined ? undefined : byId.get(id);
      if (!d && !representable(c)) {
        // Another client's URI rxcap cannot show (python3-sipsimple writes and reads
        // `uri=""`): kept as written, like the derived-list entries that go with it.
        kids.push(c);
        continue;
      }
      if (!d || seen.has(d.id)) {
        changed = true;
        continue;
      }
      seen.add(d.id);
      const next = encodeContactUri(d, prefixes, c);
      if (next !== c) changed = true;
      kids.push(next);
    } else kids.push(c);
  }
  for (const u of uris) {
    if (seen.has(u.id)) continue;
    changed = true;
    kids.push(encodeContactUri(u, prefixes));
  }
  return changed ? withChildren(e, kids) : e;
}

/** The contact-URI decoder's test: a valid id and a non-empty `uri` (see `decodeContactUri`). */
function representable(u: XmlElement): boolean {
  const uri = attr(u, 'uri');
  return isValidId(attr(u, 'id')) && uri !== undefined && uri !== '';
}

/**
 * Writes `<addressbook:contact>`: name, uris, dialog, presence, attributes (the reference
 * implementation's order for new items), patching `existing` when given.
 *
 * @example encodeContact(contact.toJSON(), ADDRESSBOOK_PREFIXES)
 */
export function encodeContact(
  data: ContactData,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e = existing ?? el(AB, 'contact', prefixes, { id: data.id });
  e = setAttr(e, 'id', data.id);
  e = setTextChild(e, AB, 'name', data.name, prefixes);
  e = upsertChild(
    e,
    (c) => c.ns === AB && c.name === 'uris',
    (cur) => encodeUris(data.uris, data.defaultUri, prefixes, cur),
  );
  e = withHandling(e, 'dialog', data.dialog, prefixes);
  e = withHandling(e, 'presence', data.presence, prefixes);
  return withBag(e, data.attributes, prefixes);
}

/**
 * Writes `<addressbook:group>`: name, contacts (`contact_id` each), attributes. Existing members
 * keep their order; new ones are appended.
 *
 * @example encodeGroup(group.toJSON(), ADDRESSBOOK_PREFIXES)
 */
export function encodeGroup(
  data: GroupData,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e = existing ?? el(AB, 'group', prefixes, { id: data.id });
  e = setAttr(e, 'id', data.id);
  e = setTextChild(e, AB, 'name', data.name, prefixes);
  e = upsertChild(
    e,
    (c) => c.ns === AB && c.name === 'contacts',
    (cur) => {
      const base = cur ?? el(AB, 'contacts', prefixes);
      const want = new Set(data.contacts);
      const seen = new Set<string>();
      const kids: XmlNode[] = [];
      let changed = false;
      for (const c of base.children) {
        if (is(c, AB, 'contact_id')) {
          const id = textContent(c).trim();
          if (!want.has(id) || seen.has(id)) {
            changed = true;
            continue;
          }
          seen.add(id);
        }
        kids.push(c);
      }
      for (const id of data.contacts) {
        if (seen.has(id)) continue;
        changed = true;
        kids.push(el(AB, 'contact_id', prefixes, {}, [{ type: 'text', text: id }]));
      }
      return changed ? withChildren(base, kids) : base;
    },
  );
  return withBag(e, data.attributes, prefixes);
}

/**
 * Writes `<addressbook:policy-element id uri>`: name, dialog, presence, attributes.
 *
 * @example encodePolicy(policy.toJSON(), ADDRESSBOOK_PREFIXES)
 */
export function encodePolicy(
  data: PolicyData,
  prefixes: Prefixes,
  existing?: XmlElement,
): XmlElement {
  let e =
    existing ?? el(AB, 'policy-element', prefixes, { id: data.id, uri: encodeUriValue(data.uri) });
  e = setAttr(e, 'id', data.id);
  e = setAttr(e, 'uri', encodeUriValue(data.uri), (c) => sameUri(c, data.uri));
  e = setTextChild(e, AB, 'name', data.name, prefixes);
  e = withHandling(e, 'dialog', data.dialog, prefixes);
  e = withHandling(e, 'presence', data.presence, prefixes);
  return withBag(e, data.attributes, prefixes);
}
