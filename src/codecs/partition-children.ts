/**
 * The child split most codecs start with: the children of one kind, decoded, and every other
 * child element kept as a foreign extension in document order, so that content rxcap does not
 * understand survives a decode/encode round trip (XCAP writes whole documents, RFC 4825 §7.4).
 *
 * It lives here rather than in xml/codec-helpers.ts because that folder belongs to the XML
 * layer; this is a codec-level convention.
 */
import { elementsOf } from './xml/codec-helpers.js';
import type { XmlElement } from './xml/tree.js';

/**
 * Splits the child elements of `e`: those named `{ns}name` are decoded with `decode` (in
 * order), every other child element is returned as an extension (in order).
 *
 * @example
 * ```ts
 * const [services, extensions] = partitionChildren(root, NS.rlsServices, 'service', decodeService);
 * ```
 */
export function partitionChildren<T>(
  e: XmlElement,
  ns: string,
  name: string,
  decode: (child: XmlElement) => T,
): [T[], XmlElement[]] {
  const items: T[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === ns && c.name === name) items.push(decode(c));
    else extensions.push(c);
  }
  return [items, extensions];
}
