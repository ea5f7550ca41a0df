/**
 * Applies the RFC 5261 patch operations of an xcap-diff `<document>` (RFC 5874 §4.1) to a cached
 * document, so that a NOTIFY carrying a complete patch saves the body of a GET. The selector
 * subset is described in ./xcap-diff-selector.ts.
 *
 * Cost: about linear in the document plus the operations (./xcap-diff-patch-tree.ts): steps
 * with a name and at most one `[@attr="v"]` predicate are hash lookups; positional and
 * child-value predicates, wildcards and `text()` scan the siblings of that one step. A
 * caller bounds the number of operations (src/streams/patch.ts).
 *
 * Operations that replace or remove the root element are refused
 * (`invalid-root-element-operation`): the document would no longer be the application's,
 * and the caller fetches it instead.
 */
import { XcapError } from '../errors.js';
import type { XcapPatchOp } from './xcap-diff.js';
import {
  attributesOf,
  childNodes,
  expand,
  insert,
  lookup,
  materialize,
  type Slot,
  setAttributes,
  touch,
  unlink,
  type Work,
  work,
  workOf,
} from './xcap-diff-patch-tree.js';
import {
  type Fail,
  type Predicate,
  parseSelector,
  resolveName,
  type Step,
  type XcapPatchErrorReason,
} from './xcap-diff-selector.js';
import type { XmlAttribute, XmlElement, XmlNode } from './xml/tree.js';

export type { XcapPatchErrorReason } from './xcap-diff-selector.js';

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
 * Applies `ops` in order to `root` and returns the new root; `root` is not modified, and the
 * subtrees no operation touched are shared with it.
 *
 * @example
 * ```ts
 * const d = parseXcapDiff(body).documents[0]!;
 * if (d.previousEtag === cached.etag) cached = { root: applyXcapDiffPatch(cached.root, d.ops), etag: d.newEtag };
 * ```
 * @throws XcapDiffPatchError naming the RFC 5261 error condition of the first failing operation.
 */
export function applyXcapDiffPatch(root: XmlElement, ops: readonly XcapPatchOp[]): XmlElement {
  const doc = workOf(
    { type: 'element', ns: '', name: '#document', attributes: [], children: [root] },
    null,
  );
  for (const op of ops) applyOne(doc, op);
  const out = materialize(doc).children.find((n): n is XmlElement => n.type === 'element');
  if (out === undefined) throw new Error('unreachable: patch removed the root element');
  return out;
}

type Target =
  | { kind: 'element'; slot: Slot }
  | { kind: 'attribute'; work: Work; ns: string; name: string }
  | { kind: 'text'; slot: Slot }
  | { kind: 'namespace'; work: Work; prefix: string };

function applyOne(doc: Work, op: XcapPatchOp): void {
  const fail: Fail = (reason, msg) => {
    throw new XcapDiffPatchError(reason, op, msg);
  };
  const target = locate(doc, parseSelector(op, fail), fail);
  const isRoot = (s: Slot): boolean => s.parent === doc;
  if (op.op === 'add') {
    if (target.kind !== 'element') {
      fail('invalid-node-types', 'add needs an element');
      return;
    }
    if (op.type !== undefined) {
      if (op.pos !== undefined) {
        fail('invalid-patch-directive', 'type with pos');
        return;
      }
      const value = textContent(op.nodes);
      const w = work(target.slot);
      if (op.type.startsWith('@')) {
        const [ns, name, prefix] = resolveName(op.type.slice(1), op, fail, true);
        if (w.attributes.some((a) => a.ns === ns && a.name === name)) {
          fail('invalid-attribute-value', `attribute ${op.type} already exists`);
          return;
        }
        const a: XmlAttribute = prefix ? { ns, name, value, prefix } : { ns, name, value };
        setAttributes(w, [...w.attributes, a]);
        return;
      }
      if (op.type.startsWith('namespace::')) {
        const prefix = op.type.slice('namespace::'.length);
        setNamespaces(w, { ...(w.namespaces ?? {}), [prefix]: value });
        return;
      }
      fail('invalid-patch-directive', `unknown type "${op.type}"`);
      return;
    }
    if (op.pos === 'before' || op.pos === 'after') {
      if (isRoot(target.slot) && op.nodes.some((n) => n.type !== 'comment')) {
        fail('invalid-root-element-operation', 'only comments may be siblings of the root');
        return;
      }
      const s = target.slot;
      insert(s.parent, op.pos === 'after' ? s.next : s, op.nodes);
      return;
    }
    const w = expand(work(target.slot));
    insert(w, op.pos === 'prepend' ? w.first : null, op.nodes);
    return;
  }
  if (op.op === 'replace') {
    switch (target.kind) {
      case 'element': {
        const els = op.nodes.filter((n) => n.type === 'element');
        const other = op.nodes.filter((n) => n.type === 'text' && n.text.trim() !== '');
        if (els.length !== 1 || other.length > 0) {
          fail('invalid-node-types', 'an element is replaced by exactly one element');
          return;
        }
        // RFC 5261 allows it, but a new root is a new document: fetch it rather than trust it
        // (issue "a NOTIFY patch that replaces the root element leaves the manager wedged").
        if (isRoot(target.slot)) {
          fail('invalid-root-element-operation', 'rxcap does not replace the root');
          return;
        }
        const s = target.slot;
        insert(s.parent, s, els);
        unlink(s);
        return;
      }
      case 'attribute': {
        const { ns, name } = target;
        const value = textContent(op.nodes);
        setAttributes(
          target.work,
          target.work.attributes.map((a) => (a.ns === ns && a.name === name ? { ...a, value } : a)),
        );
        return;
      }
      case 'text':
        insert(target.slot.parent, target.slot, [{ type: 'text', text: textContent(op.nodes) }]);
        {
          unlink(target.slot);
          return;
        }
      case 'namespace': {
        setNamespaces(target.work, {
          ...(target.work.namespaces ?? {}),
          [target.prefix]: textContent(op.nodes),
        });
        return;
      }
    }
  }
  // remove (RFC 5261 §4.5)
  switch (target.kind) {
    case 'element': {
      const s = target.slot;
      if (isRoot(s)) {
        fail('invalid-root-element-operation', 'the root cannot be removed');
        return;
      }
      const blank = (n: Slot | null): n is Slot =>
        n !== null && n.node.type === 'text' && n.node.text.trim() === '';
      const ws = (op as { ws?: string }).ws;
      const before = ws === 'before' || ws === 'both' ? s.prev : null;
      const after = ws === 'after' || ws === 'both' ? s.next : null;
      if ((ws === 'before' || ws === 'both') && !blank(before)) {
        fail('invalid-whitespace-directive', 'no whitespace before');
        return;
      }
      if ((ws === 'after' || ws === 'both') && !blank(after)) {
        fail('invalid-whitespace-directive', 'no whitespace after');
        return;
      }
      if (before !== null) unlink(before);
      if (after !== null) unlink(after);
      unlink(s);
      return;
    }
    case 'attribute': {
      const { ns, name } = target;
      setAttributes(
        target.work,
        target.work.attributes.filter((a) => !(a.ns === ns && a.name === name)),
      );
      return;
    }
    case 'text': {
      unlink(target.slot);
      return;
    }
    case 'namespace': {
      const { [target.prefix]: _gone, ...rest } = target.work.namespaces ?? {};
      setNamespaces(target.work, rest);
      return;
    }
  }
}

