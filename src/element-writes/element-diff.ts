/**
 * What changed inside one element between the document before and after an edit: its
 * non-blank texts and its unprefixed attributes (the planner writes only those in place).
 */
import type { XmlElement } from '../codecs/xml/tree.js';

/** Whether the non-blank texts of `b` and `a` are the same, in order. */
export function sameTexts(b: XmlElement, a: XmlElement): boolean {
  const tb: string[] = [];
  for (const c of b.children) if (c.type === 'text' && c.text.trim() !== '') tb.push(c.text);
  let k = 0;
  for (const c of a.children)
    if (c.type === 'text' && c.text.trim() !== '' && tb[k++] !== c.text) return false;
  return k === tb.length;
}

/** Unprefixed attribute changes from `b` to `a`; null when a namespaced one changed. */
export function attributeChanges(
  b: XmlElement,
  a: XmlElement,
): { name: string; value: string | undefined }[] | null {
  const out: { name: string; value: string | undefined }[] = [];
  for (const x of a.attributes) {
    const old = b.attributes.find((y) => y.ns === x.ns && y.name === x.name);
    if (old?.value === x.value) continue;
    if (x.ns !== '') return null;
    out.push({ name: x.name, value: x.value });
  }
  for (const y of b.attributes)
    if (!a.attributes.some((x) => x.ns === y.ns && x.name === y.name)) {
      if (y.ns !== '') return null;
      out.push({ name: y.name, value: undefined });
    }
  return out;
}
