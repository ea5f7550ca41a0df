/**
 * Where the order of sibling elements carries no meaning, and document equivalence up to that.
 *
 * A server that moves a replaced element to the end of its parent (Kamailio) can only be sent a
 * replacement where the move changes nothing a reader cares about. The classes below name runs
 * of siblings whose order is free: within a class any order is equivalent, but classes keep
 * their relative order. sipsimple reads a `<rl:list>` as a sequence of RFC 4826 children
 * followed by extension elements and refuses an `rl:entry` after the addressbook items, so
 * those are two classes; contacts, groups and policies of `sipsimple_addressbook` form one set
 * keyed by id; rules of a ruleset, services of rls-services and entries of identity and
 * external-list conditions are sets too (RFC 4745 §10: rules are combined, not ordered).
 * Everything else is a schema sequence and keeps its order.
 */
import { attr, NS, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import { elementChildren } from './child-index.js';

/**
 * The order class of `child` under `parent`: siblings of one class may be reordered freely;
 * `null` when the child's position matters.
 */
export type SiblingOrder = (parent: XmlElement, child: XmlElement) => string | null;

const RL_CHILDREN = new Set(['list', 'external', 'entry', 'entry-ref']);

/**
 * The order classes of the documents rxcap manages (resource-lists, rls-services, pres-rules,
 * dialog-rules); every other element's children keep their order.
 *
 * @example rxcapSiblingOrder(list, contact) // 'extension'
 */
export const rxcapSiblingOrder: SiblingOrder = (parent, child) => {
  if (
    parent.ns === NS.resourceLists &&
    (parent.name === 'list' || parent.name === 'resource-lists')
  ) {
    if (child.ns === NS.resourceLists) return RL_CHILDREN.has(child.name) ? 'rl' : null;
    return 'extension';
  }
  if (parent.ns === NS.commonPolicy && parent.name === 'ruleset')
    return child.ns === NS.commonPolicy && child.name === 'rule' ? 'rule' : null;
  if (parent.ns === NS.rlsServices && parent.name === 'rls-services')
    return child.ns === NS.rlsServices && child.name === 'service' ? 'service' : null;
  if (parent.ns === NS.commonPolicy && parent.name === 'identity') return 'identity';
  if (parent.ns === NS.omaCommonPolicy && parent.name === 'external-list') return 'entry';
  return null;
};

/**
 * Every sibling keeps its place: equivalence is then equality of meaning (`sameElement`).
 *
 * @example planElementWrites(a, b, { server, order: strictSiblingOrder })
 */
export const strictSiblingOrder: SiblingOrder = () => null;

/**
 * True when moving element child number `index` of `parent` to the end changes nothing but
 * the order within its class: it has a class and every element after it has the same one.
 *
 * @example movableToEnd(list, 3, rxcapSiblingOrder)
 */
export function movableToEnd(parent: XmlElement, index: number, order: SiblingOrder): boolean {
  const els = elementChildren(parent);
  const self = els[index];
  if (self === undefined) return false;
  if (index === els.length - 1) return true;
  const cls = order(parent, self);
  if (cls === null) return false;
  for (let k = index + 1; k < els.length; k++) if (order(parent, els[k]!) !== cls) return false;
  return true;
}

const KEY_ATTRIBUTES = ['id', 'name', 'uri', 'anc'] as const;

/**
 * A sibling's identity for matching: expanded name and the first of `id`, `name`, `uri`, `anc`
 * it carries (the keys of every list, rule, entry and addressbook item rxcap writes).
 *
 * @example identityKey(entry) // 'urn:ietf:params:xml:ns:resource-lists entry @uri=sip:bob@example.com'
 */
export function identityKey(e: XmlElement): string {
  for (const k of KEY_ATTRIBUTES) {
    const v = attr(e, k);
    if (v !== undefined) return `${e.ns} ${e.name} @${k}=${v}`;
  }
  return `${e.ns} ${e.name}`;
}

function significantTexts(nodes: readonly XmlNode[]): string[] {
  const out: string[] = [];
  for (const n of nodes) if (n.type === 'text' && n.text.trim() !== '') out.push(n.text);
  return out;
}

function sameAttributes(a: XmlElement, b: XmlElement): boolean {
  if (a.attributes.length !== b.attributes.length) return false;
  for (const x of a.attributes) if (attr(b, x.name, x.ns) !== x.value) return false;
  return true;
}

/** Groups consecutive element children into runs: one per free class, one per ordered child. */
function runs(
  parent: XmlElement,
  order: SiblingOrder,
): { cls: string | null; els: readonly XmlElement[] }[] {
  const all = elementChildren(parent);
  const out: { cls: string | null; els: readonly XmlElement[] }[] = [];
  let start = 0;
  let cls: string | null = null;
  for (let i = 0; i < all.length; i++) {
    const c = order(parent, all[i]!);
    if (i > start && (c === null || c !== cls)) {
      out.push({ cls, els: all.slice(start, i) });
      start = i;
    }
    cls = c;
  }
  if (all.length > start) out.push({ cls, els: start === 0 ? all : all.slice(start) });
  return out;
}

/**
 * Equality of meaning up to the order of siblings within a free class: names, attributes, the
 * significant text in order, and the element children run by run (a free run compared as a
 * multiset by identity key). Shared subtrees compare in O(1).
 *
 * @example equivalentElements(serverDoc, afterDoc, rxcapSiblingOrder)
 */
export function equivalentElements(a: XmlElement, b: XmlElement, order: SiblingOrder): boolean {
  if (a === b) return true;
  if (a.ns !== b.ns || a.name !== b.name || !sameAttributes(a, b)) return false;
  const ta = significantTexts(a.children);
  const tb = significantTexts(b.children);
  if (ta.length !== tb.length || ta.some((t, i) => t !== tb[i])) return false;
  const ra = runs(a, order);
  const rb = runs(b, order);
  if (ra.length !== rb.length) return false;
  for (let r = 0; r < ra.length; r++) {
    const x = ra[r]!;
    const y = rb[r]!;
    if (x.cls !== y.cls || x.els.length !== y.els.length) return false;
    if (x.cls === null) {
      if (!equivalentElements(x.els[0]!, y.els[0]!, order)) return false;
      continue;
    }
    if (!sameBag(x.els, y.els, order)) return false;
  }
  return true;
}

function sameBag(
  xs: readonly XmlElement[],
  ys: readonly XmlElement[],
  order: SiblingOrder,
): boolean {
  // Shared subtrees first: the same objects at the start and the end, then anywhere.
  let lo = 0;
  while (lo < xs.length && xs[lo] === ys[lo]) lo++;
  let hi = 0;
  while (hi < xs.length - lo && xs[xs.length - 1 - hi] === ys[ys.length - 1 - hi]) hi++;
  if (lo + hi === xs.length) return true;
  const ySet = new Set<XmlElement>();
  for (let k = lo; k < ys.length - hi; k++) ySet.add(ys[k]!);
  const xRest: XmlElement[] = [];
  for (let k = lo; k < xs.length - hi; k++) {
    const x = xs[k]!;
    if (ySet.has(x)) ySet.delete(x);
    else xRest.push(x);
  }
  // What is left is compared by identity key, then in meaning.
  const byKey = new Map<string, XmlElement[]>();
  for (const y of ySet) {
    const key = identityKey(y);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [y]);
    else list.push(y);
  }
  for (const x of xRest) {
    const list = byKey.get(identityKey(x));
    const j = list === undefined ? -1 : list.findIndex((y) => equivalentElements(x, y, order));
    if (list === undefined || j < 0) return false;
    list.splice(j, 1);
  }
  return true;
}
