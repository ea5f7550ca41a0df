/**
 * Normalize of the resource-lists document: the managed lists exist, the
 * addressbook items are well-formed, the derived lists match the addressbook, and every
 * `rl:list` is in schema order. Unlike the reference implementation, it keeps what it does not
 * own: unknown lists, entries in `oma_buddylist`, foreign elements anywhere, and entries other
 * clients put into the derived lists for URIs the addressbook does not mention.
 *
 * Foreign entries in derived lists: an entry whose URI no contact or policy refers to is kept
 * (another client's grant or block), except that a URI blocked in the same event package is
 * never also kept as granted (block wins, as in python-sipsimple's set algebra). Entries for URIs the addressbook does
 * refer to are exactly the computed ones. When an operation makes a URI unreferenced (removes
 * the contact, URI or policy), the operation passes it as `dropped`, and its entries go too.
 */
import {
  ADDRESSBOOK_LIST,
  decodeAddressbookList,
  decodeContact,
  decodeGroup,
  decodePolicy,
  encodeContact,
  encodeGroup,
  encodePolicy,
} from '../codecs/addressbook.js';
import {
  decodeUriValue,
  encodeUriValue,
  listAnchor,
  sameAnchor,
} from '../codecs/addressbook-uri.js';
import {
  declareNamespaces,
  el,
  mapChildren,
  type Prefixes,
  prefixFor,
  setChildren,
} from '../codecs/addressbook-xml-edit.js';
import { attr, element, is, NS, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import { DERIVED_LIST_NAMES, type DerivedLists, deriveLists, referencedUris } from './derived.js';
import { orderList, topList } from './list-edit.js';
import type { JournalContext } from './types.js';

const RL = NS.resourceLists;
const AB = NS.addressbook;

/** The top-level lists of the layout, in the order the reference implementation creates them. */
export const MANAGED_LIST_NAMES = [
  'oma_buddylist',
  'oma_grantedcontacts',
  'oma_blockedcontacts',
  'oma_allcontacts',
  'dialog_grantedcontacts',
  'dialog_blockedcontacts',
  'sipsimple_presence_rls',
  'sipsimple_dialog_rls',
  ADDRESSBOOK_LIST,
] as const;

const OMA_LISTS = ['oma_buddylist', 'oma_grantedcontacts', 'oma_blockedcontacts'] as const;

/** Prefixes to use in this resource-lists document (the ones it binds, else rl/addressbook/sipsimple). */
export function resourceListsPrefixes(root: XmlElement | null | undefined): Prefixes {
  return {
    [RL]: prefixFor(root, RL, 'rl'),
    [AB]: prefixFor(root, AB, 'addressbook'),
    [NS.sipsimpleAddressbook]: prefixFor(root, NS.sipsimpleAddressbook, 'sipsimple'),
  };
}

/** An empty `<rl:resource-lists>` root declaring the reference implementation's prefixes. */
export function emptyResourceLists(): XmlElement {
  return element(RL, 'resource-lists', [], [], {
    prefix: 'rl',
    namespaces: {
      rl: RL,
      addressbook: AB,
      sipsimple: NS.sipsimpleAddressbook,
    },
  });
}

/**
 * Brings a resource-lists document into the layout. Returns `doc` itself when it already is.
 * `appendOrder` (a batch's deferred recompute): derived entries to append are ordered by it
 * first (the batch index of the operation that touched the URI), as one-at-a-time
 * application would have appended them.
 *
 * @example normalizeResourceLists(null, ctx) // the skeleton with the nine managed lists
 */
export function normalizeResourceLists(
  doc: XmlElement | null | undefined,
  ctx: JournalContext,
  dropped: ReadonlySet<string> = new Set(),
  appendOrder?: ReadonlyMap<string, number>,
): XmlElement {
  // A document this function returned is normal (normalize is idempotent): the next edit's
  // normalize of the documents it starts from costs nothing (it decoded 10,000 contacts and
  // recomputed every derived list before; test "normalize of a normalized document returns it").
  const key = contextKey(ctx);
  if (doc && dropped.size === 0 && normalRoots.get(doc) === key) return doc;
  const out = normalizeUncached(doc, ctx, dropped, appendOrder);
  normalRoots.set(out, key);
  return out;
}

/** Roots normalizeResourceLists returned, with the context (anchors) they are normal for. */
const normalRoots = new WeakMap<XmlElement, string>();
const contextKey = (ctx: JournalContext): string => `${ctx.xcapRoot}\n${ctx.xui}`;

function normalizeUncached(
  doc: XmlElement | null | undefined,
  ctx: JournalContext,
  dropped: ReadonlySet<string>,
  appendOrder: ReadonlyMap<string, number> | undefined,
): XmlElement {
  const start = doc && is(doc, RL, 'resource-lists') ? doc : emptyResourceLists();
  const prefixes = resourceListsPrefixes(start);
  let root = start;

  // 1. The managed lists exist (appended in the reference order when missing).
  const missing = MANAGED_LIST_NAMES.filter((n) => !topList(root, n));
  if (missing.length > 0) {
    const added = missing.map((name) => el(RL, 'list', prefixes, { name }));
    root = setChildren(root, [...root.children, ...added]);
  }

  // oma_allcontacts refers to the three OMA lists (as python-sipsimple writes it); missing references are added,
  // anything else in it is kept.
  root = editTopList(root, 'oma_allcontacts', (list) => {
    const have = list.children.flatMap((c) => {
      const a = is(c, RL, 'external') ? attr(c, 'anchor') : undefined;
      return a === undefined ? [] : [a];
    });
    const add = OMA_LISTS.map((l) => listAnchor(ctx.xcapRoot, ctx.xui, l)).filter(
      (a) => !have.some((h) => sameAnchor(h, a, ctx.xcapRoot)),
    );
    if (add.length === 0) return list;
    return setChildren(list, [
      ...list.children,
      ...add.map((anchor) => el(RL, 'external', prefixes, { anchor })),
    ]);
  });

  // 2. Addressbook items are well-formed (booleans true/false, policy values, presence and
  //    dialog present, attribute bags written); items we cannot read are left as they are.
  root = editTopList(root, ADDRESSBOOK_LIST, (list) =>
    mapChildren(list, (c) => normalizeItem(c, prefixes)),
  );

  // 3. Derived lists.
  const book = decodeAddressbookList(topList(root, ADDRESSBOOK_LIST));
  const derived = deriveLists(book.contacts, book.policies);
  const referenced = referencedUris(book.contacts, book.policies);
  root = updateDerived(root, derived, referenced, dropped, prefixes, appendOrder);

  // 4. Schema order inside every list (RFC 4826 §3.2; python-sipsimple rejects others).
  root = mapChildren(root, (c) => (is(c, RL, 'list') ? orderList(c) : c));

  if (root === start) return doc === start ? doc : start;
  // Declaring the three namespaces on the root (when missing) is harmless even if one is not
  // used yet, and cheaper than walking the document to find out.
  return declareNamespaces(root, prefixes);
}

// Items already known to be in normal form (trees are immutable, so that never changes).
const normalItems = new WeakSet<XmlElement>();

/**
 * An addressbook item (contact, group, policy) in normal form; anything else as it is.
 *
 * @example mapChildren(list, (c) => normalizeItem(c, resourceListsPrefixes(root)))
 */
export function normalizeItem(c: XmlNode, prefixes: Prefixes): XmlNode {
  if (c.type !== 'element' || c.ns !== AB || normalItems.has(c)) return c;
  let next: XmlElement = c;
  if (c.name === 'contact') {
    const d = decodeContact(c);
    if (d) next = encodeContact(d, prefixes, c);
  } else if (c.name === 'group') {
    const d = decodeGroup(c);
    if (d) next = encodeGroup(d, prefixes, c);
  } else if (c.name === 'policy-element') {
    const d = decodePolicy(c);
    if (d) next = encodePolicy(d, prefixes, c);
  } else return c;
  normalItems.add(next);
  return next;
}

/** Applies `fn` to the top-level list `name` (the root itself when nothing changes). */
export function editTopList(
  root: XmlElement,
  name: string,
  fn: (list: XmlElement) => XmlElement,
): XmlElement {
  let done = false;
  return mapChildren(root, (c) => {
    if (!done && is(c, RL, 'list') && attr(c, 'name') === name) {
      done = true;
      return fn(c);
    }
    return c;
  });
}

function updateDerived(
  root: XmlElement,
  derived: DerivedLists,
  referenced: ReadonlySet<string>,
  dropped: ReadonlySet<string>,
  prefixes: Prefixes,
  appendOrder: ReadonlyMap<string, number> | undefined,
): XmlElement {
  // Blocked lists first: what ends up blocked may not stay granted as a foreign entry.
  const blockedAfter: Record<string, Set<string>> = {};
  const order = [...DERIVED_LIST_NAMES].sort(
    (a, b) => Number(b.includes('blocked')) - Number(a.includes('blocked')),
  );
  let out = root;
  for (const name of order) {
    const conflict =
      name === 'oma_grantedcontacts'
        ? blockedAfter.oma_blockedcontacts
        : name === 'dialog_grantedcontacts'
          ? blockedAfter.dialog_blockedcontacts
          : undefined;
    out = editTopList(out, name, (list) => {
      const next = syncEntries(list, derived[name], referenced, dropped, conflict, prefixes, {
        appendOrder,
      });
      if (name.includes('blocked')) blockedAfter[name] = entryUris(next);
      return next;
    });
  }
  return out;
}

function entryUris(list: XmlElement): Set<string> {
  const out = new Set<string>();
  for (const c of list.children)
    if (is(c, RL, 'entry')) {
      const u = attr(c, 'uri');
      if (u !== undefined) out.add(decodeUriValue(u));
    }
  return out;
}

function syncEntries(
  list: XmlElement,
  desired: readonly string[],
  referenced: ReadonlySet<string>,
  dropped: ReadonlySet<string>,
  conflict: ReadonlySet<string> | undefined,
  prefixes: Prefixes,
  { appendOrder }: { appendOrder: ReadonlyMap<string, number> | undefined },
): XmlElement {
  const want = new Set(desired);
  const seen = new Set<string>();
  const kids: XmlNode[] = [];
  for (const c of list.children) {
    if (!is(c, RL, 'entry')) {
      kids.push(c);
      continue;
    }
    const raw = attr(c, 'uri');
    if (raw === undefined) {
      kids.push(c);
      continue;
    }
    const u = decodeUriValue(raw);
    if (seen.has(u)) continue; // RFC 4826 §3.4.5: entry URIs are unique within a list
    if (!want.has(u) && (referenced.has(u) || dropped.has(u) || conflict?.has(u))) continue;
    seen.add(u);
    kids.push(c);
  }
  const add = desired.filter((u) => !seen.has(u));
  // Stable: ties (one operation's URIs, or no order given) keep the model order.
  if (appendOrder !== undefined && add.length > 1)
    add.sort((a, b) => (appendOrder.get(a) ?? -1) - (appendOrder.get(b) ?? -1));
  for (const u of add) kids.push(el(RL, 'entry', prefixes, { uri: encodeUriValue(u) }));
  return setChildren(list, kids);
}
