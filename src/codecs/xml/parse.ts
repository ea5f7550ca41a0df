/**
 * `parseXml`: untrusted bytes or text to the namespace-aware {@link XmlElement} tree.
 *
 * fast-xml-parser tokenises (preserveOrder tree) but is not namespace-aware and does
 * not decode character references, so this module
 * 1. decodes bytes as strict UTF-8 and validates the XML declaration (UTF-8 only),
 * 2. runs {@link prescan} (limits, DOCTYPE, invalid characters) before any tree exists,
 * 3. checks well-formedness with `XMLValidator`, then tokenises with `XMLParser`,
 * 4. walks the preserveOrder tree iteratively with a namespace scope stack (Namespaces in
 *    XML 1.0 §5/§6), decoding references in one pass.
 *
 * Whitespace decision: text nodes inside the root are kept as they are, whitespace-only ones
 * included, so that serialize(parse(x)) keeps a pretty-printed document's layout; `sameElement`
 * ignores whitespace-only text when comparing. Comments inside the root are kept; comments,
 * whitespace and processing instructions outside the root, and processing instructions inside
 * it, are dropped (the tree model has no place for them). CDATA sections become plain text.
 *
 * Layout is kept only while it is layout: a document padded with it (16 MiB of `<!---->` is
 * valid XML under every limit, and cost 1 GB of memory as 2.4 million comment nodes, then was
 * written back whole with the next edit) is read without the padding. Past
 * {@link MAX_KEPT_COMMENTS} comments or {@link MAX_KEPT_COMMENT_CHARS} characters of them,
 * every comment is dropped before the tokenizer sees it, and so is a whitespace-only run longer
 * than {@link MAX_KEPT_WHITESPACE}. Nothing of it is written back (test "a document padded
 * with comments is read in memory proportional to it and written back without them").
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeReferences } from './entities.js';
import { excerpt, positionOf, XmlLimitError, XmlParseError } from './errors.js';
import { exact, Interner, NAME_MARK } from './intern.js';
import type { XmlLimits } from './limits.js';
import { resolveXmlLimits } from './limits.js';
import { prescan, withoutRanges } from './prescan.js';
import type { XmlAttribute, XmlElement, XmlNode } from './tree.js';
import { NS } from './tree.js';

// Tag and attribute names get a one-character mark so that names such as `constructor` or
// `__proto__` (valid XML names) never reach fast-xml-parser's prototype-pollution guard. '@' is
// not an XML name character, so no real name starts with it; the transform is idempotent
// because fast-xml-parser 5.12 applies it twice to self-closing tags.
const XMLNS = `${NAME_MARK}xmlns`;
const XMLNS_COLON = `${NAME_MARK}xmlns:`;
const mark = (n: string): string => (n.startsWith(NAME_MARK) ? n : NAME_MARK + n);

type FxpNode = Record<string, unknown>;

/** Comments inside the root kept at most (more: none is kept). @example MAX_KEPT_COMMENTS // 1000 */
export const MAX_KEPT_COMMENTS = 1000;
/** Characters of comments inside the root kept at most (more: none is kept). */
export const MAX_KEPT_COMMENT_CHARS = 64 * 1024;
export { MAX_KEPT_WHITESPACE } from './prescan.js';

function makeParser(limits: XmlLimits): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    htmlEntities: false,
    commentPropName: '#comment',
    cdataPropName: '#cdata',
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: limits.maxDepth + 1,
    transformTagName: mark,
    transformAttributeName: mark,
  } as ConstructorParameters<typeof XMLParser>[0]);
}

const DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>/;

/**
 * Parses an XML document and returns its root element with resolved namespaces.
 *
 * Throws {@link XmlParseError} (`RXCAP_XML_MALFORMED`), {@link XmlLimitError}
 * (`RXCAP_XML_LIMIT`) or {@link XmlForbiddenError} (`RXCAP_XML_FORBIDDEN`).
 *
 * @example
 * ```ts
 * const root = parseXml('<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists"/>');
 * root.ns; // 'urn:ietf:params:xml:ns:resource-lists'
 * root.prefix; // 'rl'
 * ```
 */
export function parseXml(input: string | Uint8Array, limits?: Partial<XmlLimits>): XmlElement {
  const lim = resolveXmlLimits(limits);
  let s = decodeInput(input, lim);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  // XML 1.0 §2.11: CR LF and lone CR become LF before parsing.
  if (s.includes('\r')) s = s.replace(/\r\n?/g, '\n');
  checkDeclaration(s);
  const found = prescan(s, lim);
  const keepComments =
    found.commentCount <= MAX_KEPT_COMMENTS && found.commentChars <= MAX_KEPT_COMMENT_CHARS;
  if (!keepComments || found.padding.length > 0)
    s = withoutRanges(s, keepComments ? [] : found.comments, found.padding);
  const valid = XMLValidator.validate(s, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlParseError(msg.slice(0, 200), {
      line,
      column: col,
      offset: offsetOf(s, line, col),
    });
  }
  let tree: FxpNode[];
  try {
    tree = makeParser(lim).parse(s) as FxpNode[];
  } catch (e) {
    if (/nest/i.test(String(e))) throw new XmlLimitError('maxDepth', lim.maxDepth);
    throw new XmlParseError(String((e as Error).message ?? e).slice(0, 200), undefined, {
      cause: e,
    });
  }
  return buildTree(tree, s);
}

