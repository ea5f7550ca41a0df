/**
 * Applies the RFC 5261 patch operations of an xcap-diff `<document>` (RFC 5874 §4.1) to a cached
 * document, so that a NOTIFY carrying a complete patch saves a GET.
 *
 * Supported selector subset (RFC 5261 §4.1): location steps separated by `/` (an optional
 * leading `/`), each a name test (`name`, `p:name`, `*`, `p:*`) with predicates `[n]`,
 * `[@attr="v"]` and `[child="v"]`; a final step may be `@attr`, `text()` / `text()[n]` or
 * `namespace::prefix`. Unprefixed names match the default namespace in scope of the patch
 * operation (RFC 5261 §4.2.2, a deliberate departure from XPath 1.0). `//`, axes and functions
 * other than `text()` are rejected with a clear error.
 */
import { XcapError } from '../errors.js';
import type { XcapPatchOp } from './xcap-diff.js';
import type { XmlAttribute, XmlElement, XmlNode } from './xml/tree.js';

/** RFC 5261 §5.1 error condition names. */
export type XcapPatchErrorReason =
  | 'invalid-xpath'
  | 'unlocated-node'
  | 'invalid-node-types'
  | 'invalid-root-element-operation'
  | 'invalid-namespace-prefix'
  | 'invalid-attribute-value'
  | 'invalid-patch-directive'
  | 'invalid-whitespace-directive';

/** A patch operation could not be applied; the cached document is left as it was. */
export class XcapDiffPatchError extends XcapError {
  /** The RFC 5261 §5.1 error condition. */
  readonly reason: XcapPatchErrorReason;
  /** The selector of the failing operation. */
  readonly sel: string;
  /** The failing operation's name. */
  readonly op: XcapPatchOp['op'];

  constructor(reason: XcapPatchErrorReason, op: XcapPatchOp, message: string) {
    super('RXCAP_XCAP_DIFF_PATCH', `<${op.op} sel="${op.sel}">: ${message} (${reason})`);
    this.reason = reason;
    this.sel = op.sel;
    this.op = op.op;
  }
}

/**
 * Applies `ops` in order to `root` and returns the new root; `root` is not modified.
 *
 * @example
 * ```ts
 * const d = parseXcapDiff(body).documents[0]!;
 * if (d.previousEtag === cached.etag) cached = { root: applyXcapDiffPatch(cached.root, d.ops), etag: d.newEtag };
 * ```
 * @throws XcapDiffPatchError naming the RFC 5261 error condition of the first failing operation.
 */
export function applyXcapDiffPatch(root: XmlElement, ops: readonly XcapPatchOp[]): XmlElement {
  let doc: XmlElement = {
    type: 'element',
    ns: '',
    name: '#document',
    attributes: [],
    children: [root],
  };
  for (const op of ops) doc = applyOne(doc, op);
  const out = doc.children.find((n): n is XmlElement => n.type === 'element');
  if (out === undefined) throw new Error('unreachable: patch removed the root element');
  return out;
}

type Target =
  | { kind: 'element'; path: number[] }
  | { kind: 'attribute'; path: number[]; ns: string; name: string }
  | { kind: 'text'; path: number[]; index: number }
  | { kind: 'namespace'; path: number[]; prefix: string };

