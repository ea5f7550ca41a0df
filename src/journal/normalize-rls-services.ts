/**
 * Normalize of the rls-services document (RFC 4826 §4): the services
 * `sip:<user>+presence@<domain>` and `sip:<user>+dialog@<domain>` exist and point at the
 * `sipsimple_presence_rls` / `sipsimple_dialog_rls` lists with one package each. Other services,
 * and foreign children of ours, are kept.
 */
import { encodeUriValue, listAnchor, sameAnchor, sameUri } from '../codecs/addressbook-uri.js';
import {
  declareNamespaces,
  el,
  type Prefixes,
  prefixFor,
  setChildren,
  textContent,
} from '../codecs/addressbook-xml-edit.js';
import {
  attr,
  children,
  element,
  is,
  NS,
  type XmlElement,
  type XmlNode,
} from '../codecs/xml/tree.js';
import type { JournalContext } from './types.js';

const RLS = NS.rlsServices;

/**
 * The RLS service URIs of an account: `sip:alice+presence@example.com` and `+dialog` for
 * `sip:alice@example.com`; undefined when the XUI has no user part.
 *
 * @example rlsServiceUri('sip:alice@example.com', 'presence') // 'sip:alice+presence@example.com'
 */
export function rlsServiceUri(xui: string, pkg: 'presence' | 'dialog'): string | undefined {
  const m = /^(?:sips?:)?([^@:]+)@(.+)$/i.exec(xui);
  if (!m) return undefined;
  return `sip:${m[1]}+${pkg}@${m[2]}`;
}

function emptyServices(): XmlElement {
  return element(RLS, 'rls-services', [], [], { prefix: '', namespaces: { '': RLS } });
}

function serviceOk(s: XmlElement, anchor: string, pkg: string, root: string): boolean {
  const lists = children(s).filter(
    (c) => c.ns === RLS && (c.name === 'resource-list' || c.name === 'list'),
  );
  if (lists.length !== 1 || lists[0]!.name !== 'resource-list') return false;
  if (!sameAnchor(textContent(lists[0]!), anchor, root)) return false;
  const packages = children(s, RLS, 'packages');
  if (packages.length !== 1) return false;
  const pk = children(packages[0]!);
  return pk.length === 1 && is(pk[0], RLS, 'package') && textContent(pk[0]!).trim() === pkg;
}

function fixService(
  s: XmlElement,
  anchor: string,
  pkg: string,
  p: Prefixes,
  root: string,
): XmlElement {
  if (serviceOk(s, anchor, pkg, root)) return s;
  const kids: XmlNode[] = [
    el(RLS, 'resource-list', p, {}, [{ type: 'text', text: anchor }]),
    el(RLS, 'packages', p, {}, [el(RLS, 'package', p, {}, [{ type: 'text', text: pkg }])]),
  ];
  for (const c of s.children) {
    if (
      c.type === 'element' &&
      c.ns === RLS &&
      ['resource-list', 'list', 'packages'].includes(c.name)
    )
      continue;
    kids.push(c);
  }
  return setChildren(s, kids);
}

/**
 * Brings an rls-services document into the layout; returns `doc` itself when it already is.
 *
 * @example normalizeRlsServices(null, ctx) // two services
 */
export function normalizeRlsServices(
  doc: XmlElement | null | undefined,
  ctx: JournalContext,
): XmlElement {
  const start = doc && is(doc, RLS, 'rls-services') ? doc : emptyServices();
  const p: Prefixes = { [RLS]: prefixFor(start, RLS, '') };
  let root = start;
  for (const [pkg, list] of [
    ['presence', 'sipsimple_presence_rls'],
    ['dialog', 'sipsimple_dialog_rls'],
  ] as const) {
    const uri = rlsServiceUri(ctx.xui, pkg);
    if (uri === undefined) continue;
    const anchor = listAnchor(ctx.xcapRoot, ctx.xui, list);
    const i = root.children.findIndex((c) => {
      if (!is(c, RLS, 'service')) return false;
      const u = attr(c, 'uri');
      return u !== undefined && sameUri(u, uri);
    });
    if (i < 0) {
      const svc = fixService(
        el(RLS, 'service', p, { uri: encodeUriValue(uri) }),
        anchor,
        pkg,
        p,
        ctx.xcapRoot,
      );
      root = setChildren(root, [...root.children, svc]);
      continue;
    }
    const cur = root.children[i] as XmlElement;
    const next = fixService(cur, anchor, pkg, p, ctx.xcapRoot);
    if (next !== cur) {
      const kids = root.children.slice();
      kids[i] = next;
      root = setChildren(root, kids);
    }
  }
  if (root === start) return doc === start ? doc : start;
  return declareNamespaces(root, p);
}
