/**
 * Codec for OMA pres-content documents (OMA-TS-Presence_SIMPLE_Content_XDM, namespace
 * `urn:oma:xml:prs:pres-content`, `application/vnd.oma.pres-content+xml`): the status icon.
 * `data` is base64 text in the document and bytes in the payload.
 */
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign, LangText, XmlShape } from './xml/codec-helpers.js';
import {
  elementsOf,
  expectElement,
  label,
  langElement,
  langText,
  otherAttributes,
  shaped,
  shapeOf,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlElement } from './xml/tree.js';
import { NS, textOf } from './xml/tree.js';

const DOC = 'pres-content';
const PC = NS.presContent;

/** A pres-content document. */
export interface PresContent extends Foreign {
  readonly mimeType?: string;
  /** The `<encoding>` text, normally 'base64'. */
  readonly encoding?: string;
  /** `<description>` elements, each with an optional `xml:lang`. */
  readonly descriptions: readonly LangText[];
  /** The decoded `<data>`. */
  readonly data: Uint8Array;
  readonly shape?: XmlShape;
}

/** sipsimple writes pres-content with a default namespace. */
export const PRES_CONTENT_SHAPE: XmlShape = { prefix: '', namespaces: { '': PC } };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 (RFC 4648 §4) strictly, ignoring whitespace; throws `Error` on bad input.
 *
 * @example
 * ```ts
 * base64ToBytes('AQI='); // Uint8Array [1, 2]
 * ```
 */
export function base64ToBytes(b64: string): Uint8Array {
  const s = b64.replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !BASE64.test(s)) throw new Error('invalid base64');
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Encodes bytes as base64 (no line breaks).
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([1, 2])); // 'AQI='
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * Decodes a pres-content root element.
 *
 * @example
 * ```ts
 * const icon = decodePresContent(parseXml(xml)); // { mimeType: 'image/png', data: Uint8Array, ... }
 * ```
 */
export function decodePresContent(root: XmlElement): PresContent {
  expectElement(DOC, root, PC, 'content');
  let mimeType: string | undefined;
  let encoding: string | undefined;
  let data: Uint8Array | undefined;
  const descriptions: LangText[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(root)) {
    if (c.ns !== PC) extensions.push(c);
    else if (c.name === 'mime-type' && mimeType === undefined) mimeType = textOf(c).trim();
    else if (c.name === 'encoding' && encoding === undefined) encoding = textOf(c).trim();
    else if (c.name === 'description') descriptions.push(langText(c));
    else if (c.name === 'data' && data === undefined) {
      try {
        data = base64ToBytes(textOf(c));
      } catch (e) {
        throw new XcapCodecError(DOC, 'data is not valid base64', label(c), { cause: e });
      }
    } else extensions.push(c);
  }
  if (encoding !== undefined && encoding.toLowerCase() !== 'base64')
    throw new XcapCodecError(DOC, `unsupported encoding "${encoding.slice(0, 20)}"`, 'encoding');
  if (data === undefined) throw new XcapCodecError(DOC, 'missing <data>', label(root));
  return {
    ...(mimeType !== undefined ? { mimeType } : {}),
    ...(encoding !== undefined ? { encoding } : {}),
    descriptions,
    data,
    extensions,
    otherAttributes: otherAttributes(root, []),
    shape: shapeOf(root),
  };
}

/**
 * Encodes a pres-content payload (element order of the OMA schema: mime-type, encoding,
 * description, data).
 *
 * @example
 * ```ts
 * encodePresContent({ mimeType: 'image/png', encoding: 'base64', descriptions: [], data, extensions: [], otherAttributes: [] });
 * ```
 */
export function encodePresContent(doc: PresContent): XmlElement {
  const children: XmlElement[] = [];
  if (doc.mimeType !== undefined) children.push(textElement(PC, 'mime-type', doc.mimeType));
  if (doc.encoding !== undefined) children.push(textElement(PC, 'encoding', doc.encoding));
  for (const d of doc.descriptions) children.push(langElement(PC, 'description', d));
  children.push(textElement(PC, 'data', bytesToBase64(doc.data)));
  children.push(...doc.extensions);
  return shaped(PC, 'content', doc.otherAttributes, children, doc.shape ?? PRES_CONTENT_SHAPE);
}