function applyOne(doc: XmlElement, op: XcapPatchOp): XmlElement {
  const fail = (reason: XcapPatchErrorReason, msg: string): never => {
    throw new XcapDiffPatchError(reason, op, msg);
  };
  const target = locate(doc, op, fail);
  const el = target.kind === 'element' ? target.path : target.path;
  if (op.op === 'add') {
    if (target.kind !== 'element') return fail('invalid-node-types', 'add needs an element');
    if (op.type !== undefined) {
      if (op.pos !== undefined) return fail('invalid-patch-directive', 'type with pos');
      const value = textContent(op.nodes);
      if (op.type.startsWith('@')) {
        const [ns, name, prefix] = resolveName(op.type.slice(1), op, fail, true);
        return update(doc, el, (e) => {
          if (e.attributes.some((a) => a.ns === ns && a.name === name))
            return fail('invalid-attribute-value', `attribute ${op.type} already exists`);
          const a: XmlAttribute = prefix ? { ns, name, value, prefix } : { ns, name, value };
          return { ...e, attributes: [...e.attributes, a] };
        });
      }
      if (op.type.startsWith('namespace::')) {
        const prefix = op.type.slice('namespace::'.length);
        return update(doc, el, (e) => ({
          ...e,
          namespaces: { ...(e.namespaces ?? {}), [prefix]: value },
        }));
      }
      return fail('invalid-patch-directive', `unknown type "${op.type}"`);
    }
    if (op.pos === 'before' || op.pos === 'after') {
      if (el.length === 1 && op.nodes.some((n) => n.type !== 'comment'))
        return fail('invalid-root-element-operation', 'only comments may be siblings of the root');
      const parent = el.slice(0, -1);
      const i = el[el.length - 1]! + (op.pos === 'after' ? 1 : 0);
      return update(doc, parent, (p) => splice(p, i, 0, op.nodes));
    }
    if (el.length === 0) return fail('invalid-root-element-operation', 'the document has one root');
    return update(doc, el, (e) =>
      splice(e, op.pos === 'prepend' ? 0 : e.children.length, 0, op.nodes),
    );
  }
  if (op.op === 'replace') {
    switch (target.kind) {
      case 'element': {
        const els = op.nodes.filter((n) => n.type === 'element');
        const other = op.nodes.filter((n) => n.type === 'text' && n.text.trim() !== '');
        if (els.length !== 1 || other.length > 0)
          return fail('invalid-node-types', 'an element is replaced by exactly one element');
        const parent = el.slice(0, -1);
        return update(doc, parent, (p) => splice(p, el[el.length - 1]!, 1, els));
      }
      case 'attribute':
        return update(doc, el, (e) => ({
          ...e,
          attributes: e.attributes.map((a) =>
            a.ns === target.ns && a.name === target.name
              ? { ...a, value: textContent(op.nodes) }
              : a,
          ),
        }));
      case 'text':
        return update(doc, el, (e) =>
          splice(e, target.index, 1, [{ type: 'text', text: textContent(op.nodes) }]),
        );
      case 'namespace':
        return update(doc, el, (e) => ({
          ...e,
          namespaces: { ...(e.namespaces ?? {}), [target.prefix]: textContent(op.nodes) },
        }));
    }
  }
  // remove (RFC 5261 §4.5)
  switch (target.kind) {
    case 'element': {
      if (el.length === 1)
        return fail('invalid-root-element-operation', 'the root cannot be removed');
      const parent = el.slice(0, -1);
      const i = el[el.length - 1]!;
      return update(doc, parent, (p) => {
        let from = i;
        let to = i + 1;
        const blank = (n: XmlNode | undefined) =>
          n !== undefined && n.type === 'text' && n.text.trim() === '';
        if ((op as { ws?: string }).ws === 'before' || (op as { ws?: string }).ws === 'both') {
          if (!blank(p.children[i - 1]))
            return fail('invalid-whitespace-directive', 'no whitespace before');
          from = i - 1;
        }
        if ((op as { ws?: string }).ws === 'after' || (op as { ws?: string }).ws === 'both') {
          if (!blank(p.children[i + 1]))
            return fail('invalid-whitespace-directive', 'no whitespace after');
          to = i + 2;
        }
        return splice(p, from, to - from, []);
      });
    }
    case 'attribute':
      return update(doc, el, (e) => ({
        ...e,
        attributes: e.attributes.filter((a) => !(a.ns === target.ns && a.name === target.name)),
      }));
    case 'text':
      return update(doc, el, (e) => splice(e, target.index, 1, []));
    case 'namespace':
      return update(doc, el, (e) => {
        const { [target.prefix]: _gone, ...rest } = e.namespaces ?? {};
        return { ...e, namespaces: rest };
      });
  }
}

function splice(
  e: XmlElement,
  start: number,
  count: number,
  nodes: readonly XmlNode[],
): XmlElement {
  const kids = e.children.slice();
  kids.splice(start, count, ...nodes);
  return { ...e, children: kids };
}

function update(
  doc: XmlElement,
  path: readonly number[],
  fn: (e: XmlElement) => XmlElement,
): XmlElement {
  if (path.length === 0) return fn(doc);
  const [i, ...rest] = path as [number, ...number[]];
  const c = doc.children[i] as XmlElement;
  return splice(doc, i, 1, [update(c, rest, fn)]);
}

function textContent(nodes: readonly XmlNode[]): string {
  return nodes.map((n) => (n.type === 'text' ? n.text : '')).join('');
}

type Fail = (reason: XcapPatchErrorReason, msg: string) => never;

