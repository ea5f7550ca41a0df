/**
 * The XCAP error document, `application/xcap-error+xml` (RFC 4825 §11): a `<xcap-error>` root
 * in `urn:ietf:params:xml:ns:xcap-error` with exactly one child naming the condition.
 */
import { parseXml } from './xml/parse.js';
import { children, NS, textOf, type XmlElement } from './xml/tree.js';

/** The error conditions of RFC 4825 §11.2 that carry no details beyond the phrase. */
export type SimpleXcapErrorType =
  | 'not-well-formed'
  | 'not-utf-8'
  | 'schema-validation-error'
  | 'not-xml-frag'
  | 'not-xml-att-value'
  | 'cannot-insert'
  | 'cannot-delete'
  | 'constraint-failure';

/** One `<exists>` of a uniqueness failure: the non-unique field and suggested values. */
export interface XcapUniquenessConflict {
  /** Relative node selector of the offending field, e.g. `rls-services/service/@uri`. */
  readonly field: string;
  readonly altValues: readonly string[];
}

/**
 * A parsed xcap-error document, discriminated by `type`. Conditions this version does not know
 * (future RFCs, vendor elements) come as `type: 'unknown'` with the element's `condition`
 * name and the element itself, so that `type` narrows cleanly.
 */
export type XcapErrorDetails =
  | { readonly type: SimpleXcapErrorType; readonly phrase?: string }
  | { readonly type: 'no-parent'; readonly phrase?: string; readonly ancestor?: string }
  | {
      readonly type: 'uniqueness-failure';
      readonly phrase?: string;
      readonly exists: readonly XcapUniquenessConflict[];
    }
  | {
      readonly type: 'extension';
      readonly phrase?: string;
      /** The extension's child elements (application-specific conditions). */
      readonly elements: readonly XmlElement[];
    }
  | {
      readonly type: 'unknown';
      readonly phrase?: string;
      /** Local name of the unknown condition element. */
      readonly condition: string;
      /** Its namespace URI. */
      readonly ns: string;
      readonly element: XmlElement;
    };

/**
 * Reads the error condition out of an xcap-error document. Returns undefined for anything that
 * is not one (wrong root, wrong namespace, not XML): it is used on error paths and must never
 * throw.
 *
 * @example
 * parseXcapError('<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><cannot-delete phrase="no"/></xcap-error>')
 * // { type: 'cannot-delete', phrase: 'no' }
 */
export function parseXcapError(body: string): XcapErrorDetails | undefined {
  let root: XmlElement;
  try {
    // An error body is small; the parser's limits guard against a hostile one.
    root = parseXml(body);
  } catch {
    return undefined;
  }
  return xcapErrorFromElement(root);
}

/**
 * The error condition of an already parsed `<xcap-error>` element (RFC 4825 §11.1 schema).
 *
 * @example xcapErrorFromElement(parseXml(body).root)
 */
export function xcapErrorFromElement(root: XmlElement): XcapErrorDetails | undefined {
  if (root.ns !== NS.xcapError || root.name !== 'xcap-error') return undefined;
  const cond = children(root)[0];
  if (cond === undefined) return undefined;
  const phraseAttr = cond.attributes.find((a) => a.ns === '' && a.name === 'phrase');
  const phrase = phraseAttr ? { phrase: phraseAttr.value } : {};
  const unknown = () =>
    ({ type: 'unknown', ...phrase, condition: cond.name, ns: cond.ns, element: cond }) as const;
  if (cond.ns !== NS.xcapError) return unknown();
  switch (cond.name) {
    case 'no-parent': {
      const ancestor = children(cond, NS.xcapError, 'ancestor')[0];
      return {
        type: 'no-parent',
        ...phrase,
        ...(ancestor ? { ancestor: textOf(ancestor).trim() } : {}),
      };
    }
    case 'uniqueness-failure':
      return {
        type: 'uniqueness-failure',
        ...phrase,
        exists: children(cond, NS.xcapError, 'exists').map((e) => ({
          field: e.attributes.find((a) => a.ns === '' && a.name === 'field')?.value ?? '',
          altValues: children(e, NS.xcapError, 'alt-value').map((v) => textOf(v)),
        })),
      };
    case 'extension':
      return { type: 'extension', ...phrase, elements: children(cond) };
    case 'not-well-formed':
    case 'not-utf-8':
    case 'schema-validation-error':
    case 'not-xml-frag':
    case 'not-xml-att-value':
    case 'cannot-insert':
    case 'cannot-delete':
    case 'constraint-failure':
      return { type: cond.name, ...phrase };
    default:
      return unknown();
  }
}