/** UTF-16 offset of a 1-based line/column (only computed for an error). */
function offsetOf(s: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) break;
    start = nl + 1;
  }
  return Math.min(start + column - 1, s.length);
}

function decodeInput(input: string | Uint8Array, lim: XmlLimits): string {
  if (typeof input === 'string') {
    // Each UTF-16 unit is at least one UTF-8 byte; count exactly only when it could matter.
    if (input.length > lim.maxBytes || utf8Length(input, lim.maxBytes) > lim.maxBytes)
      throw new XmlLimitError('maxBytes', lim.maxBytes);
    // A lone surrogate is no character at all (XML 1.0 §2.2) and could not be written back.
    if (!isWellFormed(input)) throw new XmlParseError('input contains a lone surrogate');
    return input;
  }
  if (input.byteLength > lim.maxBytes) throw new XmlLimitError('maxBytes', lim.maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (e) {
    throw new XmlParseError('input is not valid UTF-8', undefined, { cause: e });
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is ES2024 (Node 20 has it); fall back to a regex elsewhere.
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof native === 'function' ? native.call(s) : !LONE_SURROGATE.test(s);
}

function utf8Length(s: string, stopAbove: number): number {
  if (s.length * 3 <= stopAbove) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : 3;
    if (c >= 0xd800 && c < 0xdc00) i++;
    if (n > stopAbove) return n;
  }
  return n;
}

function checkDeclaration(s: string): void {
  if (!/^<\?xml[\s?]/.test(s)) return;
  const m = DECLARATION.exec(s);
  if (m === null) throw new XmlParseError('invalid XML declaration', positionOf(s, 0));
  const encoding = m[3];
  // rxcap reads and writes UTF-8 only (RFC 4825 §9 requires UTF-8 for XCAP documents).
  if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8')
    throw new XmlParseError(`unsupported encoding ${excerpt(encoding)}; only UTF-8 is accepted`);
}

/** Namespace scope: prefix -> URI, '' is the default namespace ('' URI = no namespace). */
type Scope = ReadonlyMap<string, string>;

const ROOT_SCOPE: Scope = new Map([
  ['xml', NS.xml],
  ['', ''],
]);

/** A start tag with resolved names, waiting for its children. */
interface Head {
  readonly scope: Scope;
  readonly ns: string;
  readonly name: string;
  readonly prefix: string;
  readonly attributes: readonly XmlAttribute[];
  readonly namespaces: Record<string, string> | undefined;
}

interface Frame {
  readonly src: readonly FxpNode[];
  index: number;
  readonly out: XmlNode[];
  readonly scope: Scope;
  /** The element being built; undefined for the document level. */
  readonly head: Head | undefined;
}

function finish(h: Head, children: XmlNode[]): XmlElement {
  const kids = exact(children);
  return h.namespaces === undefined
    ? {
        type: 'element',
        ns: h.ns,
        name: h.name,
        prefix: h.prefix,
        attributes: h.attributes,
        children: kids,
      }
    : {
        type: 'element',
        ns: h.ns,
        name: h.name,
        prefix: h.prefix,
        attributes: h.attributes,
        namespaces: h.namespaces,
        children: kids,
      };
}

// An iterative walk (explicit stack) so that depth never touches the JavaScript stack.
function buildTree(top: readonly FxpNode[], source: string): XmlElement {
  const document: Frame = { src: top, index: 0, out: [], scope: ROOT_SCOPE, head: undefined };
  const stack: Frame[] = [document];
  const pool = new Interner();
  let roots = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index >= frame.src.length) {
      stack.pop();
      if (frame.head === undefined) break;
      stack[stack.length - 1]!.out.push(finish(frame.head, frame.out));
      continue;
    }
    const node = frame.src[frame.index++]!;
    const atTop = frame.head === undefined;
    for (const key in node) {
      if (key === ':@') continue;
      const value = node[key] as FxpNode[];
      if (key === '#text') {
        const raw = String(value);
        if (atTop) {
          if (raw.trim() !== '')
            throw new XmlParseError(`text outside the root element: ${excerpt(raw)}`);
          continue;
        }
        appendText(frame.out, decodeReferences(raw), pool);
      } else if (key === '#cdata') {
        if (!atTop) appendText(frame.out, innerText(value), pool);
      } else if (key === '#comment') {
        if (!atTop) frame.out.push({ type: 'comment', text: innerText(value) });
      } else if (key.charCodeAt(0) === 64 /* NAME_MARK */) {
        if (atTop && ++roots > 1) throw new XmlParseError('more than one root element');
        const rawAttrs = node[':@'] as Record<string, string> | undefined;
        const head = openElement(key, rawAttrs, frame.scope, pool);
        stack.push({ src: value, index: 0, out: [], scope: head.scope, head });
      }
      // Processing instructions ('?target' keys) are dropped: the tree has no node for them.
    }
  }
  const root = document.out[0];
  if (root === undefined || root.type !== 'element')
    throw new XmlParseError(`no root element in ${excerpt(source)}`);
  return root;
}