function resolveName(
  qname: string,
  op: XcapPatchOp,
  fail: Fail,
  attribute: boolean,
): [string, string, string] {
  const i = qname.indexOf(':');
  if (i < 0) return [attribute ? '' : (op.namespaces[''] ?? ''), qname, ''];
  const prefix = qname.slice(0, i);
  const ns = op.namespaces[prefix];
  if (ns === undefined)
    return fail('invalid-namespace-prefix', `prefix "${prefix}" is not declared`);
  return [ns, qname.slice(i + 1), prefix];
}

/** Splits on `/` outside of brackets and quotes. */
function steps(sel: string, fail: Fail): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote = '';
  for (const ch of sel) {
    if (quote !== '') {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '/' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  if (out[0] === '') out.shift();
  if (out.length === 0 || out.some((s) => s === ''))
    fail('invalid-xpath', 'empty location step (// is not supported)');
  return out;
}

const STEP = /^([^[\s]+)((?:\[[^\]]*\])*)$/;
const PRED = /\[([^\]]*)\]/g;

function locate(doc: XmlElement, op: XcapPatchOp, fail: Fail): Target {
  const parts = steps(op.sel, fail);
  let path: number[] = [];
  let node = doc;
  for (let s = 0; s < parts.length; s++) {
    const part = parts[s]!;
    const last = s === parts.length - 1;
    if (last && part.startsWith('@')) {
      const [ns, name] = resolveName(part.slice(1), op, fail, true);
      if (!node.attributes.some((a) => a.ns === ns && a.name === name))
        return fail('unlocated-node', `no attribute ${part}`);
      return { kind: 'attribute', path, ns, name };
    }
    if (last && part.startsWith('namespace::')) {
      const prefix = part.slice('namespace::'.length);
      if (node.namespaces?.[prefix] === undefined)
        return fail('unlocated-node', `no namespace ${prefix}`);
      return { kind: 'namespace', path, prefix };
    }
    const m = STEP.exec(part);
    if (m === null) return fail('invalid-xpath', `cannot read step "${part}"`);
    const test = m[1]!;
    let candidates: number[];
    if (test === 'text()') {
      if (!last) return fail('invalid-xpath', 'text() must be the last step');
      candidates = indexes(node, (n) => n.type === 'text');
    } else {
      if (test.includes('(') || test.includes('::'))
        return fail('invalid-xpath', `unsupported step "${part}"`);
      const star = test === '*' || test.endsWith(':*');
      const [ns, name] = star
        ? [
            test === '*' ? undefined : resolveName(`${test.slice(0, -2)}:x`, op, fail, false)[0],
            '*',
          ]
        : resolveName(test, op, fail, false);
      candidates = indexes(
        node,
        (n) =>
          n.type === 'element' &&
          (ns === undefined || n.ns === ns) &&
          (name === '*' || n.name === name),
      );
    }
    for (const p of m[2]!.matchAll(PRED))
      candidates = predicate(node, candidates, p[1]!.trim(), op, fail);
    if (candidates.length !== 1)
      return fail('unlocated-node', `step "${part}" matches ${candidates.length} nodes, not one`);
    const i = candidates[0]!;
    if (test === 'text()') return { kind: 'text', path, index: i };
    path = [...path, i];
    node = node.children[i] as XmlElement;
  }
  return { kind: 'element', path };
}

function indexes(e: XmlElement, ok: (n: XmlNode) => boolean): number[] {
  const out: number[] = [];
  e.children.forEach((n, i) => {
    if (ok(n)) out.push(i);
  });
  return out;
}

const EQ = /^(@?)([^=\s]+)\s*=\s*(?:"([^"]*)"|'([^']*)')$/;

function predicate(
  parent: XmlElement,
  cands: number[],
  pred: string,
  op: XcapPatchOp,
  fail: Fail,
): number[] {
  if (/^\d+$/.test(pred)) {
    const c = cands[Number(pred) - 1];
    return c === undefined ? [] : [c];
  }
  const m = EQ.exec(pred);
  if (m === null) return fail('invalid-xpath', `unsupported predicate [${pred}]`);
  const value = m[3] ?? m[4] ?? '';
  const [ns, name] = resolveName(m[2]!, op, fail, m[1] === '@');
  return cands.filter((i) => {
    const e = parent.children[i];
    if (e === undefined || e.type !== 'element') return false;
    if (m[1] === '@')
      return e.attributes.some((a) => a.ns === ns && a.name === name && a.value === value);
    return e.children.some(
      (c) =>
        c.type === 'element' &&
        c.ns === ns &&
        c.name === name &&
        c.children.map((t) => (t.type === 'text' ? t.text : '')).join('') === value,
    );
  });
}
