/**
 * The public codec API: the namespace-aware XML layer and one codec per XCAP application.
 *
 * @example
 * ```ts
 * import { parseXml, decodeResourceLists, encodeResourceLists, serializeXml } from './codecs/index.js';
 * const doc = decodeResourceLists(parseXml(xml));
 * const xmlAgain = serializeXml(encodeResourceLists(doc));
 * ```
 *
 * It also re-exports the codecs other engineers own (addressbook, xcap-error, xcap-diff) so that
 * this module is the single entry point of the codec layer.
 */

export * from './addressbook.js';
export * from './applications.js';
export * from './common-policy.js';
export type { ProvideFlag, ProvideUserInput } from './common-policy-transformations.js';
export { PROVIDE_FLAGS } from './common-policy-transformations.js';
export * from './pidf.js';
export {
  decodeDevice,
  decodePerson,
  encodeDevice,
  encodePerson,
} from './pidf-rpid.js';
export * from './pres-content.js';
export * from './resource-lists.js';
export * from './rls-services.js';
export * from './uri-encoding.js';
export * from './xcap-caps.js';
export * from './xcap-diff.js';
export * from './xcap-diff-patch.js';
export * from './xcap-error.js';
export { XcapCodecError } from './xml/codec-error.js';
export type { Foreign, LangText, XmlShape } from './xml/codec-helpers.js';
export * from './xml/errors.js';
export * from './xml/limits.js';
export { parseXml } from './xml/parse.js';
export type { SerializeXmlOptions } from './xml/serialize.js';
export {
  escapeAttribute,
  escapeText,
  serializeXml,
  WELL_KNOWN_PREFIXES,
} from './xml/serialize.js';
export * from './xml/tree.js';
