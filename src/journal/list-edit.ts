/**
 * Edits of `rl:list` elements shared by normalize and the operations.
 */

import { setChildren } from '../codecs/addressbook-xml-edit.js';
import { attr, children, is, NS, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';

const RL = NS.resourceLists;

/** The top-level `<rl:list name=…>` of a resource-lists document. */
export function topList(root: XmlElement | null | undefined, name: string): XmlElement | undefined {
  if (!root) return undefined;
  return children(root, RL, 'list').find((l) => attr(l, 'name') === name);
}

/** Replaces the top-level list `name` with `next` (same root when `next` is the same list). */
export function replaceTopList(root: XmlElement, name: string, next: XmlElement): XmlElement {
  let done = false;
  return setChildren(
    root,
    root.children.map((c) => {
      if (!done && is(c, RL, 'list') && attr(c, 'name') === name) {
        done = true;
        return next;
      }
      return c;
    }),
  );
}

const RL_ITEMS = new Set(['list', 'external', 'entry', 'entry-ref']);

/**
 * The place of a child of an `rl:list` in schema order (RFC 4826 §3.2): `display-name` 0, the
 * items 1, foreign elements 2; -1 for text and comments, which keep their place.
 *
 * @example rank(displayName) // 0
 */
export function rank(n: XmlNode): number {
  if (n.type !== 'element') return -1;
  if (n.ns === RL && n.name === 'display-name') return 0;
  if (n.ns === RL && RL_ITEMS.has(n.name)) return 1;
  return 2;
}

/**
 * Puts the children of an `rl:list` into schema order, recursively: `display-name`, then
 * `entry`/`list`/`external`/`entry-ref`, then foreign elements (RFC 4826 §3.2; the reference
 * implementation, python-sipsimple, rejects a whole document otherwise). Stable; returns
 * the same list when it is already ordered.
 */
export function orderList(list: XmlElement): XmlElement {
  const kids = list.children.map((c) => (is(c, RL, 'list') ? orderList(c) : c));
  let max = 0;
  let sorted = true;
  for (const k of kids) {
    const r = rank(k);
    if (r < 0) continue;
    if (r < max) sorted = false;
    max = Math.max(max, r);
  }
  if (sorted) return setChildren(list, kids);
  const groups: XmlNode[][] = [[], [], []];
  for (const k of kids) {
    const r = rank(k);
    groups[r < 0 ? 2 : r]!.push(k);
  }
  return setChildren(list, [...groups[0]!, ...groups[1]!, ...groups[2]!]);
}
