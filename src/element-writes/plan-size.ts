/**
 * Sizes the planner compares: an element's serialized size, estimated without serializing
 * (and only as far as a comparison needs), and the UTF-8 length of a body.
 */
import type { XmlElement } from '../codecs/xml/tree.js';

/**
 * UTF-8 byte length of `s` (what a body costs on the wire).
 *
 * @example utf8Length('ø') // 2
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Approximate serialized size of `e`, counted only until it passes `cap` (then `cap + 1`):
 * enough to compare a replacement with the writes inside, without serializing megabytes.
 */
export function approxSize(e: XmlElement, cap: number): number {
  let n = 0;
  const walk = (x: XmlElement): void => {
    const tag =
      (x.prefix === undefined || x.prefix === '' ? 0 : x.prefix.length + 1) + x.name.length;
    n += 2 * tag + 5;
    for (const a of x.attributes) n += a.name.length + a.value.length + 4;
    if (x.namespaces !== undefined)
      for (const [p, u] of Object.entries(x.namespaces)) n += p.length + u.length + 9;
    for (const c of x.children) {
      if (n > cap) return;
      if (c.type === 'element') walk(c);
      else n += c.text.length;
    }
  };
  walk(e);
  return n > cap ? cap + 1 : n;
}
