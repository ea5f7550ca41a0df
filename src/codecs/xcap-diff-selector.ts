/**
 * The RFC 5261 §4.1 selector subset rxcap applies, parsed once per patch operation: location
 * steps separated by `/` (an optional leading `/`), each a name test (`name`, `p:name`, `*`,
 * `p:*`) with predicates `[n]`, `[@attr="v"]` and `[child="v"]`; a final step may be `@attr`,
 * `text()` / `text()[n]` or `namespace::prefix`. Unprefixed names match the default namespace
 * in scope of the patch operation (RFC 5261 §4.2.2, a deliberate departure from XPath 1.0).
 * `//`, axes and functions other than `text()` are refused.
 */
import type { XcapPatchOp } from './xcap-diff.js';

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

/** Throws the RFC 5261 §5.1 error of the operation being applied. */
export type Fail = (reason: XcapPatchErrorReason, msg: string) => never;

/** A predicate of a step, resolved. */
export type Predicate =
  | { readonly kind: 'position'; readonly n: number }
  | {
      readonly kind: 'attribute';
      readonly ns: string;
      readonly name: string;
      readonly value: string;
    }
  | { readonly kind: 'child'; readonly ns: string; readonly name: string; readonly value: string };

/** One location step, resolved. `ns` undefined: any namespace (`*`); `name` '*': any name. */
export type Step =
  | {
      readonly kind: 'element';
      readonly ns: string | undefined;
      readonly name: string;
      readonly predicates: readonly Predicate[];
    }
  | { readonly kind: 'text'; readonly predicates: readonly Predicate[] }
  | { readonly kind: 'attribute'; readonly ns: string; readonly name: string }
  | { readonly kind: 'namespace'; readonly prefix: string };

/**
 * Resolves `qname` through the operation's bindings: [namespace, local name, prefix].
 * Unprefixed attributes are in no namespace; unprefixed elements in the default one.
 *
 * @example resolveName('rl:entry', op, fail, false) // ['urn:ietf:params:xml:ns:resource-lists', 'entry', 'rl']
 */
export function resolveName(
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

const STEP = /^([^[\s]+)((?:\[[^\]]*\])*)$/;
const PRED = /\[([^\]]*)\]/g;
const EQ = /^(@?)([^=\s]+)\s*=\s*(?:"([^"]*)"|'([^']*)')$/;

/**
 * The steps of `op.sel`, resolved, in O(selector length).
 *
 * @example parseSelector({ op: 'remove', sel: '*\/list[@name="a"]', namespaces: {} }, fail)
 */
export function parseSelector(op: XcapPatchOp, fail: Fail): Step[] {
  const parts = split(op.sel, fail);
  return parts.map((part, s) => {
    const last = s === parts.length - 1;
    if (last && part.startsWith('@')) {
      const [ns, name] = resolveName(part.slice(1), op, fail, true);
      return { kind: 'attribute', ns, name };
    }
    if (last && part.startsWith('namespace::'))
      return { kind: 'namespace', prefix: part.slice('namespace::'.length) };
    const m = STEP.exec(part);
    if (m === null) return fail('invalid-xpath', `cannot read step "${part}"`);
    const test = m[1]!;
    const predicates = [...m[2]!.matchAll(PRED)].map((p) => predicate(p[1]!.trim(), op, fail));
    if (test === 'text()') {
      if (!last) return fail('invalid-xpath', 'text() must be the last step');
      return { kind: 'text', predicates };
    }
    if (test.includes('(') || test.includes('::'))
      return fail('invalid-xpath', `unsupported step "${part}"`);
    if (test === '*') return { kind: 'element', ns: undefined, name: '*', predicates };
    if (test.endsWith(':*')) {
      const [ns] = resolveName(`${test.slice(0, -2)}:x`, op, fail, false);
      return { kind: 'element', ns, name: '*', predicates };
    }
    const [ns, name] = resolveName(test, op, fail, false);
    return { kind: 'element', ns, name, predicates };
  });
}

function predicate(pred: string, op: XcapPatchOp, fail: Fail): Predicate {
  if (/^\d+$/.test(pred)) return { kind: 'position', n: Number(pred) };
  const m = EQ.exec(pred);
  if (m === null) return fail('invalid-xpath', `unsupported predicate [${pred}]`);
  const value = m[3] ?? m[4] ?? '';
  const [ns, name] = resolveName(m[2]!, op, fail, m[1] === '@');
  return { kind: m[1] === '@' ? 'attribute' : 'child', ns, name, value };
}

/** Splits on `/` outside of brackets and quotes. */
function split(sel: string, fail: Fail): string[] {
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
