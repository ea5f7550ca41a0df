/**
 * Small structural-sharing edits on the immutable XML tree: every helper returns the same
 * object when nothing changes, so an operation that changes nothing returns the documents it
 * got (the manager PUTs only changed documents).
 */
import {
  attr,
  element,
  text,
  withAttr,
  withChildren,
  type XmlElement,
  type XmlNode,
} from './xml/tree.js';

/** Prefix hints for the namespaces a document writer uses. */
export type Prefixes = Readonly<Record<string, string>>;

/**
 * The prefix to use for `ns` in a document: the one the root binds, else `preferred` (made
 * unique when the root binds it to another namespace).
 *
 * @example prefixFor(root, NS.addressbook, 'addressbook')
 */
export function prefixFor(
  root: XmlElement | null | undefined,
  ns: string,
  preferred: string,
): string {
  const decls = root?.namespaces ?? {};
  for (const [p, uri] of Object.entries(decls)) if (uri === ns) return p;
  if (root && root.ns === ns && root.prefix !== undefined) return root.prefix;
  let p = preferred;
  for (let i = 2; Object.hasOwn(decls, p) && decls[p] !== ns; i++) p = `${preferred}${i}`;
  return p;
}

/**
 * Adds namespace declarations for the prefixes in `used` that the root does not declare yet.
 * Returns the root itself when nothing is missing.
 */
export function declareNamespaces(root: XmlElement, used: Prefixes): XmlElement {
  const decls = { ...(root.namespaces ?? {}) };
  let changed = false;
  for (const [ns, p] of Object.entries(used)) {
    if (root.ns === ns && (root.prefix ?? '') === p && p === '' && decls[''] === undefined) {
      decls[''] = ns;
      changed = true;
      continue;
    }
    if (decls[p] === ns) continue;
    if (decls[p] === undefined) {
      decls[p] = ns;
      changed = true;
    }
  }
  return changed ? { ...root, namespaces: decls } : root;
}

/** Builds an element with a prefix hint. */
export function el(
  ns: string,
  name: string,
  prefixes: Prefixes,
  attributes: Readonly<Record<string, string>> = {},
  children: readonly XmlNode[] = [],
): XmlElement {
  return element(ns, name, attributes, children, { prefix: prefixes[ns] ?? '' });
}

/** Builds `<name>value</name>`. */
export function textEl(ns: string, name: string, prefixes: Prefixes, value: string): XmlElement {
  return el(ns, name, prefixes, {}, value === '' ? [] : [text(value)]);
}

/** Replaces the children of `e` when `next` differs element-by-element; else returns `e`. */
export function setChildren(e: XmlElement, next: readonly XmlNode[]): XmlElement {
  if (next.length === e.children.length && next.every((n, i) => n === e.children[i])) return e;
  return withChildren(e, next);
}

/** Maps the children of `e` (returning `e` when the mapper changes none). */
export function mapChildren(e: XmlElement, fn: (n: XmlNode) => XmlNode | null): XmlElement {
  const out: XmlNode[] = [];
  for (const c of e.children) {
    const n = fn(c);
    if (n !== null) out.push(n);
  }
  return setChildren(e, out);
}

/** The text content of `e`, replacing its children when it differs (keeps `e` otherwise). */
export function setText(e: XmlElement, value: string): XmlElement {
  const current = e.children;
  if (current.every((c) => c.type === 'text')) {
    let s = '';
    for (const c of current) if (c.type === 'text') s += c.text;
    if (s === value) return e;
  }
  return withChildren(e, value === '' ? [] : [text(value)]);
}

/**
 * Sets the text of the first child `{ns}name` (creating it at the end when missing). `same`
 * decides whether an existing text already means `value` (e.g. trimmed tokens).
 */
export function setTextChild(
  parent: XmlElement,
  ns: string,
  name: string,
  value: string,
  prefixes: Prefixes,
  same: (current: string) => boolean = (c) => c === value,
): XmlElement {
  const i = parent.children.findIndex(
    (c) => c.type === 'element' && c.ns === ns && c.name === name,
  );
  if (i < 0) return withChildren(parent, [...parent.children, textEl(ns, name, prefixes, value)]);
  const current = parent.children[i] as XmlElement;
  const onlyText = current.children.every((c) => c.type !== 'element');
  if (onlyText && same(textContent(current))) return parent;
  const kids = parent.children.slice();
  kids[i] = setText(current, value);
  return withChildren(parent, kids);
}

/** All text under `e` (direct text children). */
export function textContent(e: XmlElement): string {
  let s = '';
  for (const c of e.children) if (c.type === 'text') s += c.text;
  return s;
}

/** `withAttr` that keeps `e` when the attribute already means the value (`same`). */
export function setAttr(
  e: XmlElement,
  name: string,
  value: string | undefined,
  same: (current: string) => boolean = (c) => c === value,
): XmlElement {
  const current = attr(e, name);
  if (value === undefined) return current === undefined ? e : withAttr(e, name, undefined);
  if (current !== undefined && same(current)) return e;
  return withAttr(e, name, value);
}

/** Replaces (or, with `null`, removes) the first child matching `pred`; appends when missing. */
export function upsertChild(
  parent: XmlElement,
  pred: (e: XmlElement) => boolean,
  update: (current: XmlElement | undefined) => XmlElement | null,
): XmlElement {
  const i = parent.children.findIndex((c) => c.type === 'element' && pred(c));
  const current = i < 0 ? undefined : (parent.children[i] as XmlElement);
  const next = update(current);
  if (next === current) return parent;
  if (i < 0) return next === null ? parent : withChildren(parent, [...parent.children, next]);
  const kids = parent.children.slice();
  if (next === null) kids.splice(i, 1);
  else kids[i] = next;
  return withChildren(parent, kids);
}
