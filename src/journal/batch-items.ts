/**
 * Helpers of the batch (batch.ts): decoded items cached by element per window (trees are
 * immutable; a window-long cache is not retained with the documents afterwards), the
 * index keys and URIs of items, and comparisons of two versions of a list.
 *
 * @example const d = decodeItem(list.children[0]!, new WeakMap()); urisOf(d) // ['sip:bob@example.com']
 */
import {
  type DecodedAddressbook,
  decodeContact,
  decodeGroup,
  decodePolicy,
} from '../codecs/addressbook.js';
import { attr, NS, sameElement, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import type { ContactData } from '../model/contact.js';
import type { GroupData } from '../model/group.js';
import type { PolicyData } from '../model/policy.js';
import { orderList, rank } from './list-edit.js';
import { itemKey } from './step.js';

const AB = NS.addressbook;

/** A decoded addressbook item. */
export type Item =
  | { kind: 'contact'; data: ContactData }
  | { kind: 'group'; data: GroupData }
  | { kind: 'policy-element'; data: PolicyData };

// Decoded items by element (trees are immutable, so an element always decodes the same).
/** Decoded items by element, for one window. */
export type ItemCache = WeakMap<XmlElement, Item | null>;

export function decodeItem(n: XmlNode, decoded: ItemCache): Item | null {
  if (n.type !== 'element' || n.ns !== AB) return null;
  let d = decoded.get(n);
  if (d !== undefined) return d;
  d = null;
  if (n.name === 'contact') {
    const c = decodeContact(n);
    if (c) d = { kind: 'contact', data: c };
  } else if (n.name === 'group') {
    const g = decodeGroup(n);
    if (g) d = { kind: 'group', data: g };
  } else if (n.name === 'policy-element') {
    const p = decodePolicy(n);
    if (p) d = { kind: 'policy-element', data: p };
  }
  decoded.set(n, d);
  return d;
}

/** The index key of an addressbook element with an id (what `findItem` looks for). */
export function rawKey(n: XmlNode): string | undefined {
  if (n.type !== 'element' || n.ns !== AB) return undefined;
  const id = attr(n, 'id');
  return id === undefined ? undefined : itemKey(n.name, id);
}

/** URIs an item refers to (what `referencedUris` counts); groups refer to none. */
export function urisOf(item: Item | null): string[] {
  if (item === null || item.kind === 'group') return [];
  if (item.kind === 'policy-element') return [item.data.uri];
  return [...new Set(item.data.uris.map((u) => u.uri))];
}

/** `decodeAddressbookList` with decoded items cached (same result: first of an id wins). */
export function decodeBook(list: XmlElement, cache: ItemCache): DecodedAddressbook {
  const out: DecodedAddressbook = { contacts: [], groups: [], policies: [] };
  const seen = new Set<string>();
  for (const c of list.children) {
    const d = decodeItem(c, cache);
    if (d === null || seen.has(`${d.kind} ${d.data.id}`)) continue;
    seen.add(`${d.kind} ${d.data.id}`);
    if (d.kind === 'contact') out.contacts.push(d.data);
    else if (d.kind === 'group') out.groups.push(d.data);
    else out.policies.push(d.data);
  }
  return out;
}

/** The book an edit receives, decoded only if the edit reads it (addGroup, addGroupMember). */
export function lazyBook(list: XmlElement, cache: ItemCache): DecodedAddressbook {
  let book: DecodedAddressbook | undefined;
  const get = (): DecodedAddressbook => {
    book ??= decodeBook(list, cache);
    return book;
  };
  return {
    get contacts() {
      return get().contacts;
    },
    get groups() {
      return get().groups;
    },
    get policies() {
      return get().policies;
    },
  };
}

/** The children that differ between two versions of a list (by identity), old and new. */
export function changedChildren(
  a: readonly XmlNode[],
  b: readonly XmlNode[],
): { gone: XmlNode[]; added: XmlNode[]; midA: XmlNode[]; midB: XmlNode[]; from: number } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const midA = a.slice(p, a.length - s);
  const midB = b.slice(p, b.length - s);
  const inA = new Set(midA);
  const inB = new Set(midB);
  return {
    gone: midA.filter((n) => !inB.has(n)),
    added: midB.filter((n) => !inA.has(n)),
    midA,
    midB,
    from: p,
  };
}

export function sameDoc(
  a: XmlElement | null | undefined,
  b: XmlElement | null | undefined,
): boolean {
  const x = a ?? null;
  const y = b ?? null;
  return x === y || (x !== null && y !== null && sameElement(x, y));
}

/** Same content (as `sameElement` compares children) of the differing runs of two lists. */
export function sameNodes(midA: readonly XmlNode[], midB: readonly XmlNode[]): boolean {
  const sig = (ns: readonly XmlNode[]) =>
    ns.filter((n) => n.type === 'element' || (n.type === 'text' && n.text.trim() !== ''));
  const a = sig(midA);
  const b = sig(midB);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type) return false;
    if (x.type === 'element') {
      if (!sameElement(x, y as XmlElement)) return false;
    } else if (x.text !== (y as { text: string }).text) return false;
  }
  return true;
}

/**
 * `orderList(list)` for a list that is in schema order (RFC 4826 §3.2) everywhere except
 * perhaps in the run of `count` children at `from` (what one edit of a window changed): only
 * the run and its nearest element neighbours are looked at, and the whole list is reordered
 * only when they are out of order. Reordering the whole list after every edit of a window
 * made a batch quadratic (8,000 addContact: 25.7 s under load; `bench/batch.ts`).
 */
export function orderRun(list: XmlElement, from: number, count: number): XmlElement {
  const kids = list.children;
  let max = 0;
  for (let i = from - 1; i >= 0; i--) {
    const r = rank(kids[i]!);
    if (r >= 0) {
      max = r;
      break;
    }
  }
  for (let i = from; i < from + count; i++) {
    const k = kids[i]!;
    // A nested list's own children must be in order too: let orderList do it.
    if (k.type === 'element' && k.ns === NS.resourceLists && k.name === 'list')
      return orderList(list);
    const r = rank(k);
    if (r < 0) continue;
    if (r < max) return orderList(list);
    max = r;
  }
  for (let i = from + count; i < kids.length; i++) {
    const r = rank(kids[i]!);
    if (r < 0) continue;
    return r < max ? orderList(list) : list;
  }
  return list;
}
