import type { XmlElement, XmlNode } from '../../src/codecs/xml/tree.js';
import { rxcapSiblingOrder } from '../../src/element-writes/index.js';

/**
 * An independent canonical form for "equivalent up to free sibling order": children of a free
 * class are sorted by their own canonical text, then everything is serialized. It shares only
 * the class table (rxcapSiblingOrder) with the planner, not its equivalence check.
 */
export function canonical(e: XmlElement): string {
  const kids: string[] = [];
  let run: { cls: string; items: string[] } | undefined;
  const flush = () => {
    if (run) kids.push(...run.items.sort());
    run = undefined;
  };
  for (const c of e.children as XmlNode[]) {
    if (c.type === 'comment') continue;
    if (c.type === 'text') {
      if (c.text.trim() !== '') kids.push(`"${c.text}"`);
      continue;
    }
    const cls = rxcapSiblingOrder(e, c);
    if (cls === null || cls !== run?.cls) flush();
    if (cls === null) kids.push(canonical(c));
    else {
      run ??= { cls, items: [] };
      run.items.push(canonical(c));
    }
  }
  flush();
  const attrs = e.attributes.map((a) => `${a.ns}|${a.name}=${a.value}`).sort();
  return `<{${e.ns}}${e.name} ${attrs.join(' ')}>${kids.join('')}</>`;
}
