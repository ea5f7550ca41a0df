/**
 * Codec for the xcap-caps document (RFC 4825 §12, `application/xcap-caps+xml`): the AUIDs,
 * extensions and namespaces a server supports.
 */
import type { XmlShape } from './xml/codec-helpers.js';
import { elementsOf, expectElement, shaped, shapeOf, textElement } from './xml/codec-helpers.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { element, NS, textOf } from './xml/tree.js';

const DOC = 'xcap-caps';
const XC = NS.xcapCaps;

/** Server capabilities (RFC 4825 §12.2). */
export interface XcapCaps {
  readonly auids: readonly string[];
  /** The server's XCAP extensions (the document's `<extensions>`). */
  readonly extensions: readonly string[];
  readonly namespaces: readonly string[];
  /** Foreign child elements of the root (named so to not clash with `extensions`). */
  readonly otherElements: readonly XmlElement[];
  readonly otherAttributes: readonly XmlAttribute[];
  readonly shape?: XmlShape;
}

const GROUPS = [
  ['auids', 'auid'],
  ['extensions', 'extension'],
  ['namespaces', 'namespace'],
] as const;

/**
 * Decodes an xcap-caps root element.
 *
 * @example
 * ```ts
 * decodeXcapCaps(parseXml(xml)).auids.includes('resource-lists');
 * ```
 */
export function decodeXcapCaps(root: XmlElement): XcapCaps {
  expectElement(DOC, root, XC, 'xcap-caps');
  const found: Record<string, string[]> = { auids: [], extensions: [], namespaces: [] };
  const otherElements: XmlElement[] = [];
  for (const c of elementsOf(root)) {
    const g = GROUPS.find(([group]) => c.ns === XC && c.name === group);
    if (g === undefined) {
      otherElements.push(c);
      continue;
    }
    for (const x of elementsOf(c))
      if (x.ns === XC && x.name === g[1]) found[g[0]]!.push(textOf(x).trim());
      else otherElements.push(x);
  }
  return {
    auids: found.auids!,
    extensions: found.extensions!,
    namespaces: found.namespaces!,
    otherElements,
    otherAttributes: root.attributes,
    shape: shapeOf(root),
  };
}

/**
 * Encodes an xcap-caps payload (used by tests and fake servers).
 *
 * @example
 * ```ts
 * encodeXcapCaps({ auids: ['resource-lists'], extensions: [], namespaces: [], otherElements: [], otherAttributes: [] });
 * ```
 */
export function encodeXcapCaps(caps: XcapCaps): XmlElement {
  const children = GROUPS.map(([group, item]) =>
    element(
      XC,
      group,
      [],
      caps[group].map((v) => textElement(XC, item, v)),
    ),
  );
  return shaped(
    XC,
    'xcap-caps',
    caps.otherAttributes,
    [...children, ...caps.otherElements],
    caps.shape ?? { prefix: '' },
  );
}
