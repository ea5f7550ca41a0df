/**
 * Codec for resource-lists documents (RFC 4826 §3, `application/resource-lists+xml`).
 *
 * Lists keep their items in order and every element or attribute this codec does not know
 * (notably the AG addressbook items inside `sipsimple_addressbook`) as foreign
 * content. Encoding writes the RFC items first and foreign elements after them, which is also
 * the order sipsimple requires (it rejects the whole document otherwise).
 *
 * URI-typed values are read with {@link decodeUriValue} (both plain and sipsimple's
 * percent-encoded form); `entry/@uri` is written as given, `external/@anchor` and
 * `entry-ref/@ref` with {@link encodeXcapUriInDocument}.
 */

import { partitionChildren } from './partition-children.js';
import { decodeUriValue, encodeUriValue, encodeXcapUriInDocument } from './uri-encoding.js';
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign, LangText, XmlShape } from './xml/codec-helpers.js';
import {
  elementsOf,
  expectElement,
  label,
  langElement,
  langText,
  otherAttributes,
  requireAttr,
  shaped,
  shapeOf,
} from './xml/codec-helpers.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { attr, element, NS } from './xml/tree.js';

const DOC = 'resource-lists';
const RL = NS.resourceLists;

/** `<list>` (RFC 4826 §3.2): optional name and display name, items in order, foreign content. */
export interface RlList extends Foreign {
  readonly kind: 'list';
  readonly name?: string;
  readonly displayName?: LangText;
  readonly items: readonly RlItem[];
}

/** `<entry uri>`: one resource. `uri` is decoded (plain). */
export interface RlEntry extends Foreign {
  readonly kind: 'entry';
  readonly uri: string;
  readonly displayName?: LangText;
}

/** `<entry-ref ref>`: a reference (relative XCAP URI) to an entry elsewhere; `ref` decoded. */
export interface RlEntryRef extends Foreign {
  readonly kind: 'entry-ref';
  readonly ref: string;
  readonly displayName?: LangText;
}

/** `<external anchor>`: an XCAP URI of another list; `anchor` decoded. */
export interface RlExternal extends Foreign {
  readonly kind: 'external';
  readonly anchor?: string;
  readonly displayName?: LangText;
}

export type RlItem = RlList | RlEntry | RlEntryRef | RlExternal;

/** A whole resource-lists document. */
export interface ResourceLists extends Foreign {
  readonly lists: readonly RlList[];
  /** Root prefix and declarations seen on decode (kept so other clients' shape survives). */
  readonly shape?: XmlShape;
}

/** sipsimple's root shape: `rl` prefix with the addressbook namespaces declared on the root. */
export const RESOURCE_LISTS_SHAPE: XmlShape = {
  prefix: 'rl',
  namespaces: { rl: RL, addressbook: NS.addressbook, sipsimple: NS.sipsimpleAddressbook },
};

/**
 * Decodes a resource-lists root element.
 *
 * @example
 * ```ts
 * const doc = decodeResourceLists(parseXml(xml));
 * doc.lists.find((l) => l.name === 'oma_buddylist')?.items;
 * ```
 */
export function decodeResourceLists(root: XmlElement): ResourceLists {
  expectElement(DOC, root, RL, 'resource-lists');
  const [lists, extensions] = partitionChildren(root, RL, 'list', (c) => decodeRlList(c));
  return {
    lists,
    extensions,
    otherAttributes: otherAttributes(root, []),
    shape: shapeOf(root),
  };
}

/**
 * Decodes a `<list>` element of type `rl:listType` (also used by rls-services `<list>`, whose
 * element is in the rls namespace but whose items are in the resource-lists namespace).
 *
 * @example
 * ```ts
 * decodeRlList(listElement).items.filter((i) => i.kind === 'entry');
 * ```
 */
