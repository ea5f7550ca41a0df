/**
 * Codec for rls-services documents (RFC 4826 §4, `application/rls-services+xml`): services
 * with a URI, either a `resource-list` (an XCAP URI of a list, decoded on read and written
 * with RFC 4825 encoding) or an inline `list`, and the event packages.
 */

import { partitionChildren } from './partition-children.js';
import type { RlList } from './resource-lists.js';
import { decodeRlList, encodeRlList } from './resource-lists.js';
import { decodeUriValue, encodeUriValue, encodeXcapUriInDocument } from './uri-encoding.js';
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign, XmlShape } from './xml/codec-helpers.js';
import {
  elementsOf,
  expectElement,
  label,
  otherAttributes,
  requireAttr,
  shaped,
  shapeOf,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlElement } from './xml/tree.js';
import { element, NS, textOf } from './xml/tree.js';

const DOC = 'rls-services';
const RLS = NS.rlsServices;

/** Where a service's resources come from (RFC 4826 §4.1). */
export type RlsSource =
  | { readonly kind: 'resource-list'; readonly uri: string }
  | { readonly kind: 'list'; readonly list: RlList };

/** `<packages>`: event packages, with foreign children kept. */
export interface RlsPackages {
  readonly packages: readonly string[];
  readonly extensions: readonly XmlElement[];
}

/** `<service uri>`; `uri` decoded (plain). */
export interface RlsService extends Foreign {
  readonly uri: string;
  readonly source: RlsSource;
  /** Absent when the service has no `<packages>` element. */
  readonly packages?: RlsPackages;
}

/** A whole rls-services document. */
export interface RlsServices extends Foreign {
  readonly services: readonly RlsService[];
  readonly shape?: XmlShape;
}

/** sipsimple writes rls-services with a default namespace. */
export const RLS_SERVICES_SHAPE: XmlShape = { prefix: '', namespaces: { '': RLS } };

/**
 * Decodes an rls-services root element.
 *
 * @example
 * ```ts
 * decodeRlsServices(parseXml(xml)).services.map((s) => s.uri); // ['sip:alice+presence@example.com', ...]
 * ```
 */
export function decodeRlsServices(root: XmlElement): RlsServices {
  expectElement(DOC, root, RLS, 'rls-services');
  const [services, extensions] = partitionChildren(root, RLS, 'service', decodeService);
  return { services, extensions, otherAttributes: otherAttributes(root, []), shape: shapeOf(root) };
}

function decodeService(e: XmlElement): RlsService {
  const uri = decodeUriValue(requireAttr(DOC, e, 'uri'));
  let source: RlsSource | undefined;
  let packages: RlsPackages | undefined;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === RLS && c.name === 'resource-list' && source === undefined)
      source = { kind: 'resource-list', uri: decodeUriValue(textOf(c).trim()) };
    else if (c.ns === RLS && c.name === 'list' && source === undefined)
      source = { kind: 'list', list: decodeRlList(c, DOC) };
    else if (c.ns === RLS && c.name === 'packages' && packages === undefined) {
      const [names, ext] = partitionChildren(c, RLS, 'package', (p) => textOf(p).trim());
      packages = { packages: names, extensions: ext };
    } else extensions.push(c);
  }
  if (source === undefined)
    throw new XcapCodecError(DOC, 'a service needs a <resource-list> or a <list>', label(e));
  return {
    uri,
    source,
    ...(packages !== undefined ? { packages } : {}),
    extensions,
    otherAttributes: otherAttributes(e, ['uri']),
  };
}

/**
 * Encodes an rls-services payload (service URIs written as given, resource-list URIs with
 * RFC 4825 encoding).
 *
 * @example
 * ```ts
 * encodeRlsServices({ services: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeRlsServices(doc: RlsServices): XmlElement {
  const services = doc.services.map((s) => {
    const children: XmlElement[] = [
      s.source.kind === 'resource-list'
        ? textElement(RLS, 'resource-list', encodeXcapUriInDocument(s.source.uri))
        : encodeRlList(s.source.list, RLS),
    ];
    if (s.packages !== undefined)
      children.push(
        element(
          RLS,
          'packages',
          [],
          [
            ...s.packages.packages.map((p) => textElement(RLS, 'package', p)),
            ...s.packages.extensions,
          ],
        ),
      );
    children.push(...s.extensions);
    return element(
      RLS,
      'service',
      [{ ns: '', name: 'uri', value: encodeUriValue(s.uri) }, ...s.otherAttributes],
      children,
    );
  });
  return shaped(
    RLS,
    'rls-services',
    doc.otherAttributes,
    [...services, ...doc.extensions],
    doc.shape ?? RLS_SERVICES_SHAPE,
  );
}
