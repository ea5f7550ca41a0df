/**
 * A small namespace-aware XML reader for xcap-diff bodies: fast-xml-parser (preserveOrder) in,
 * the shared immutable tree (./xml/tree.ts) out. fast-xml-parser is not namespace-aware, so
 * prefixes are resolved here with a scope stack (DESIGN §5), and numeric character references,
 * which it leaves alone, are decoded here.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { XmlAttribute, XmlElement, XmlNode } from './xml/tree.js';
import { NS } from './xml/tree.js';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  commentPropName: '#comment',
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
});

type Raw = Record<string, unknown>;

/**
 * Parses `xml` into the shared tree and returns the root element.
 *
 * @example
 * ```ts
 * parseXcapDiffXml('<a xmlns="urn:x"/>').ns; // 'urn:x'
 * ```
 * @throws Error when the text is not well-formed or has no root element.
 */
export function parseXcapDiffXml(xml: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`${valid.err.msg} (line ${valid.err.line})`);
  const raw = parser.parse(xml) as Raw[];
  const base: Record<string, string> = { xml: NS.xml };
  for (const r of raw) {
    const node = convert(r, base);
    if (node !== undefined && node.type === 'element') return node;
  }
  throw new Error('no root element');
}

function convert(r: Raw, scope: Record<string, string>): XmlNode | undefined {
  const keys = Object.keys(r).filter((k) => k !== ':@');
  const key = keys[0];
  if (key === undefined) return undefined;
  if (key === '#text') return { type: 'text', text: decodeRefs(String(r[key])) };
  if (key === '#comment') {
    const inner = (r[key] as Raw[])[0];
    return { type: 'comment', text: inner === undefined ? '' : String(inner['#text'] ?? '') };
  }
  const rawAttrs = (r[':@'] ?? {}) as Record<string, string>;
  const namespaces: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns') namespaces[''] = decodeRefs(v);
    else if (k.startsWith('xmlns:')) namespaces[k.slice(6)] = decodeRefs(v);
  }
  const inner = Object.keys(namespaces).length > 0 ? { ...scope, ...namespaces } : scope;
  const [prefix, local] = split(key);
  const ns = inner[prefix] ?? (prefix === '' ? '' : undefined);
  if (ns === undefined) throw new Error(`undeclared prefix ${prefix}:`);
  const attributes: XmlAttribute[] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const [p, n] = split(k);
    if (p === '') attributes.push({ ns: '', name: n, value: decodeRefs(v) });
    else {
      const ans = inner[p];
      if (ans === undefined) throw new Error(`undeclared prefix ${p}:`);
      attributes.push({ ns: ans, name: n, value: decodeRefs(v), prefix: p });
    }
  }
  const kids: XmlNode[] = [];
  for (const c of (r[key] as Raw[]) ?? []) {
    const n = convert(c, inner);
    if (n !== undefined) kids.push(n);
  }
  return {
    type: 'element',
    ns,
    name: local,
    prefix,
    attributes,
    ...(Object.keys(namespaces).length > 0 ? { namespaces } : {}),
    children: kids,
  };
}

function split(qname: string): [string, string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

function decodeRefs(s: string): string {
  return s.replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (_, n: string) =>
    String.fromCodePoint(n[0] === 'x' ? Number.parseInt(n.slice(1), 16) : Number(n)),
  );
}
