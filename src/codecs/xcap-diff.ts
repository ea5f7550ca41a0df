/**
 * The xcap-diff document format (RFC 5874) as rxcap receives it in NOTIFY bodies of the
 * `xcap-diff` event package (RFC 5875). The resource-lists body of the SUBSCRIBE that asks for
 * it (RFC 5875 §4.4) lives in xcap-diff-subscribe.ts and is re-exported here.
 *
 * Decoding is total in the sense that matters to the manager: a body that is not an xcap-diff
 * document throws {@link XcapDiffParseError}, and the caller then fetches everything.
 */
import { XcapError } from '../errors.js';
import { normalizeXui } from './xcap-diff-subscribe.js';
import { parseXml } from './xml/parse.js';
import type { XmlElement, XmlNode } from './xml/tree.js';
import { attr, children, NS } from './xml/tree.js';

/** The SUBSCRIBE side (xcap-diff-subscribe.ts), importable from here as before. */
export {
  DEFAULT_WATCHED_DOCUMENTS,
  watchedDocumentUris,
  xcapDiffSubscribeBody,
} from './xcap-diff-subscribe.js';

/** A body could not be decoded as an xcap-diff document (RFC 5874 §4). */
export class XcapDiffParseError extends XcapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RXCAP_XCAP_DIFF_PARSE', message, options);
  }
}

/** Where a document lives, decoded from a document selector (RFC 4825 §6.2). */
export interface XcapDocumentRef {
  readonly auid: string;
  /** 'users' tree (with `xui`) or 'global' tree. */
  readonly scope: 'users' | 'global';
  /** Percent-decoded XUI, e.g. `sip:alice@example.com` (users tree only). */
  readonly xui?: string;
  /** Path below `users/<xui>/` or `global/`, e.g. `index` or `oma_status-icon/index`. */
  readonly filename: string;
}

/** One RFC 5261 patch operation, carrying the namespace bindings in scope where it was written. */
export type XcapPatchOp =
  | {
      readonly op: 'add';
      readonly sel: string;
      readonly pos?: 'before' | 'after' | 'prepend';
      /** `@name` (add an attribute) or `namespace::prefix` (add a declaration), RFC 5261 §4.3. */
      readonly type?: string;
      readonly nodes: readonly XmlNode[];
      readonly namespaces: Readonly<Record<string, string>>;
    }
  | {
      readonly op: 'replace';
      readonly sel: string;
      readonly nodes: readonly XmlNode[];
      readonly namespaces: Readonly<Record<string, string>>;
    }
  | {
      readonly op: 'remove';
      readonly sel: string;
      readonly ws?: 'before' | 'after' | 'both';
      readonly namespaces: Readonly<Record<string, string>>;
    };

/** A `<document>` of an xcap-diff (RFC 5874 §4.1). */
export interface XcapDiffDocument {
  /** The selector as the server wrote it (relative to the XCAP root, or an absolute URL). */
  readonly sel: string;
  /** The decoded selector; null when it names no XCAP document this client understands. */
  readonly ref: XcapDocumentRef | null;
  readonly previousEtag: string | null;
  /** Null when the document was removed (no `new-etag`, RFC 5874 §4.1). */
  readonly newEtag: string | null;
  /** The patch that turns the previous version into the new one; empty if none was sent. */
  readonly ops: readonly XcapPatchOp[];
  /** `<body-not-changed/>`: only the ETag changed. */
  readonly bodyNotChanged: boolean;
}

/** An `<element>` or `<attribute>` of an xcap-diff (RFC 5874 §4.2, §4.3). */
export interface XcapDiffNode {
  readonly kind: 'element' | 'attribute';
  readonly sel: string;
  /** The document part of `sel` (before `/~~/`), decoded. */
  readonly ref: XcapDocumentRef | null;
  /** The node selector (after `~~`), still percent-encoded as on the wire. */
  readonly nodeSelector: string;
  readonly exists: boolean;
}

/** A decoded xcap-diff document. */
export interface XcapDiff {
  readonly xcapRoot: string;
  readonly documents: readonly XcapDiffDocument[];
  readonly nodes: readonly XcapDiffNode[];
}

/**
 * Parses an `application/xcap-diff+xml` body (RFC 5874).
 *
 * @example
 * ```ts
 * const diff = parseXcapDiff(notify.body);
 * for (const d of diff.documents) console.log(d.ref?.auid, d.newEtag);
 * ```
 * @throws XcapDiffParseError when the body is not well-formed or is not an xcap-diff document.
 */
export function parseXcapDiff(xml: string): XcapDiff {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new XcapDiffParseError(`xcap-diff body is not well-formed XML: ${why}`, {
      cause,
    });
  }
  return decodeXcapDiff(root);
}

/**
 * Decodes an already parsed xcap-diff tree (RFC 5874 §4).
 *
 * @example
 * ```ts
 * const diff = decodeXcapDiff(tree);
 * ```
 */