export function decodeRlList(e: XmlElement, doc = DOC): RlList {
  const items: RlItem[] = [];
  const extensions: XmlElement[] = [];
  let displayName: LangText | undefined;
  for (const c of elementsOf(e)) {
    if (c.ns !== RL) {
      extensions.push(c);
      continue;
    }
    switch (c.name) {
      case 'display-name':
        if (displayName === undefined) displayName = langText(c);
        else extensions.push(c);
        break;
      case 'list':
        items.push(decodeRlList(c, doc));
        break;
      case 'entry':
        items.push({
          kind: 'entry',
          uri: decodeUriValue(requireAttr(doc, c, 'uri')),
          ...withDisplayName(c, doc),
        });
        break;
      case 'entry-ref':
        items.push({
          kind: 'entry-ref',
          ref: decodeUriValue(requireAttr(doc, c, 'ref')),
          ...withDisplayName(c, doc),
        });
        break;
      case 'external': {
        const anchor = attr(c, 'anchor');
        items.push({
          kind: 'external',
          ...(anchor !== undefined ? { anchor: decodeUriValue(anchor) } : {}),
          ...withDisplayName(c, doc),
        });
        break;
      }
      default:
        extensions.push(c);
    }
  }
  const name = attr(e, 'name');
  return {
    kind: 'list',
    ...(name !== undefined ? { name } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    items,
    extensions,
    otherAttributes: otherAttributes(e, ['name']),
  };
}

/** display-name, foreign children and attributes of entry / entry-ref / external. */
function withDisplayName(
  e: XmlElement,
  doc: string,
): { displayName?: LangText; extensions: XmlElement[]; otherAttributes: XmlAttribute[] } {
  let displayName: LangText | undefined;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === RL && c.name === 'display-name' && displayName === undefined)
      displayName = langText(c);
    else extensions.push(c);
  }
  const known = e.name === 'entry' ? 'uri' : e.name === 'entry-ref' ? 'ref' : 'anchor';
  if (e.name !== 'external' && attr(e, known) === undefined)
    throw new XcapCodecError(doc, `missing attribute "${known}"`, label(e));
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    extensions,
    otherAttributes: otherAttributes(e, [known]),
  };
}

/**
 * Encodes a resource-lists payload to its root element (sipsimple's prefix layout unless the
 * payload carries the shape it was decoded with).
 *
 * @example
 * ```ts
 * serializeXml(encodeResourceLists({ lists: [], extensions: [], otherAttributes: [] }));
 * ```
 */
export function encodeResourceLists(doc: ResourceLists): XmlElement {
  return shaped(
    RL,
    'resource-lists',
    doc.otherAttributes,
    [...doc.lists.map((l) => encodeRlList(l)), ...doc.extensions],
    doc.shape ?? RESOURCE_LISTS_SHAPE,
  );
}

/**
 * Encodes a list; `ns` is the namespace of the `<list>` element itself (rls-services uses its
 * own), the items are always in the resource-lists namespace.
 *
 * @example
 * ```ts
 * encodeRlList({ kind: 'list', name: 'friends', items: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeRlList(list: RlList, ns: string = RL): XmlElement {
  const attrs: XmlAttribute[] = [];
  if (list.name !== undefined) attrs.push({ ns: '', name: 'name', value: list.name });
  const children: XmlElement[] = [];
  if (list.displayName !== undefined)
    children.push(langElement(RL, 'display-name', list.displayName));
  for (const item of list.items) children.push(encodeItem(item));
  children.push(...list.extensions);
  // An inline rls-services list holds resource-lists items: declare `rl` once on the list
  // rather than on every entry.
  const hint = ns !== RL && list.items.length > 0 ? { namespaces: { rl: RL } } : {};
  return element(ns, 'list', [...attrs, ...list.otherAttributes], children, hint);
}

function encodeItem(item: RlItem): XmlElement {
  if (item.kind === 'list') return encodeRlList(item);
  const attrs: XmlAttribute[] = [];
  if (item.kind === 'entry') attrs.push({ ns: '', name: 'uri', value: encodeUriValue(item.uri) });
  else if (item.kind === 'entry-ref')
    attrs.push({ ns: '', name: 'ref', value: encodeXcapUriInDocument(item.ref) });
  else if (item.anchor !== undefined)
    attrs.push({ ns: '', name: 'anchor', value: encodeXcapUriInDocument(item.anchor) });
  const children: XmlElement[] = [];
  if (item.displayName !== undefined)
    children.push(langElement(RL, 'display-name', item.displayName));
  children.push(...item.extensions);
  return element(RL, item.kind, [...attrs, ...item.otherAttributes], children);
}
