/**
 * Building blocks of operations: the skip result, normalize of every supported document, and
 * edits of the `sipsimple_addressbook` list that recompute the derived content afterwards.
 */
import {
  ADDRESSBOOK_LIST,
  type DecodedAddressbook,
  decodeAddressbookList,
} from '../codecs/addressbook.js';
import { type Prefixes, setChildren } from '../codecs/addressbook-xml-edit.js';
import { attr, is, NS, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import { referencedUris } from './derived.js';
import { replaceTopList, topList } from './list-edit.js';
import { normalizeResourceLists, resourceListsPrefixes } from './normalize-resource-lists.js';
import { normalizeRlsServices } from './normalize-rls-services.js';
import { DIALOG_RULES, normalizeRules, PRESENCE_RULES } from './normalize-rules.js';
import type { Documents, JournalContext } from './types.js';

const AB = NS.addressbook;

/** An operation that did nothing, and why. */
export interface Skip {
  readonly skipped: string;
}
/** The documents after an operation, or why it was skipped. */
export type Step = Documents | Skip;

/** True for a {@link Skip}. @example if (isSkip(r)) return r; */
export function isSkip<T>(s: T | Skip): s is Skip {
  return typeof s === 'object' && s !== null && typeof (s as Skip).skipped === 'string';
}

/**
 * Runs normalize on every supported document (`dropped`: URIs an edit made unreferenced,
 * whose derived-list entries must go).
 */
export function normalizeAll(
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

/** An edit of the addressbook list: the new list, or a skip. */
export type BookEdit = (
  list: XmlElement,
  prefixes: Prefixes,
  book: DecodedAddressbook,
) => XmlElement | Skip;

/** Edits the `sipsimple_addressbook` list, then normalizes with the URIs the edit dropped. */
export function editBook(docs: Documents, ctx: JournalContext, edit: BookEdit): Step {
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

/**
 * Indexes of addressbook lists with unique items: `{name} {id}` -> the item element. A batch
 * registers one for the list it is editing (batch.ts), so that finding an item is not a scan of
 * every contact; only the latest list of a batch is registered.
 */
export const itemIndexes = new WeakMap<XmlElement, ReadonlyMap<string, XmlElement>>();

/**
 * Lists a batch window owns (batch.ts): no one else holds them until the window closes, so
 * `putItem` appends a new item to their children in place instead of copying every child.
 * Copying the list for each of 8,000 addContact made an import quadratic (25.7 s under load).
 */
export const ownedLists = new WeakSet<XmlElement>();

/** The key of an addressbook item in an index. @example itemKey('contact', 'id1') */
export function itemKey(name: string, id: string): string {
  return `${name} ${id}`;
}

/** The addressbook item `{name}` with this id. @example findItem(list, 'contact', 'id1') */
export function findItem(list: XmlElement, name: string, id: string): XmlElement | undefined {
  const index = itemIndexes.get(list);
  if (index !== undefined) return index.get(itemKey(name, id));
  for (const c of list.children) if (is(c, AB, name) && attr(c, 'id') === id) return c;
  return undefined;
}

/** Replaces the first item `{name}#id` (or appends `next`); null removes every such item. */
export function putItem(
  list: XmlElement,
  name: string,
  id: string,
  next: XmlElement | null,
): XmlElement {
  const index = itemIndexes.get(list);
  if (index !== undefined) {
    // Items are unique in an indexed list: replace or remove that one, or append.
    const cur = index.get(itemKey(name, id));
    if (cur === undefined) {
      if (next === null) return list;
      if (ownedLists.has(list)) {
        (list.children as XmlNode[]).push(next);
        return list;
      }
      return setChildren(list, [...list.children, next]);
    }
    const kids = list.children.slice();
    const i = kids.indexOf(cur);
    if (next === null) kids.splice(i, 1);
    else kids[i] = next;
    return setChildren(list, kids);
  }
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

/** Runs a validation, turning its error into a skip (journal data loaded from storage). */
export function validate<T>(fn: () => T): T | Skip {
  try {
    return fn();
  } catch (e) {
    return { skipped: `invalid operation data: ${(e as Error).message}` };
  }
}
