/**
 * Small helpers shared by the application codecs: foreign-content bookkeeping (every payload
 * keeps the child elements and attributes it does not understand so they survive a
 * decode/encode round trip), text elements, `xml:lang` values and root shape hints.
 */
import { XcapCodecError } from './codec-error.js';
import type { XmlAttribute, XmlElement, XmlNode } from './tree.js';
import { attr, element, NS, text, textOf } from './tree.js';

/** Prefix and namespace declarations of a document root, kept so re-encoding keeps its shape. */
export interface XmlShape {
  readonly prefix?: string;
  readonly namespaces?: Readonly<Record<string, string>>;
}

/** Foreign content kept by a payload object. */
export interface Foreign {
  /** Child elements the codec does not understand, in document order. */
  readonly extensions: readonly XmlElement[];
  /** Attributes the codec does not understand. */
  readonly otherAttributes: readonly XmlAttribute[];
}

/** A text value with an optional `xml:lang` (RFC 4826 display-name, RFC 3863 note...). */
export interface LangText {
  readonly value: string;
  readonly lang?: string;
}

/**
 * `prefix:name` of an element for messages (the local name when it has no prefix).
 *
 * @example
 * ```ts
 * label(parseXml('<rl:list xmlns:rl="urn:x"/>')); // 'rl:list'
 * ```
 */
export function label(e: XmlElement): string {
  return e.prefix !== undefined && e.prefix !== '' ? `${e.prefix}:${e.name}` : e.name;
}

/**
 * The shape hints (prefix, declarations) of a root element.
 *
 * @example
 * ```ts
 * shapeOf(parseXml('<a xmlns="urn:x"/>')); // { prefix: '', namespaces: { '': 'urn:x' } }
 * ```
 */
export function shapeOf(e: XmlElement): XmlShape {
  return {
    ...(e.prefix !== undefined ? { prefix: e.prefix } : {}),
    ...(e.namespaces !== undefined ? { namespaces: { ...e.namespaces } } : {}),
  };
}

/**
 * Builds an element with `shape` hints applied.
 *
 * @example
 * ```ts
 * shaped(NS.resourceLists, 'resource-lists', [], [], { prefix: 'rl' });
 * ```
 */
export function shaped(
  ns: string,
  name: string,
  attributes: readonly XmlAttribute[],
  children: readonly XmlNode[],
  shape: XmlShape | undefined,
): XmlElement {
  const extra: { prefix?: string; namespaces?: Record<string, string> } = {};
  if (shape?.prefix !== undefined) extra.prefix = shape.prefix;
  if (shape?.namespaces !== undefined) extra.namespaces = { ...shape.namespaces };
  return element(ns, name, attributes, children, extra);
}

/**
 * Throws an {@link XcapCodecError} unless `e` is `{ns}name`.
 *
 * @example
 * ```ts
 * expectElement('resource-lists', root, NS.resourceLists, 'resource-lists');
 * ```
 */
export function expectElement(doc: string, e: XmlElement, ns: string, name: string): void {
  if (e.ns !== ns || e.name !== name)
    throw new XcapCodecError(doc, `expected {${ns}}${name}, found {${e.ns}}${e.name}`, label(e));
}

/**
 * The attributes of `e` other than the unnamespaced `known` ones (and `xml:lang` when
 * 'xml:lang' is listed): the foreign attributes a payload keeps.
 *
 * @example
 * ```ts
 * otherAttributes(entryElement, ['uri']);
 * ```
 */
export function otherAttributes(e: XmlElement, known: readonly string[]): XmlAttribute[] {
  return e.attributes.filter(
    (a) =>
      !(
        (a.ns === '' && known.includes(a.name)) ||
        (a.ns === NS.xml && known.includes('xml:lang') && a.name === 'lang')
      ),
  );
}

/**
 * The attribute `name` of `e`, or an {@link XcapCodecError} naming the document.
 *
 * @example
 * ```ts
 * requireAttr('resource-lists', entryElement, 'uri');
 * ```
 */
export function requireAttr(doc: string, e: XmlElement, name: string): string {
  const v = attr(e, name);
  if (v === undefined) throw new XcapCodecError(doc, `missing attribute "${name}"`, label(e));
  return v;
}

/**
 * Text of an element with its `xml:lang`.
 *
 * @example
 * ```ts
 * langText(parseXml('<n xml:lang="de">Hallo</n>')); // { value: 'Hallo', lang: 'de' }
 * ```
 */
export function langText(e: XmlElement): LangText {
  const lang = attr(e, 'lang', NS.xml);
  return lang === undefined ? { value: textOf(e) } : { value: textOf(e), lang };
}

/**
 * An element holding `value` as text (no child when empty).
 *
 * @example
 * ```ts
 * textElement(NS.presRules, 'sub-handling', 'allow');
 * ```
 */
export function textElement(
  ns: string,
  name: string,
  value: string,
  attributes: readonly XmlAttribute[] = [],
): XmlElement {
  return element(ns, name, attributes, value === '' ? [] : [text(value)]);
}

/**
 * An element holding a {@link LangText} (`xml:lang` when set).
 *
 * @example
 * ```ts
 * langElement(NS.resourceLists, 'display-name', { value: 'Freunde', lang: 'de' });
 * ```
 */
export function langElement(
  ns: string,
  name: string,
  v: LangText,
  extra: readonly XmlAttribute[] = [],
): XmlElement {
  const attrs: XmlAttribute[] =
    v.lang !== undefined ? [{ ns: NS.xml, name: 'lang', value: v.lang }] : [];
  return textElement(ns, name, v.value, [...attrs, ...extra]);
}

/** Adds the attribute when the value is defined. */
export function optAttr(attrs: XmlAttribute[], name: string, value: string | undefined): void {
  if (value !== undefined) attrs.push({ ns: '', name, value });
}

/**
 * Only the child elements (text, whitespace and comments dropped).
 *
 * @example
 * ```ts
 * elementsOf(parseXml('<a> <b/> </a>')).length; // 1
 * ```
 */
export function elementsOf(e: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of e.children) if (c.type === 'element') out.push(c);
  return out;
}
