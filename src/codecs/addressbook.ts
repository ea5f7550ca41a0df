/**
 * Codec of the AG Projects addressbook extension of resource-lists (DESIGN §4): the items of
 * `<rl:list name="sipsimple_addressbook">` in `urn:ag-projects:xml:ns:addressbook` and their
 * attribute bags in `urn:ag-projects:sipsimple:xml:ns:addressbook`.
 *
 * Decoding is lenient (children are looked up by name, not position, fixture README quirk 12;
 * URIs may be percent-encoded, quirk 1; any `nil` attribute means null, quirk 14). Encoding
 * patches an existing element in place: foreign children and attributes of every item survive,
 * and an element that already says what the data says is returned as the same object.
 */
import type { ContactData } from '../model/contact.js';
import type { ContactURIData } from '../model/contact-uri.js';
import type { EventHandlingData } from '../model/event-handling.js';
import type { GroupData } from '../model/group.js';
import type { PolicyData } from '../model/policy.js';
import { isValidId, type PolicyValue } from '../model/validation.js';
import { decodeUriValue, sameUri } from './addressbook-uri.js';
import {
  el,
  type Prefixes,
  setAttr,
  setText,
  setTextChild,
  textContent,
  upsertChild,
} from './addressbook-xml-edit.js';
import {
  attr,
  child,
  children,
  is,
  NS,
  withAttr,
  withChildren,
  type XmlElement,
  type XmlNode,
} from './xml/tree.js';

/** Name of the list that holds the addressbook items. */
export const ADDRESSBOOK_LIST = 'sipsimple_addressbook';

const AB = NS.addressbook;
const SX = NS.sipsimpleAddressbook;

/** Default prefixes the reference implementation uses (quirk 5). */
export const ADDRESSBOOK_PREFIXES: Prefixes = Object.freeze({
  [NS.resourceLists]: 'rl',
  [AB]: 'addressbook',
  [SX]: 'sipsimple',
});

/** True for `addressbook:contact`, `addressbook:group` and `addressbook:policy-element`. */
export function isAddressbookItem(e: XmlNode): e is XmlElement {
  return (
    e.type === 'element' &&
    e.ns === AB &&
    (e.name === 'contact' || e.name === 'group' || e.name === 'policy-element')
  );
}

/**
 * The attribute bag of an item (`<sipsimple:attributes>`); null for a `nil` attribute.
 *
 * @example decodeAttributes(contactElement) // { preferred_media: 'audio', icon: null }
 */
export function decodeAttributes(owner: XmlElement): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const bag = child(owner, SX, 'attributes');
  if (!bag) return out;
  for (const a of children(bag, SX, 'attribute')) {
    const name = attr(a, 'name');
    if (name === undefined || name === '' || Object.hasOwn(out, name)) continue;
    out[name] = isNil(a) ? null : textContent(a);
  }
  return out;
}

function isNil(a: XmlElement): boolean {
  // Quirk 14: any nil attribute, even nil="false", means null to the reference implementation.
  return a.attributes.some((x) => x.name === 'nil');
}

/**
 * `<addressbook:presence>` or `<addressbook:dialog>` of an item; undefined when missing.
 * A policy other than allow/block/default reads as `default`; `subscribe` is an XSD boolean.
 */
export function decodeEventHandling(
  owner: XmlElement,
  name: 'presence' | 'dialog',
): EventHandlingData | undefined {
  const h = child(owner, AB, name);
  if (!h) return undefined;
  const p = child(h, AB, 'policy');
  const s = child(h, AB, 'subscribe');
  const policyText = p ? textContent(p).trim() : 'default';
  const policy: PolicyValue =
    policyText === 'allow' || policyText === 'block' ? policyText : 'default';
  const sub = s ? textContent(s).trim() : 'false';
  return { policy, subscribe: sub === 'true' || sub === '1' };
}

const DEFAULT_HANDLING: EventHandlingData = Object.freeze({ policy: 'default', subscribe: false });

function nameOf(e: XmlElement): string {
  const n = child(e, AB, 'name');
  return n ? textContent(n) : '';
}

/**
 * Decodes `<addressbook:uri>`; undefined when it has no valid id or no URI.
 */
export function decodeContactUri(e: XmlElement): ContactURIData | undefined {
  const id = attr(e, 'id');
  const uri = attr(e, 'uri');
  if (!isValidId(id) || uri === undefined || uri === '') return undefined;
  return {
    id,
    uri: decodeUriValue(uri),
    type: attr(e, 'type') ?? null,
    attributes: decodeAttributes(e),
  };
}

/**
 * Decodes `<addressbook:contact>`; undefined when its id is not valid. A contact missing
 * `<presence>` or `<dialog>` reads with the default handling (default, no subscription):
 * rxcap shows it, where the reference implementation ignores it (quirk 14), and normalize
 * writes the missing elements so that both agree afterwards.
 *
 * @example decodeContact(element)?.name
 */
export function decodeContact(e: XmlElement): ContactData | undefined {
  return memo(contactCache, e, decodeContactUncached);
}

// Trees are immutable, so what an element decodes to never changes: operations decode the
// same unchanged items again and again (normalize runs after every operation), and a cache
// keyed by the element object makes that O(changed items) instead of O(addressbook).
const contactCache = new WeakMap<XmlElement, ContactData | null>();
const groupCache = new WeakMap<XmlElement, GroupData | null>();
const policyCache = new WeakMap<XmlElement, PolicyData | null>();