export function decodeXcapDiff(root: XmlElement): XcapDiff {
  if (root.ns !== NS.xcapDiff || root.name !== 'xcap-diff') {
    throw new XcapDiffParseError(`expected <xcap-diff> in ${NS.xcapDiff}, got <${root.name}>`);
  }
  const xcapRoot = attr(root, 'xcap-root');
  if (xcapRoot === undefined) throw new XcapDiffParseError('<xcap-diff> without xcap-root');
  const scope = { ...(root.namespaces ?? {}) };
  const documents: XcapDiffDocument[] = [];
  const nodes: XcapDiffNode[] = [];
  for (const c of children(root, NS.xcapDiff)) {
    const sel = attr(c, 'sel');
    if (sel === undefined) throw new XcapDiffParseError(`<${c.name}> without sel`);
    if (c.name === 'document') {
      documents.push(decodeDocument(c, sel, xcapRoot, scope));
    } else if (c.name === 'element' || c.name === 'attribute') {
      const i = sel.indexOf('/~~/');
      const docSel = i < 0 ? sel : sel.slice(0, i);
      const exists = attr(c, 'exists');
      nodes.push({
        kind: c.name,
        sel,
        ref: resolveDocumentSelector(docSel, xcapRoot),
        nodeSelector: i < 0 ? '' : sel.slice(i + 4),
        // RFC 5874 §4.2: exists defaults to true; xs:boolean allows "0"/"false".
        exists: !(exists === '0' || exists === 'false'),
      });
    }
  }
  return { xcapRoot, documents, nodes };
}

function decodeDocument(
  e: XmlElement,
  sel: string,
  xcapRoot: string,
  outer: Record<string, string>,
): XcapDiffDocument {
  const scope = { ...outer, ...(e.namespaces ?? {}) };
  const ops: XcapPatchOp[] = [];
  let bodyNotChanged = false;
  for (const c of children(e)) {
    if (c.ns === NS.xcapDiff && c.name === 'body-not-changed') {
      bodyNotChanged = true;
      continue;
    }
    const op = decodeOp(c, { ...scope, ...(c.namespaces ?? {}) });
    if (op !== undefined) ops.push(op);
  }
  return {
    sel,
    ref: resolveDocumentSelector(sel, xcapRoot),
    previousEtag: attr(e, 'previous-etag') ?? null,
    newEtag: attr(e, 'new-etag') ?? null,
    ops,
    bodyNotChanged,
  };
}

