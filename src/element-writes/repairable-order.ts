/**
 * The order of a chain of element writes that keeps a cut chain repairable: rxcap's derived
 * lists are recomputed by normalize from the addressbook items, so after a 412 (or a lost
 * connection) in the middle of a chain, refetching, normalizing and replaying the operation
 * must give the edit. Normalize re-derives the missing entries of items that are present but
 * keeps entries nobody refers to as another client's; so entries go while their item still
 * refers to them, and come once it does (test: "a chain cut after any write is repaired").
 */
import { attr, NS, sameElement, type XmlElement } from '../codecs/xml/tree.js';
import { elementChildren } from './child-index.js';
import { applyElementWrite, type ElementWrite } from './element-write.js';
import type { XcapServerProfile } from './server-profile.js';

/**
 * The source of rxcap's derived lists: the `sipsimple_addressbook` list of resource-lists.
 *
 * @example rxcapSources(list) // true for <rl:list name="sipsimple_addressbook">
 */
export const rxcapSources = (e: XmlElement): boolean =>
  e.ns === NS.resourceLists && e.name === 'list' && attr(e, 'name') === 'sipsimple_addressbook';

/**
 * The writes reordered so that a chain cut after any of them is repairable (see
 * `PlanElementWritesOptions.isSource`). Writes under different root children never depend on each other when
 * those children are selected by an attribute test; the reordered chain is replayed on the model
 * and kept only when it gives the same document.
 *
 * @example repairableOrder(plan.writes, before, plan.expected, KAMAILIO_XCAP_SERVER, rxcapSources)
 */
export function repairableOrder(
  writes: readonly ElementWrite[],
  before: XmlElement,
  expected: XmlElement,
  server: XcapServerProfile,
  isSource: (e: XmlElement) => boolean,
): readonly ElementWrite[] {
  const sourceTests = new Set<string>();
  for (const c of elementChildren(before))
    if (isSource(c))
      for (const a of c.attributes) if (a.ns === '') sourceTests.add(`${a.name}\u0000${a.value}`);
  const underSource = (w: ElementWrite): boolean => {
    const t = w.path[1]?.test;
    return w.path.length > 2 && t !== undefined && sourceTests.has(`${t.name}\u0000${t.value}`);
  };
  const source = writes.filter(underSource);
  if (source.length === 0 || source.length === writes.length) return writes;
  const isDelete = (w: ElementWrite) =>
    w.kind === 'delete-element' || w.kind === 'delete-attribute';
  const rest = writes.filter((w) => !underSource(w));
  // Derived data that goes away first (the item still refers to it: normalize puts it back),
  // then the items, then derived data that comes (the item refers to it: normalize adds it).
  const ordered = [...rest.filter(isDelete), ...source, ...rest.filter((w) => !isDelete(w))];
  try {
    let doc = before;
    for (const w of ordered) doc = applyElementWrite(doc, w, server);
    if (sameElement(doc, expected)) return ordered;
  } catch {
    // A position shifted by the reordering: keep the planned order.
  }
  return writes;
}