function memo<T>(
  cache: WeakMap<XmlElement, T | null>,
  e: XmlElement,
  fn: (e: XmlElement) => T | undefined,
): T | undefined {
  const hit = cache.get(e);
  if (hit !== undefined) return hit ?? undefined;
  const v = fn(e);
  cache.set(e, v ?? null);
  return v;
}

function decodeContactUncached(e: XmlElement): ContactData | undefined {
  const id = attr(e, 'id');
  if (!isValidId(id)) return undefined;
  const urisEl = child(e, AB, 'uris');
  const uris: ContactURIData[] = [];
  if (urisEl)
    for (const u of children(urisEl, AB, 'uri')) {
      const d = decodeContactUri(u);
      if (d && !uris.some((x) => x.id === d.id)) uris.push(d);
    }
  const def = urisEl ? attr(urisEl, 'default') : undefined;
  return {
    id,
    name: nameOf(e),
    uris,
    defaultUri: def !== undefined && uris.some((u) => u.id === def) ? def : null,
    presence: decodeEventHandling(e, 'presence') ?? DEFAULT_HANDLING,
    dialog: decodeEventHandling(e, 'dialog') ?? DEFAULT_HANDLING,
    attributes: decodeAttributes(e),
  };
}

/** Decodes `<addressbook:group>`; members are contact ids in document order, once each. */
export function decodeGroup(e: XmlElement): GroupData | undefined {
  return memo(groupCache, e, decodeGroupUncached);
}

function decodeGroupUncached(e: XmlElement): GroupData | undefined {
  const id = attr(e, 'id');
  if (!isValidId(id)) return undefined;
  const contacts: string[] = [];
  const list = child(e, AB, 'contacts');
  if (list)
    for (const c of children(list, AB, 'contact_id')) {
      const cid = textContent(c).trim();
      if (isValidId(cid) && !contacts.includes(cid)) contacts.push(cid);
    }
  return { id, name: nameOf(e), contacts, attributes: decodeAttributes(e) };
}

/** Decodes `<addressbook:policy-element>`; undefined without a valid id or a URI. */
export function decodePolicy(e: XmlElement): PolicyData | undefined {
  return memo(policyCache, e, decodePolicyUncached);
}

function decodePolicyUncached(e: XmlElement): PolicyData | undefined {
  const id = attr(e, 'id');
  const uri = attr(e, 'uri');
  if (!isValidId(id) || uri === undefined || uri === '') return undefined;
  return {
    id,
    name: nameOf(e),
    uri: decodeUriValue(uri),
    presence: decodeEventHandling(e, 'presence') ?? DEFAULT_HANDLING,
    dialog: decodeEventHandling(e, 'dialog') ?? DEFAULT_HANDLING,
    attributes: decodeAttributes(e),
  };
}

/** Everything in a `sipsimple_addressbook` list, in document order (first of a duplicate id wins). */
export interface DecodedAddressbook {
  contacts: ContactData[];
  groups: GroupData[];
  policies: PolicyData[];
}

/**
 * Decodes the items of the `sipsimple_addressbook` list.
 *
 * @example decodeAddressbookList(list).contacts.length
 */
export function decodeAddressbookList(list: XmlElement | undefined): DecodedAddressbook {
  const out: DecodedAddressbook = { contacts: [], groups: [], policies: [] };
  if (!list) return out;
  const seen = { contact: new Set<string>(), group: new Set<string>(), policy: new Set<string>() };
  for (const c of list.children) {
    if (c.type !== 'element' || c.ns !== AB) continue;
    if (c.name === 'contact') {
      const d = decodeContact(c);
      if (d && !seen.contact.has(d.id)) {
        seen.contact.add(d.id);
        out.contacts.push(d);
      }
    } else if (c.name === 'group') {
      const d = decodeGroup(c);
      if (d && !seen.group.has(d.id)) {
        seen.group.add(d.id);
        out.groups.push(d);
      }
    } else if (c.name === 'policy-element') {
      const d = decodePolicy(c);
      if (d && !seen.policy.has(d.id)) {
        seen.policy.add(d.id);
        out.policies.push(d);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding (patching)

/**
 * Writes an attribute bag into `<sipsimple:attributes>` (always written, quirk 6); null is
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

/** Writes `<addressbook:presence|dialog>` with `policy` and `subscribe` (`true`/`false`, quirk 13). */
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
  let e = existing ?? el(AB, 'uri', prefixes, { id: data.id, uri: data.uri });
  e = setAttr(e, 'id', data.id);
  e = setAttr(e, 'uri', data.uri, (c) => sameUri(c, data.uri));
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
  e = setAttr(e, 'default', defaultUri ?? undefined);
  const byId = new Map(uris.map((u) => [u.id, u]));
  const seen = new Set<string>();
  const kids: XmlNode[] = [];
  let changed = false;
  for (const c of e.children) {
    if (is(c, AB, 'uri')) {
      const id = attr(c, 'id');
      const d = id === undefined ? undefined : byId.get(id);
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

/**
 * Writes `<addressbook:contact>`: name, uris, dialog, presence, attributes (the reference
 * implementation's order for new items, quirk 12), patching `existing` when given.
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
  let e = existing ?? el(AB, 'policy-element', prefixes, { id: data.id, uri: data.uri });
  e = setAttr(e, 'id', data.id);
  e = setAttr(e, 'uri', data.uri, (c) => sameUri(c, data.uri));
  e = setTextChild(e, AB, 'name', data.name, prefixes);
  e = withHandling(e, 'dialog', data.dialog, prefixes);
  e = withHandling(e, 'presence', data.presence, prefixes);
  return withBag(e, data.attributes, prefixes);
}