function decodeOp(e: XmlElement, namespaces: Record<string, string>): XcapPatchOp | undefined {
  // RFC 5874 reuses the RFC 5261 operation names in the xcap-diff namespace.
  if (e.ns !== NS.xcapDiff) return undefined;
  const sel = attr(e, 'sel');
  if (sel === undefined) throw new XcapDiffParseError(`<${e.name}> without sel`);
  const nodes = e.children.filter((n) => n.type !== 'comment');
  if (e.name === 'add') {
    const pos = attr(e, 'pos');
    if (pos !== undefined && pos !== 'before' && pos !== 'after' && pos !== 'prepend') {
      throw new XcapDiffParseError(`<add pos="${pos}"> is not before, after or prepend`);
    }
    const type = attr(e, 'type');
    return {
      op: 'add',
      sel,
      ...(pos !== undefined ? { pos } : {}),
      ...(type !== undefined ? { type } : {}),
      nodes,
      namespaces,
    };
  }
  if (e.name === 'replace') return { op: 'replace', sel, nodes, namespaces };
  if (e.name === 'remove') {
    const ws = attr(e, 'ws');
    if (ws !== undefined && ws !== 'before' && ws !== 'after' && ws !== 'both') {
      throw new XcapDiffParseError(`<remove ws="${ws}"> is not before, after or both`);
    }
    return { op: 'remove', sel, ...(ws !== undefined ? { ws } : {}), namespaces };
  }
  return undefined;
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Decodes a document selector that is relative to the XCAP root (RFC 5874 §4.1) or, as one
 * server sends it, an absolute `http(s)://` URL. Returns null for anything that is not
 * `<auid>/users/<xui>/<path>` or `<auid>/global/<path>`.
 *
 * @example
 * ```ts
 * resolveDocumentSelector('resource-lists/users/sip:a@b.c/index', 'http://x/xcap-root');
 * // { auid: 'resource-lists', scope: 'users', xui: 'sip:a@b.c', filename: 'index' }
 * ```
 */
export function resolveDocumentSelector(sel: string, xcapRoot: string): XcapDocumentRef | null {
  let path = sel;
  if (ABSOLUTE.test(sel)) {
    const root = xcapRoot.endsWith('/') ? xcapRoot : `${xcapRoot}/`;
    if (sel.startsWith(root)) path = sel.slice(root.length);
    else {
      // Another host name for the same server: match on the path below the root's path.
      const rootPath = pathOf(root, true);
      const p = pathOf(sel, false);
      if (rootPath === null || p === null || !p.startsWith(rootPath)) return null;
      path = p.slice(rootPath.length);
    }
  }
  path = path.replace(/^\/+/, '');
  const parts = path.split('/');
  const auid = parts[0];
  if (auid === undefined || auid === '' || parts.length < 3) return null;
  if (parts[1] === 'global') {
    const filename = parts.slice(2).join('/');
    return filename === '' ? null : { auid, scope: 'global', filename };
  }
  if (parts[1] !== 'users' || parts.length < 4) return null;
  const filename = parts.slice(3).join('/');
  if (filename === '') return null;
  return { auid, scope: 'users', xui: decodeSegment(parts[2] ?? ''), filename };
}

function pathOf(url: string, dir: boolean): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/[^?#]*)?/i.exec(url);
  if (m === null) return null;
  const p = m[1] ?? '/';
  return !dir || p.endsWith('/') ? p : `${p}/`;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A document the manager should look at after a NOTIFY (the DiffPort's `DiffDocument`). */
export interface ChangedDocument {
  readonly auid: string;
  readonly filename?: string;
  /** Null when the document was removed or when only its nodes were reported (fetch it). */
  readonly newEtag: string | null;
  readonly previousEtag?: string | null;
  /** The RFC 5261 patch operations of the `<document>`, when it carried any. */
  readonly patch?: readonly XcapPatchOp[];
  /**
   * True when `patch` is the whole change from `previousEtag` to `newEtag` (RFC 5874 §4.1):
   * both ETags given and no `<body-not-changed/>`. Only then may it replace a GET.
   */
  readonly patchComplete?: boolean;
}

/**
 * The documents of user `xui` that an xcap-diff names, one entry per document (the last
 * `<document>` wins, except that consecutive complete patches e1->e2, e2->e3 are chained into
 * one e1->e3; `<element>`/`<attribute>` entries yield `newEtag: null`, "fetch it").
 * Documents of other users and of the global tree are left out.
 *
 * @example
 * ```ts
 * changedDocuments(parseXcapDiff(body), 'sip:alice@example.com');
 * // [{ auid: 'resource-lists', filename: 'index', newEtag: 'abc', previousEtag: 'xyz' }]
 * ```
 */
export function changedDocuments(diff: XcapDiff, xui: string): ChangedDocument[] {
  const want = normalizeXui(xui);
  const out = new Map<string, ChangedDocument>();
  // The chained patch of each document, appended to in place: copying it for every chained
  // `<document>` cost O(documents²) for a NOTIFY of many small patches.
  const chains = new Map<string, XcapPatchOp[]>();
  for (const d of diff.documents) {
    if (d.ref === null || d.ref.scope !== 'users' || normalizeXui(d.ref.xui ?? '') !== want)
      continue;
    const key = `${d.ref.auid}/${d.ref.filename}`;
    const prev = out.get(key);
    const complete =
      d.ops.length > 0 && !d.bodyNotChanged && d.previousEtag !== null && d.newEtag !== null;
    // Two complete patches in a row describe one complete change (RFC 5874 §4.1).
    const chained = complete && prev?.patchComplete === true && prev.newEtag === d.previousEtag;
    let patch: readonly XcapPatchOp[] = d.ops;
    if (chained) {
      let chain = chains.get(key);
      if (chain === undefined) {
        chain = [...(prev.patch ?? [])];
        chains.set(key, chain);
      }
      for (const op of d.ops) chain.push(op);
      patch = chain;
    } else chains.delete(key);
    out.set(key, {
      auid: d.ref.auid,
      filename: d.ref.filename,
      newEtag: d.newEtag,
      previousEtag: chained ? prev.previousEtag : d.previousEtag,
      ...(d.ops.length > 0 ? { patch, patchComplete: complete } : {}),
    });
  }
  for (const n of diff.nodes) {
    if (n.ref === null || n.ref.scope !== 'users' || normalizeXui(n.ref.xui ?? '') !== want)
      continue;
    const key = `${n.ref.auid}/${n.ref.filename}`;
    if (!out.has(key)) out.set(key, { auid: n.ref.auid, filename: n.ref.filename, newEtag: null });
  }
  return [...out.values()];
}

/**
 * The documents whose new ETag differs from the cached one: only those need a GET.
 * `cachedEtag` returns the cached ETag (quotes are ignored: servers differ, e.g. Kamailio's xcap_server).
 *
 * @example
 * ```ts
 * staleDocuments(changes, (auid) => cache.get(auid)?.etag ?? null);
 * ```
 */
export function staleDocuments(
  changes: readonly ChangedDocument[],
  cachedEtag: (auid: string, filename: string) => string | null | undefined,
): ChangedDocument[] {
  return changes.filter((c) => {
    const cached = cachedEtag(c.auid, c.filename ?? 'index');
    if (c.newEtag === null || cached === null || cached === undefined) return true;
    return unquote(cached) !== unquote(c.newEtag);
  });
}

function unquote(etag: string): string {
  const t = etag.trim().replace(/^W\//, '');
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}
