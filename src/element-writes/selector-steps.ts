/**
 * How a planned write names exactly one element (RFC 4825 §6.3): an attribute test where a
 * value is unique among the siblings and stays the same after the write, else the position;
 * and resolving such a path in the planner's model of the server's document.
 */
import { attr, type XmlElement } from '../codecs/xml/tree.js';
import { elementChildren, withAttribute } from './child-index.js';
import type { SelectorStep } from './element-write.js';
import type { XcapServerProfile } from './server-profile.js';

/** The element `path` selects in the current document (resolved like the server model does). */
export function resolve(root: XmlElement, path: readonly SelectorStep[]): XmlElement {
  let e = root;
  for (let d = 1; d < path.length; d++) {
    const step = path[d]!;
    const els = elementChildren(e);
    const hit =
      step.position !== undefined
        ? els[step.position - 1]
        : step.test !== undefined
          ? els[withAttribute(e, step.test.name, step.test.value)[0] ?? -1]
          : undefined;
    if (hit === undefined) throw new Error('element-writes: a planned step selects nothing');
    e = hit;
  }
  return e;
}

export function predicateSafe(value: string, server: XcapServerProfile): boolean {
  return server.escapedPredicateValues || !/[&<"]/.test(value);
}

/**
 * The step that selects exactly `siblings[index]` now (RFC 4825 §6.3): an attribute test when
 * one of its unprefixed attributes has a value no other sibling has for that attribute and that
 * value stays the same in `next` (so that a PUT still selects what it wrote, §8.2.3); else the
 * position.
 */
export function stepFor(
  parent: XmlElement,
  index: number,
  next: XmlElement | undefined,
  server: XcapServerProfile,
): SelectorStep {
  const self = elementChildren(parent)[index]!;
  for (const a of self.attributes) {
    if (a.ns !== '' || !predicateSafe(a.value, server)) continue;
    if (next !== undefined && attr(next, a.name) !== a.value) continue;
    if (withAttribute(parent, a.name, a.value).length === 1)
      return { test: { name: a.name, value: a.value } };
  }
  return { position: index + 1 };
}

/** The attribute test of a new element: one of its values no current child of `parent` has. */
export function insertTest(
  parent: XmlElement,
  el: XmlElement,
  server: XcapServerProfile,
): { readonly name: string; readonly value: string } | undefined {
  for (const a of el.attributes) {
    if (a.ns !== '' || !predicateSafe(a.value, server)) continue;
    if (withAttribute(parent, a.name, a.value).length === 0)
      return { name: a.name, value: a.value };
  }
  return undefined;
}
