/**
 * XCAP node selectors (RFC 4825 §6.3) and their namespace bindings (§6.4): a typed builder,
 * a validator for hand-written selectors, and the percent-encoding used on the wire.
 *
 * Selectors are handled unencoded (`list[@name="friends"]`); {@link encodeNodeSelector} turns
 * them into the form that goes after `/~~/` in the request URI.
 */
import { XcapNodeSelectorError } from './errors.js';

/** What a node selector points at; decides the MIME type (RFC 4825 §15.2–15.4). */
export type NodeKind = 'element' | 'attribute' | 'namespace';

/** Namespace bindings of a selector: prefix -> namespace URI (RFC 4825 §6.4). */
export type NamespaceBindings = Readonly<Record<string, string>>;

/** An attribute test of a step, `{ uri: 'sip:bob@example.com' }` -> `[@uri="sip:bob@example.com"]`. */
export type AttributeTest = Readonly<Record<string, string>>;

// RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
const UNRESERVED = 'A-Za-z0-9\\-._~';
const SUB_DELIMS = "!$&'()*+,;=";
const PCHAR_RE = new RegExp(`[${UNRESERVED}${escapeClass(SUB_DELIMS)}:@]`);
const SELECTOR_SAFE_RE = new RegExp(`[${UNRESERVED}${escapeClass(SUB_DELIMS)}:@/]`);
const QUERY_SAFE_RE = new RegExp(`[${UNRESERVED}${escapeClass(SUB_DELIMS)}:@/?]`);

const NCNAME = '[A-Za-z_\\u00C0-\\uFFFF][A-Za-z0-9_.\\-\\u00B7\\u00C0-\\uFFFF]*';
const QNAME_RE = new RegExp(`^(?:(${NCNAME}):)?(${NCNAME})$`);
const NCNAME_RE = new RegExp(`^${NCNAME}$`);

/**
 * Percent-encodes `s` as UTF-8, keeping only the characters matched by `safe` (one char).
 *
 * @example percentEncode('a b', /[a-z]/) // 'a%20b'
 */
export function percentEncode(s: string, safe: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (safe.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of new TextEncoder().encode(ch))
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Encodes one path segment (RFC 3986 pchar): keeps `:` and `@` plain, encodes `/`, `?`, `#`,
 * `%`, space and everything outside pchar.
 *
 * @example encodePathSegment('sip:alice@example.com') // 'sip:alice@example.com'
 * @example encodePathSegment('a/b?c') // 'a%2Fb%3Fc'
 */
export function encodePathSegment(s: string): string {
  return percentEncode(s, PCHAR_RE);
}

/**
 * Percent-encodes a node selector for the request URI (RFC 4825 §6.3): `"`, `[`, `]`, space,
 * `%` and every other octet outside pchar become `%XX` (UTF-8); `/` between steps and `~`
 * stay plain, so `~~` is never encoded. A leading `/` (python-xcaplib style) is dropped.
 *
 * @example encodeNodeSelector('resource-lists/list[@name="friends"]')
 * // 'resource-lists/list%5B@name=%22friends%22%5D'
 */
export function encodeNodeSelector(selector: string): string {
  return percentEncode(stripLeadingSlash(selector), SELECTOR_SAFE_RE);
}

/**
 * The query part that carries namespace bindings (RFC 4825 §6.4), without the leading `?`;
 * '' when there are none.
 *
 * @example namespaceQuery({ a: 'urn:test:namespace1-uri' }) // 'xmlns(a=urn:test:namespace1-uri)'
 */
export function namespaceQuery(namespaces: NamespaceBindings | undefined): string {
  if (!namespaces) return '';
  let q = '';
  for (const [prefix, uri] of Object.entries(namespaces)) {
    if (!NCNAME_RE.test(prefix))
      throw new XcapNodeSelectorError(prefix, 'namespace prefix is not an NCName');
    q += percentEncode(`xmlns(${prefix}=${uri})`, QUERY_SAFE_RE);
  }
  return q;
}

/**
 * Checks a hand-written node selector against the RFC 4825 §6.3 grammar (steps by name,
 * position and attribute test, a final `@attr` or `namespace::*`), and that every prefix used
 * has a binding in `namespaces`. Returns the kind of node selected.
 *
 * @throws XcapNodeSelectorError
 * @example validateNodeSelector('resource-lists/list[@name="friends"]/@name') // 'attribute'
 */
export function validateNodeSelector(
  selector: string,
  namespaces: NamespaceBindings = {},
): NodeKind {
  const s = stripLeadingSlash(selector);
  if (s === '') throw new XcapNodeSelectorError(selector, 'empty selector');
  const steps = splitSteps(selector, s);
  let kind: NodeKind = 'element';
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    const at = step.offset;
    if (step.text === 'namespace::*') {
      if (!last || i === 0)
        throw new XcapNodeSelectorError(selector, 'namespace::* must follow an element step', at);
      kind = 'namespace';
      return;
    }
    if (step.text.startsWith('@')) {
      if (!last || i === 0)
        throw new XcapNodeSelectorError(selector, 'an attribute step must be last', at);
      checkQName(selector, step.text.slice(1), namespaces, at + 1);
      kind = 'attribute';
      return;
    }
    checkElementStep(selector, step.text, namespaces, at);
  });
  return kind;
}

