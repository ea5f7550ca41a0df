/**
 * The namespace-aware XML tree shared by every codec and by the journal operations.
 *
 * Trees are immutable plain data: operations build new trees and share unchanged subtrees.
 * Names are resolved: `ns` is the namespace URI ('' for none) and `name` the local name; the
 * prefix seen when parsing is kept only as a serialization hint, so documents written by other
 * clients keep their prefixes on a round trip. Unknown elements and attributes are kept as they
 * are (other clients' data must survive us).
 */

/** An attribute. `ns` is '' for unprefixed attributes (they are in no namespace). */
export interface XmlAttribute {
  readonly ns: string;
  readonly name: string;
  readonly value: string;
  /** Prefix seen on parse (hint for serialization); ignored when `ns` is ''. */
  readonly prefix?: string;
}

/** An element with resolved names. */
export interface XmlElement {
  readonly type: 'element';
  /** Namespace URI, '' when the element is in no namespace. */
  readonly ns: string;
  /** Local name. */
  readonly name: string;
  /** Prefix seen on parse, '' for the default namespace (a serialization hint). */
  readonly prefix?: string;
  /** Attributes other than namespace declarations, in document order. */
  readonly attributes: readonly XmlAttribute[];
  /** Namespace declarations made on this element: prefix ('' = default namespace) -> URI. */
  readonly namespaces?: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

/**
 * A text node of the parsed tree.
 *
 * @example const t: XmlText = text('Bob');
 */
export interface XmlText {
  readonly type: 'text';
  readonly text: string;
}

/**
 * A comment of the parsed tree (kept so that documents of other clients keep their shape).
 *
 * @example const c: XmlComment = { type: 'comment', text: ' written by Blink ' };
 */
export interface XmlComment {
  readonly type: 'comment';
  readonly text: string;
}

/**
 * Any node of the parsed tree.
 *
 * @example root.children.filter((n: XmlNode) => isElement(n));
 */
export type XmlNode = XmlElement | XmlText | XmlComment;

/** Well-known namespace URIs. */
export const NS = {
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
  resourceLists: 'urn:ietf:params:xml:ns:resource-lists',
  rlsServices: 'urn:ietf:params:xml:ns:rls-services',
  commonPolicy: 'urn:ietf:params:xml:ns:common-policy',
  presRules: 'urn:ietf:params:xml:ns:pres-rules',
  omaCommonPolicy: 'urn:oma:xml:xdm:common-policy',
  dialogRules: 'urn:ag-projects:xml:ns:dialog-rules',
  presContent: 'urn:oma:xml:prs:pres-content',
  pidf: 'urn:ietf:params:xml:ns:pidf',
  dataModel: 'urn:ietf:params:xml:ns:pidf:data-model',
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  cipid: 'urn:ietf:params:xml:ns:pidf:cipid',
  agpPidf: 'urn:ag-projects:xml:ns:pidf',
  xcapCaps: 'urn:ietf:params:xml:ns:xcap-caps',
  xcapDiff: 'urn:ietf:params:xml:ns:xcap-diff',
  xcapError: 'urn:ietf:params:xml:ns:xcap-error',
  addressbook: 'urn:ag-projects:xml:ns:addressbook',
  sipsimpleAddressbook: 'urn:ag-projects:sipsimple:xml:ns:addressbook',
} as const;

/** Builds an element. `attributes` may be a plain record of unnamespaced attributes. */
export function element(
  ns: string,
  name: string,
  attributes: readonly XmlAttribute[] | Readonly<Record<string, string>> = [],
  children: readonly XmlNode[] = [],
  extra: { prefix?: string; namespaces?: Record<string, string> } = {},
): XmlElement {
  const attrs = Array.isArray(attributes)
    ? (attributes as readonly XmlAttribute[])
    : Object.entries(attributes).map(([n, value]) => ({ ns: '', name: n, value }));
  return {
    type: 'element',
    ns,
    name,
    attributes: attrs,
    children,
    ...(extra.prefix !== undefined ? { prefix: extra.prefix } : {}),
    ...(extra.namespaces !== undefined ? { namespaces: extra.namespaces } : {}),
  };
}

/** A text node. */
export function text(value: string): XmlText {
  return { type: 'text', text: value };
}

/**
 * Whether a node is an element.
 *
 * @example root.children.filter(isElement).map((e) => e.name)
 */
export function isElement(node: XmlNode | undefined): node is XmlElement {
  return node !== undefined && node.type === 'element';
}

/** True when `e` is `{ns}name`. */
export function is(e: XmlNode | undefined, ns: string, name: string): e is XmlElement {
  return isElement(e) && e.ns === ns && e.name === name;
}

/** Child elements, optionally only those named `{ns}name`. */
export function children(e: XmlElement, ns?: string, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of e.children) {
    if (c.type !== 'element') continue;
    if (ns !== undefined && c.ns !== ns) continue;
    if (name !== undefined && c.name !== name) continue;
    out.push(c);
  }
  return out;
}

/** The first child element named `{ns}name`, if any. */
export function child(e: XmlElement, ns: string, name: string): XmlElement | undefined {
  for (const c of e.children) if (c.type === 'element' && c.ns === ns && c.name === name) return c;
  return undefined;
}

/** The value of attribute `name` (in namespace `ns`, default: none). */
export function attr(e: XmlElement, name: string, ns = ''): string | undefined {
  for (const a of e.attributes) if (a.name === name && a.ns === ns) return a.value;
  return undefined;
}

/** Concatenated text content of the element's direct text children. */
export function textOf(e: XmlElement): string {
  let s = '';
  for (const c of e.children) if (c.type === 'text') s += c.text;
  return s;
}

/** A copy of `e` with attribute `name` set (or removed when `value` is undefined). */
export function withAttr(
  e: XmlElement,
  name: string,
  value: string | undefined,
  ns = '',
): XmlElement {
  const rest = e.attributes.filter((a) => !(a.name === name && a.ns === ns));
  if (value === undefined)
    return rest.length === e.attributes.length ? e : { ...e, attributes: rest };
  const i = e.attributes.findIndex((a) => a.name === name && a.ns === ns);
  const next = { ns, name, value };
  if (i < 0) return { ...e, attributes: [...e.attributes, next] };
  if (e.attributes[i]!.value === value) return e;
  const attrs = e.attributes.slice();
  attrs[i] = { ...e.attributes[i]!, value };
  return { ...e, attributes: attrs };
}

/** A copy of `e` with new children. */
export function withChildren(e: XmlElement, nodes: readonly XmlNode[]): XmlElement {
  return { ...e, children: nodes };
}

/**
 * Structural equality in meaning: names, attributes (order-insensitive), and children in order.
 * Prefixes, namespace declarations, comments and whitespace-only text are ignored.
 */
export function sameElement(a: XmlElement, b: XmlElement): boolean {
  if (a === b) return true;
  if (a.ns !== b.ns || a.name !== b.name) return false;
  if (a.attributes.length !== b.attributes.length) return false;
  for (const x of a.attributes) if (attr(b, x.name, x.ns) !== x.value) return false;
  const ca = significant(a.children);
  const cb = significant(b.children);
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x.type !== y.type) return false;
    if (x.type === 'text') {
      if (x.text !== (y as XmlText).text) return false;
    } else if (!sameElement(x as XmlElement, y as XmlElement)) return false;
  }
  return true;
}

function significant(nodes: readonly XmlNode[]): XmlNode[] {
  return nodes.filter((n) => n.type === 'element' || (n.type === 'text' && n.text.trim() !== ''));
}
