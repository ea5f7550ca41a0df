/**
 * XCAP URIs (RFC 4825 §6): the document selector `<root>/<auid>/users/<xui>/<filename>` or
 * `<root>/<auid>/global/<filename>`, then `/~~/<node selector>` and `?xmlns(...)` bindings.
 */
import { XcapValidationError } from '../errors.js';
import { XcapNodeSelectorError } from './errors.js';
import {
  encodeNodeSelector,
  encodePathSegment,
  type NamespaceBindings,
  type NodeKind,
  type NodeSelector,
  namespaceQuery,
  validateNodeSelector,
} from './node-selector.js';

/** Where a document lives and which node of it is addressed. */
export interface XcapUriOptions {
  /** A node selector (unencoded string, or a {@link NodeSelector}). */
  readonly node?: string | NodeSelector | undefined;
  /** Prefix bindings for the selector (RFC 4825 §6.4); merged over the builder's own. */
  readonly namespaces?: NamespaceBindings | undefined;
  /** Document path below the XUI (or `global/`), default `index`; may contain `/`. */
  readonly filename?: string | undefined;
  /** Address the global tree (`<auid>/global/<filename>`) instead of the user's. */
  readonly global?: boolean | undefined;
}

/** A resolved XCAP URI and what it selects. */
export interface XcapUri {
  readonly url: string;
  /** `undefined` for a whole document. */
  readonly nodeKind: NodeKind | undefined;
}

/**
 * Builds and validates an XCAP URI.
 *
 * The XUI keeps `:` and `@` plain (the reference implementation, python-sipsimple, sends
 * `/resource-lists/users/sip:alice@example.com/index`) and encodes `/`, `?`, `#`, `%` and
 * whatever else is not a path character (RFC 4825 §6.2).
 *
 * @throws XcapNodeSelectorError, XcapValidationError
 * @example
 * ```ts
 * xcapUri('http://xcap.example.com/xcap-root', 'resource-lists', 'sip:joe@example.com',
 *   { node: 'resource-lists/list[@name="friends"]' }).url
 * // 'http://xcap.example.com/xcap-root/resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D'
 * ```
 */
export function xcapUri(
  root: string,
  auid: string,
  xui: string,
  options: XcapUriOptions = {},
): XcapUri {
  if (auid === '' || auid.includes('/'))
    throw new XcapValidationError(`invalid AUID ${JSON.stringify(auid)}`, 'auid');
  const filename = options.filename ?? 'index';
  if (
    filename === '' ||
    filename.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')
  )
    throw new XcapValidationError(
      `invalid document filename ${JSON.stringify(filename)}`,
      'filename',
    );
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  const tree = options.global ? 'global' : `users/${encodePathSegment(xui)}`;
  const file = filename.split('/').map(encodePathSegment).join('/');
  let url = `${base}/${encodePathSegment(auid)}/${tree}/${file}`;
  if (options.node === undefined || options.node === '') {
    if (options.namespaces && Object.keys(options.namespaces).length > 0)
      throw new XcapNodeSelectorError('', 'namespace bindings given without a node selector');
    return { url, nodeKind: undefined };
  }
  const selector = String(options.node);
  const namespaces: NamespaceBindings = {
    ...(typeof options.node === 'string' ? {} : options.node.namespaces),
    ...options.namespaces,
  };
  const nodeKind = validateNodeSelector(selector, namespaces);
  // RFC 4825 §6: the node selector separator is "~~", never percent-encoded.
  url += `/~~/${encodeNodeSelector(selector)}`;
  // Only the prefixes the selector uses (RFC 4825 §6.4 asks for those): OpenXCAP refuses any
  // xmlns() in the query with 400, so a binding that is not needed must not be sent.
  const used = usedPrefixes(selector);
  const query = namespaceQuery(
    Object.fromEntries(Object.entries(namespaces).filter(([p]) => used.has(p))),
  );
  if (query !== '') url += `?${query}`;
  return { url, nodeKind };
}

/**
 * The Digest username implied by an XUI: its user part (`sip:alice@example.com` -> `alice`).
 *
 * @example defaultUsername('sip:alice@example.com') // 'alice'
 */
export function defaultUsername(xui: string): string {
  const noScheme = xui.replace(/^(sips?|tel):/i, '');
  const at = noScheme.lastIndexOf('@');
  return at < 0 ? noScheme : noScheme.slice(0, at);
}

/** The namespace prefixes of the QNames in a node selector (quoted attribute values skipped). */
function usedPrefixes(selector: string): Set<string> {
  const names = selector.replace(/"[^"]*"|'[^']*'/g, '');
  const out = new Set<string>();
  // `prefix:` followed by a name start or `*`; `namespace::*` (an axis, "::") is not a prefix.
  for (const m of names.matchAll(/([^\s/[\]@=:]+):(?=[^:])/g)) out.add(m[1]!);
  return out;
}