function setNamespaces(w: Work, namespaces: Readonly<Record<string, string>>): void {
  w.namespaces = namespaces;
  touch(w);
}

function textContent(nodes: readonly XmlNode[]): string {
  return nodes.map((n) => (n.type === 'text' ? n.text : '')).join('');
}

function locate(doc: Work, steps: readonly Step[], fail: Fail): Target {
  let node = doc;
  let slot: Slot | null = null;
  for (const step of steps) {
    if (step.kind === 'attribute') {
      if (!node.attributes.some((a) => a.ns === step.ns && a.name === step.name))
        return fail('unlocated-node', `no attribute @${step.name}`);
      return { kind: 'attribute', work: node, ns: step.ns, name: step.name };
    }
    if (step.kind === 'namespace') {
      if (node.namespaces?.[step.prefix] === undefined)
        return fail('unlocated-node', `no namespace ${step.prefix}`);
      return { kind: 'namespace', work: node, prefix: step.prefix };
    }
    const found = find(node, step);
    if (found.length !== 1)
      return fail('unlocated-node', `a step matches ${found.length} nodes, not one`);
    slot = found[0]!;
    if (step.kind === 'text') return { kind: 'text', slot };
    node = work(slot);
  }
  if (slot === null) return fail('invalid-xpath', 'no location step');
  return { kind: 'element', slot };
}

/** The children of `w` a step selects (at most 2 are needed to know it is not exactly one). */
function find(w: Work, step: Extract<Step, { kind: 'element' | 'text' }>): Slot[] {
  const [p0] = step.predicates;
  if (
    step.kind === 'element' &&
    step.ns !== undefined &&
    step.name !== '*' &&
    step.predicates.length <= 1 &&
    (p0 === undefined || p0.kind === 'attribute')
  ) {
    // The common shape (`entry[@uri="..."]`, `list`): a hash lookup.
    return [...take(lookup(w, step.ns, step.name, p0), 2)];
  }
  const test =
    step.kind === 'text'
      ? (n: XmlNode) => n.type === 'text'
      : (n: XmlNode) => matches(n, step.ns, step.name);
  if (step.predicates.length === 1 && p0?.kind === 'position') {
    // `entry[4]`: count up to the n-th, no list of candidates.
    let i = 0;
    for (let s = expand(w).first; s !== null; s = s.next)
      if (test(s.node) && ++i === p0.n) return [s];
    return [];
  }
  let cands: Slot[] = [];
  for (let s = expand(w).first; s !== null; s = s.next) {
    if (test(s.node)) cands.push(s);
  }
  for (const p of step.predicates) cands = filter(cands, p);
  return cands;
}

function* take<T>(set: ReadonlySet<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of set) {
    if (i++ >= n) return;
    yield x;
  }
}

function matches(n: XmlNode, ns: string | undefined, name: string): boolean {
  return (
    n.type === 'element' && (ns === undefined || n.ns === ns) && (name === '*' || n.name === name)
  );
}

function filter(cands: Slot[], p: Predicate): Slot[] {
  if (p.kind === 'position') {
    const c = cands[p.n - 1];
    return c === undefined ? [] : [c];
  }
  return cands.filter((s) => {
    if (s.node.type !== 'element') return false;
    if (p.kind === 'attribute')
      return attributesOf(s).some((a) => a.ns === p.ns && a.name === p.name && a.value === p.value);
    return childNodes(s).some(
      (c) =>
        c.type === 'element' &&
        c.ns === p.ns &&
        c.name === p.name &&
        c.children.map((t) => (t.type === 'text' ? t.text : '')).join('') === p.value,
    );
  });
}
