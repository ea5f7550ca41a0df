/**
 * Lookups on the element children of a tree node, computed once per node object: trees are
 * immutable, so a node's children never change and a cache keyed by the object is always
 * right. The planner asks the same questions of a 10 000-child list many times per edit; this
 * keeps each answer O(1) after one O(children) pass.
 */
import type { XmlElement } from '../codecs/xml/tree.js';

interface ChildIndex {
  /** Element children in order. */
  readonly elements: readonly XmlElement[];
  /** Index in `children` of each element child. */
  readonly offsets: readonly number[];
  /** Element child -> its position among the element children. */
  position?: Map<XmlElement, number>;
  /** `name\0value` of each unprefixed attribute -> positions of the children carrying it. */
  byAttribute?: Map<string, number[]>;
  /** Attribute lookups so far: the map is built on the third (one scan is cheaper before). */
  lookups: number;
}

const cache = new WeakMap<XmlElement, ChildIndex>();

function indexOf(e: XmlElement): ChildIndex {
  let ix = cache.get(e);
  if (ix === undefined) {
    const elements: XmlElement[] = [];
    const offsets: number[] = [];
    e.children.forEach((c, i) => {
      if (c.type === 'element') {
        elements.push(c);
        offsets.push(i);
      }
    });
    ix = { elements, offsets, lookups: 0 };
    cache.set(e, ix);
  }
  return ix;
}

/** Element children of `e`, in order. @example elementChildren(list).length */
export function elementChildren(e: XmlElement): readonly XmlElement[] {
  return indexOf(e).elements;
}

/** Indices in `e.children` of its element children. @example elementOffsets(list)[0] */
export function elementOffsets(e: XmlElement): readonly number[] {
  return indexOf(e).offsets;
}

/** Position of `child` among the element children of `e`, or -1. @example positionOf(list, entry) */
export function positionOf(e: XmlElement, child: XmlElement): number {
  const ix = indexOf(e);
  if (ix.position === undefined) {
    const m = new Map<XmlElement, number>();
    for (let i = 0; i < ix.elements.length; i++) m.set(ix.elements[i]!, i);
    ix.position = m;
  }
  return ix.position.get(child) ?? -1;
}

/**
 * Positions of the element children of `e` whose unprefixed attribute `name` is `value`.
 *
 * @example withAttribute(list, 'uri', 'sip:bob@example.com') // [3]
 */
export function withAttribute(e: XmlElement, name: string, value: string): readonly number[] {
  const ix = indexOf(e);
  if (ix.byAttribute === undefined && ++ix.lookups < 3) {
    const out: number[] = [];
    ix.elements.forEach((c, i) => {
      for (const a of c.attributes)
        if (a.ns === '' && a.name === name && a.value === value) {
          out.push(i);
          break;
        }
    });
    return out;
  }
  if (ix.byAttribute === undefined) {
    const m = new Map<string, number[]>();
    ix.elements.forEach((c, i) => {
      for (const a of c.attributes) {
        if (a.ns !== '') continue;
        const k = `${a.name}\u0000${a.value}`;
        const l = m.get(k);
        if (l === undefined) m.set(k, [i]);
        else l.push(i);
      }
    });
    ix.byAttribute = m;
  }
  return ix.byAttribute.get(`${name}\u0000${value}`) ?? [];
}