/**
 * The kind of node a selector points at, from its last step (no validation).
 *
 * @example nodeKindOf('a/b/@c') // 'attribute'
 */
export function nodeKindOf(selector: string): NodeKind {
  const s = stripLeadingSlash(selector);
  const steps = splitStepsLoose(s);
  const last = steps[steps.length - 1] ?? '';
  if (last === 'namespace::*') return 'namespace';
  if (last.startsWith('@')) return 'attribute';
  return 'element';
}

/**
 * Quotes an attribute value as an XML AttValue (RFC 4825 §6.3 `att-value`): with `"` unless
 * the value contains `"` and no `'`, then with `'`; `&` and `<` (never allowed raw) and the
 * chosen quote inside the value become character references.
 *
 * @example quoteAttValue('a"b') // `'a"b'`
 */
export function quoteAttValue(value: string): string {
  const q = value.includes('"') && !value.includes("'") ? "'" : '"';
  let v = value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  v = q === '"' ? v.replace(/"/g, '&quot;') : v.replace(/'/g, '&apos;');
  return q + v + q;
}

/**
 * An immutable node selector builder. `toString()` gives the unencoded selector;
 * `namespaces` the bindings added with {@link NodeSelector.ns}.
 *
 * @example
 * ```ts
 * nodeSelector().el('resource-lists').el('list', { name: 'friends' })
 *   .el('entry', { uri: 'sip:bob@example.com' }).attr('uri').toString()
 * // 'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/@uri'
 * ```
 */
export class NodeSelector {
  readonly steps: readonly string[];
  readonly namespaces: NamespaceBindings;
  readonly kind: NodeKind;

  constructor(
    steps: readonly string[] = [],
    namespaces: NamespaceBindings = {},
    kind: NodeKind = 'element',
  ) {
    this.steps = steps;
    this.namespaces = namespaces;
    this.kind = kind;
  }

  /**
   * Adds an element step: by name (`'p:name'` for a prefixed one, `'*'` for any), optionally
   * by position (1-based) and/or by one attribute test.
   *
   * @example nodeSelector().el('entry', 2, { uri: 'sip:b@x' }) // entry[2][@uri="sip:b@x"]
   */
  el(name: string, position?: number | AttributeTest, test?: AttributeTest): NodeSelector {
    this.assertOpen();
    // Prefixes are checked against the bindings when the URL is built (bindings may be added
    // after the step with ns()).
    if (name !== '*') checkQName(name, name, undefined, 0);
    let step = name;
    let attrTest = test;
    if (typeof position === 'number') {
      if (!Number.isInteger(position) || position < 1)
        throw new XcapNodeSelectorError(name, `position must be an integer >= 1, got ${position}`);
      step += `[${position}]`;
    } else if (position !== undefined) {
      if (test !== undefined)
        throw new XcapNodeSelectorError(name, 'give at most one attribute test per step');
      attrTest = position;
    }
    if (attrTest !== undefined) {
      const entries = Object.entries(attrTest);
      if (entries.length !== 1)
        throw new XcapNodeSelectorError(name, 'an attribute test names exactly one attribute');
      const [attrName, value] = entries[0]!;
      checkQName(attrName, attrName, undefined, 0);
      step += `[@${attrName}=${quoteAttValue(value)}]`;
    }
    return new NodeSelector([...this.steps, step], this.namespaces);
  }

  /**
   * Selects an attribute of the current element (terminal step, RFC 4825 §6.3).
   *
   * @example nodeSelector().el('resource-lists').el('list').attr('name') // resource-lists/list/@name
   */
  attr(name: string): NodeSelector {
    this.assertOpen();
    if (this.steps.length === 0)
      throw new XcapNodeSelectorError(
        `@${name}`,
        'an attribute step needs an element step before it',
      );
    checkQName(name, name, undefined, 0);
    return new NodeSelector([...this.steps, `@${name}`], this.namespaces, 'attribute');
  }

  /**
   * Selects the namespace bindings in scope of the current element (`namespace::*`, RFC 4825 §7.10).
   *
   * @example nodeSelector().el('resource-lists').namespaceNodes() // resource-lists/namespace::*
   */
  namespaceNodes(): NodeSelector {
    this.assertOpen();
    if (this.steps.length === 0)
      throw new XcapNodeSelectorError(
        'namespace::*',
        'namespace::* needs an element step before it',
      );
    return new NodeSelector([...this.steps, 'namespace::*'], this.namespaces, 'namespace');
  }

  /**
   * Binds a prefix used in element or attribute names (sent as `?xmlns(p=uri)`, RFC 4825 §6.4).
   *
   * @example nodeSelector().ns('rl', 'urn:ietf:params:xml:ns:resource-lists').el('rl:resource-lists')
   */
  ns(prefix: string, uri: string): NodeSelector {
    if (!NCNAME_RE.test(prefix))
      throw new XcapNodeSelectorError(prefix, 'namespace prefix is not an NCName');
    return new NodeSelector(this.steps, { ...this.namespaces, [prefix]: uri }, this.kind);
  }

  /** The unencoded selector, e.g. `resource-lists/list[1]`. */
  toString(): string {
    return this.steps.join('/');
  }

  private assertOpen(): void {
    if (this.kind !== 'element')
      throw new XcapNodeSelectorError(this.toString(), 'no step can follow a terminal step');
  }
}

/**
 * Starts a node selector.
 *
 * @example client.get('resource-lists', { node: nodeSelector().el('resource-lists').el('list', 1) })
 */
export function nodeSelector(): NodeSelector {
  return new NodeSelector();
}

// ---------------------------------------------------------------------------------------------

interface Step {
  readonly text: string;
  readonly offset: number;
}

/** Splits on `/` outside brackets and quotes; reports unbalanced brackets and quotes. */
function splitSteps(original: string, s: string): Step[] {
  const base = original.length - s.length;
  const steps: Step[] = [];
  let depth = 0;
  let quote: string | null = null;
  let quoteAt = 0;
  let bracketAt = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      if (depth === 0)
        throw new XcapNodeSelectorError(original, 'quote outside a predicate', base + i);
      quote = c;
      quoteAt = i;
    } else if (c === '[') {
      if (depth > 0) throw new XcapNodeSelectorError(original, 'nested "["', base + i);
      depth = 1;
      bracketAt = i;
    } else if (c === ']') {
      if (depth === 0) throw new XcapNodeSelectorError(original, 'unbalanced "]"', base + i);
      depth = 0;
    } else if (c === '/' && depth === 0) {
      steps.push({ text: s.slice(start, i), offset: base + start });
      start = i + 1;
    }
  }
  if (quote !== null)
    throw new XcapNodeSelectorError(original, 'unterminated quote', base + quoteAt);
  if (depth > 0) throw new XcapNodeSelectorError(original, 'unbalanced "["', base + bracketAt);
  steps.push({ text: s.slice(start), offset: base + start });
  for (const st of steps)
    if (st.text === '') throw new XcapNodeSelectorError(original, 'empty step', st.offset);
  return steps;
}