function innerText(value: readonly FxpNode[] | undefined): string {
  let s = '';
  if (Array.isArray(value)) for (const n of value) s += String(n['#text'] ?? '');
  return s;
}

function appendText(out: XmlNode[], t: string, pool: Interner): void {
  if (t === '') return;
  const last = out[out.length - 1];
  if (last !== undefined && last.type === 'text') out[out.length - 1] = pool.text(last.text + t);
  else out.push(pool.text(t));
}

/** XML 1.0 §3.3.3: literal whitespace in attribute values is normalized to spaces. */
function attributeValue(raw: string): string {
  if (raw.indexOf('<') >= 0) throw new XmlParseError(`"<" in attribute value ${excerpt(raw)}`);
  const ws = raw.indexOf('\t') >= 0 || raw.indexOf('\n') >= 0;
  return decodeReferences(ws ? raw.replace(/[\t\n]/g, ' ') : raw);
}

function openElement(
  markedQname: string,
  rawAttrs: Record<string, string> | undefined,
  parentScope: Scope,
  pool: Interner,
): Head {
  let declared: Record<string, string> | undefined;
  const plain: [string, string][] = [];
  for (const markedName in rawAttrs) {
    const value = attributeValue(String(rawAttrs[markedName]));
    if (markedName === XMLNS || markedName.startsWith(XMLNS_COLON)) {
      const p = markedName === XMLNS ? '' : markedName.slice(XMLNS_COLON.length);
      checkDeclaration2(p, value);
      declared ??= {};
      declared[pool.str(p)] = pool.str(value);
    } else plain.push([markedName, value]);
  }
  let scope = parentScope;
  if (declared !== undefined) {
    const m = new Map(parentScope);
    for (const [p, uri] of Object.entries(declared)) m.set(p, uri);
    scope = m;
  }
  const qname = markedQname.slice(NAME_MARK.length);
  const [prefix, name] = pool.qname(markedQname);
  if (prefix === 'xmlns')
    throw new XmlParseError(`element ${excerpt(qname)} uses the xmlns prefix`);
  const ns = scope.get(prefix);
  if (ns === undefined)
    throw new XmlParseError(`unbound namespace prefix ${excerpt(prefix)} on ${excerpt(qname)}`);
  const attributes: XmlAttribute[] = [];
  for (const [marked, value] of plain) {
    const [ap, an] = pool.qname(marked);
    if (ap === '') {
      // Namespaces in XML §6.2: unprefixed attributes are in no namespace.
      attributes.push(pool.attr(an, value));
      continue;
    }
    const ans = scope.get(ap);
    if (ans === undefined || ans === '')
      throw new XmlParseError(
        `unbound namespace prefix ${excerpt(ap)} on attribute ${excerpt(marked.slice(NAME_MARK.length))}`,
      );
    attributes.push({ ns: ans, name: an, value, prefix: ap });
  }
  if (attributes.length > 1) {
    const seen = new Set<string>();
    for (const a of attributes) {
      const k = `{${a.ns}}${a.name}`;
      if (seen.has(k))
        throw new XmlParseError(`duplicate attribute ${excerpt(k)} on ${excerpt(qname)}`);
      seen.add(k);
    }
  }
  return {
    scope,
    ns,
    name,
    prefix,
    attributes: exact(attributes),
    namespaces: declared,
  };
}

/** Namespaces in XML 1.0 §3: constraints on declarations. */
function checkDeclaration2(prefix: string, uri: string): void {
  if (prefix === 'xmlns') throw new XmlParseError('the xmlns prefix must not be declared');
  if (prefix === 'xml' && uri !== NS.xml)
    throw new XmlParseError('the xml prefix must not be bound to another namespace');
  if (prefix !== 'xml' && uri === NS.xml)
    throw new XmlParseError('the XML namespace must not be bound to another prefix');
  if (uri === NS.xmlns) throw new XmlParseError('the xmlns namespace must not be declared');
  if (prefix !== '' && uri === '')
    throw new XmlParseError(`prefix ${excerpt(prefix)} cannot be undeclared in XML 1.0`);
}
