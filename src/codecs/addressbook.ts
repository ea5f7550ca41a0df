/**
 * Codec of the AG Projects addressbook extension of resource-lists: the items of
 * `<rl:list name="sipsimple_addressbook">` in `urn:ag-projects:xml:ns:addressbook` and their
 * attribute bags in `urn:ag-projects:sipsimple:xml:ns:addressbook`.
 *
 * Decoding is lenient (python-sipsimple moves an updated child to the end, so children are
 * looked up by name, not position; URIs may be percent-encoded; any `nil` attribute means null). Encoding
 * patches an existing element in place: foreign children and attributes of every item survive,
 * and an element that already says what the data says is returned as the same object.
 */
import type { ContactData } from '../model/contact.js';
import type { ContactURIData } from '../model/contact-uri.js';
import type { EventHandlingData } from '../model/event-handling.js';
import type { GroupData } from '../model/group.js';
import type { PolicyData } from '../model/policy.js';
import { isValidId, type PolicyValue } from '../model/validation.js';
import { decodeUriValue } from './addressbook-uri.js';
import { type Prefixes, textContent } from './addressbook-xml-edit.js';
import { attr, child, children, NS, type XmlElement, type XmlNode } from './xml/tree.js';

/** Name of the list that holds the addressbook items. */
export const ADDRESSBOOK_LIST = 'sipsimple_addressbook';

const AB = NS.addressbook;
const SX = NS.sipsimpleAddressbook;

/** Default prefixes the reference implementation (python-sipsimple) uses. */
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
    // defineProperty: a plain assignment to '__proto__' would set the prototype, losing the key.
    Object.defineProperty(out, name, {
      value: isNil(a) ? null : textContent(a),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function isNil(a: XmlElement): boolean {
  // Any nil attribute, even nil="false", means null to the reference implementation.
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
 * rxcap shows it, where the reference implementation ignores it, and normalize
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

export {
  encodeAttributes,
  encodeContact,
  encodeContactUri,
  encodeEventHandling,
  encodeGroup,
  encodePolicy,
} from './addressbook-encode.js';