function splitStepsLoose(s: string): string[] {
  try {
    return splitSteps(s, s).map((x) => x.text);
  } catch {
    return s.split('/');
  }
}

const PREDICATE_RE = /^\[(?:(\d+)|@([^=\]]+)=("[^"]*"|'[^']*'))\]/;

function checkElementStep(
  selector: string,
  step: string,
  namespaces: NamespaceBindings,
  at: number,
): void {
  const nameEnd = step.indexOf('[');
  const name = nameEnd < 0 ? step : step.slice(0, nameEnd);
  if (name !== '*') checkQName(selector, name, namespaces, at);
  let rest = nameEnd < 0 ? '' : step.slice(nameEnd);
  let sawPos = false;
  let sawAttr = false;
  while (rest !== '') {
    const m = PREDICATE_RE.exec(rest);
    if (!m) throw new XcapNodeSelectorError(selector, `bad predicate in step "${step}"`, at);
    if (m[1] !== undefined) {
      // by-pos-attr is position first, then the attribute test (RFC 4825 §6.3 grammar).
      if (sawPos || sawAttr || Number(m[1]) < 1)
        throw new XcapNodeSelectorError(selector, `bad position in step "${step}"`, at);
      sawPos = true;
    } else {
      if (sawAttr)
        throw new XcapNodeSelectorError(selector, `two attribute tests in step "${step}"`, at);
      checkQName(selector, m[2]!, namespaces, at);
      const v = m[3]!.slice(1, -1);
      if (v.includes('<') || /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(v))
        throw new XcapNodeSelectorError(selector, 'attribute value has a raw "<" or "&"', at);
      sawAttr = true;
    }
    rest = rest.slice(m[0].length);
  }
}

function checkQName(
  selector: string,
  name: string,
  namespaces: NamespaceBindings | undefined,
  at: number,
): void {
  const m = QNAME_RE.exec(name);
  if (!m) throw new XcapNodeSelectorError(selector, `"${name}" is not a valid name`, at);
  const prefix = m[1];
  if (prefix !== undefined && namespaces !== undefined && !(prefix in namespaces))
    throw new XcapNodeSelectorError(
      selector,
      `prefix "${prefix}" has no binding in namespaces (RFC 4825 §6.4)`,
      at,
    );
}

function stripLeadingSlash(s: string): string {
  return s.startsWith('/') ? s.slice(1) : s;
}

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]\-^]/g, '\\$&');
}
