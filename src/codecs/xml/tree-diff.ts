/**
 * The difference between two versions of an immutable tree, as plain JSON data, and its replay.
 *
 * Edits build new trees that share every unchanged subtree with the old one (tree.ts), so the
 * difference is found by identity: only the path from the root to each edited run of children is
 * walked, never the unchanged subtrees. A one-contact edit of a 10,000-contact addressbook is a
 * change of a few hundred bytes, which the document cache stores instead of the whole document
 * (src/store/document-cache.ts). Replaying the changes on the old tree gives a tree equal to the
 * new one in every field (test/codecs/tree-diff.property.test.ts).
 */
import type { XmlAttribute, XmlElement, XmlNode } from './tree.js';

/**
 * One change of a tree: at the element reached by `path` (child indexes from the root), its own
 * names and attributes replaced (`element`), and/or its children `from`..`to` (exclusive)
 * replaced by `nodes`.
 *
 * @example const c: TreeChange = { path: [8], from: 3, to: 4, nodes: [contactElement] };
 */
export interface TreeChange {
  readonly path: readonly number[];
  /** The element's names, attributes and declarations (not its children), when they changed. */
  readonly element?: Omit<XmlElement, 'children'>;
  readonly from?: number;
  readonly to?: number;
  readonly nodes?: readonly XmlNode[];
}

/**
 * The changes that turn `a` into `b`. Unchanged subtrees must be shared (the same objects) for
 * the result to be small; it is correct either way.
 *
 * @example applyTreeChanges(a, diffTrees(a, b)) // equal to b
 */
export function diffTrees(a: XmlElement, b: XmlElement): TreeChange[] {
  const out: TreeChange[] = [];
  diffElement(a, b, [], out);
  return out;
}

function diffElement(a: XmlElement, b: XmlElement, path: number[], out: TreeChange[]): void {
  if (a === b) return;
  const head = sameHead(a, b) ? undefined : headOf(b);
  const ka = a.children;
  const kb = b.children;
  let p = 0;
  const max = Math.min(ka.length, kb.length);
  while (p < max && ka[p] === kb[p]) p++;
  let s = 0;
  while (s < max - p && ka[ka.length - 1 - s] === kb[kb.length - 1 - s]) s++;
  const midA = ka.length - s - p;
  const midB = kb.length - s - p;
  if (midA === midB && midA > 0) {
    // As many children as before: each changed one is a change of its own (an addressbook edit
    // changes the addressbook list and a few derived lists, never the 10,000 contacts between).
    if (head !== undefined) out.push({ path: [...path], element: head });
    for (let i = p; i < p + midA; i++) {
      const x = ka[i]!;
      const y = kb[i]!;
      if (x === y) continue;
      if (x.type === 'element' && y.type === 'element' && x.ns === y.ns && x.name === y.name)
        diffElement(x, y, [...path, i], out);
      else out.push({ path: [...path], from: i, to: i + 1, nodes: [y] });
    }
    return;
  }
  if (midA === 0 && midB === 0) {
    if (head !== undefined) out.push({ path: [...path], element: head });
    return;
  }
  out.push({
    path: [...path],
    ...(head !== undefined ? { element: head } : {}),
    from: p,
    to: p + midA,
    nodes: kb.slice(p, p + midB),
  });
}

function headOf(e: XmlElement): Omit<XmlElement, 'children'> {
  const { children: _, ...head } = e;
  return head;
}

function sameHead(a: XmlElement, b: XmlElement): boolean {
  return (
    a.ns === b.ns &&
    a.name === b.name &&
    a.prefix === b.prefix &&
    sameAttributes(a.attributes, b.attributes) &&
    sameRecord(a.namespaces, b.namespaces)
  );
}

function sameAttributes(a: readonly XmlAttribute[], b: readonly XmlAttribute[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.ns !== y.ns || x.name !== y.name || x.value !== y.value || x.prefix !== y.prefix)
      return false;
  }
  return true;
}

function sameRecord(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/**
 * Replays changes made by {@link diffTrees} on the tree they were computed from (copying only
 * the paths they touch). Throws a `RangeError` when a change does not fit the tree (a change
 * log that does not belong to it).
 *
 * @example const b = applyTreeChanges(a, diffTrees(a, b0));
 */
export function applyTreeChanges(root: XmlElement, changes: readonly TreeChange[]): XmlElement {
  let out = root;
  for (const c of changes) out = applyOne(out, c, 0);
  return out;
}

function applyOne(e: XmlElement, c: TreeChange, depth: number): XmlElement {
  if (depth < c.path.length) {
    const i = c.path[depth]!;
    const child = e.children[i];
    if (child === undefined || child.type !== 'element')
      throw new RangeError(`tree change: no element at child ${i}`);
    const kids = e.children.slice();
    kids[i] = applyOne(child, c, depth + 1);
    return { ...e, children: kids };
  }
  let next: XmlElement = c.element !== undefined ? { ...c.element, children: e.children } : e;
  if (c.nodes !== undefined) {
    const from = c.from ?? 0;
    const to = c.to ?? from;
    if (from < 0 || to < from || to > next.children.length)
      throw new RangeError(`tree change: children ${from}..${to} out of range`);
    const kids = next.children.slice(0, from).concat(c.nodes, next.children.slice(to));
    next = { ...next, children: kids };
  }
  return next;
}
