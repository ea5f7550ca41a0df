/**
 * Element and attribute requests of the in-memory XCAP server: node selectors (RFC 4825
 * §6.3) evaluated on a parsed document, and GET, PUT and DELETE of the element or attribute
 * they select (§7.4–7.6), with the insertion rules of §8.2.3. Pure functions of a document;
 * the server (./in-memory-xcap-server.ts) does the ETags, conditions and notifications.
 *
 * Selectors: steps `name`, `prefix:name` or `*`, each with an optional `[n]` and an optional
 * `[@attr="value"]` (character references decoded), and an optional final `@attr`. Unprefixed
 * element names are in the application's default namespace (§6.3), prefixes come from the
 * request's `xmlns()` bindings (§6.4). `namespace::*` and extension selectors answer 501.
 */
import { decodeReferences } from '../codecs/xml/entities.js';
import { parseXml } from '../codecs/xml/parse.js';
import { escapeAttribute, serializeXml } from '../codecs/xml/serialize.js';
import type { XmlAttribute, XmlElement, XmlNode } from '../codecs/xml/tree.js';

/** A node request the server refuses: its HTTP status and, for 409, the xcap-error condition. */
export class NodeRequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly condition?: string,
  ) {
    super(`node request refused: ${status}${condition === undefined ? '' : ` ${condition}`}`);
  }
}

interface ElementStep {
  /** Undefined: any namespace (`*`). */
  readonly ns: string | undefined;
  /** `*`: any name. */
  readonly name: string;
  readonly pos?: number;
  readonly attr?: { readonly name: string; readonly ns: string; readonly value: string };
}

interface ParsedSelector {
  readonly steps: readonly ElementStep[];
  readonly attribute?: { readonly ns: string; readonly name: string };
}

/** What a node request did: the document after it (PUT, DELETE) or what GET answers. */
export type NodeResult =
  | { readonly kind: 'read'; readonly body: string; readonly contentType: string }
  | { readonly kind: 'written'; readonly root: XmlElement; readonly created: boolean };

/**
 * Answers one node request on `document` (undefined: no such document).
 *
 * @example nodeRequest('GET', doc, 'resource-lists/list[@name="friends"]', 'urn:ietf:params:xml:ns:resource-lists')
 * @throws NodeRequestRefused with the status to answer (400, 404, 409, 501).
 */
export function nodeRequest(
  method: 'GET' | 'PUT' | 'DELETE',
  document: string | undefined,
  selector: string,
  defaultNs: string,
  bindings: Readonly<Record<string, string>> = {},
  body = '',
): NodeResult {
  const sel = parseSelector(selector, defaultNs, bindings);
  if (document === undefined)
    throw method === 'PUT' ? new NodeRequestRefused(409, 'no-parent') : new NodeRequestRefused(404);
  const root = parseXml(document);
  const { attribute } = sel;
  if (method === 'GET') {
    const target = select(root, sel.steps).at(-1)!;
    if (attribute === undefined)
      return {
        kind: 'read',
        body: serializeXml(target, { declaration: false }),
        contentType: 'application/xcap-el+xml',
      };
    const a = target.attributes.find((x) => x.ns === attribute.ns && x.name === attribute.name);
    if (a === undefined) throw new NodeRequestRefused(404);
    return { kind: 'read', body: a.value, contentType: 'application/xcap-att+xml' };
  }
  if (attribute !== undefined) {
    const path = tryPath(root, sel.steps);
    if (path === null)
      throw method === 'PUT'
        ? new NodeRequestRefused(409, 'no-parent')
        : new NodeRequestRefused(404);
    const target = path.at(-1)!;
    const same = (x: XmlAttribute) => x.ns === attribute.ns && x.name === attribute.name;
    const exists = target.attributes.some(same);
    if (method === 'DELETE' && !exists) throw new NodeRequestRefused(404);
    const attributes =
      method === 'DELETE'
        ? target.attributes.filter((x) => !same(x))
        : exists
          ? target.attributes.map((x) => (same(x) ? { ...x, value: body } : x))
          : [...target.attributes, { ns: attribute.ns, name: attribute.name, value: body }];
    return { kind: 'written', root: rebuild(path, { ...target, attributes }), created: !exists };
  }
  const last = sel.steps.at(-1)!;
  const parentPath = tryPath(root, sel.steps.slice(0, -1));
  if (method === 'DELETE') {
    if (sel.steps.length === 1) throw new NodeRequestRefused(409, 'cannot-delete');
    const path = select(root, sel.steps);
    const parent = path.at(-2)!;
    const gone = path.at(-1)!;
    const next = rebuild(path.slice(0, -1), {
      ...parent,
      children: parent.children.filter((c) => c !== gone),
    });
    // §7.5: a GET of the same URI must then answer 404, so a positional selector naming an
    // element in the middle (the next sibling would take its place) is refused with 409
    // <cannot-delete>, as OpenXCAP does ("cannot delete something in the middle").
    if (tryPath(next, sel.steps) !== null) throw new NodeRequestRefused(409, 'cannot-delete');
    return { kind: 'written', root: next, created: false };
  }
  const element = fragment(body, parentPath?.at(-1) ?? root, parentPath ?? [], defaultNs);
  if (!matchesStep(element, last)) throw new NodeRequestRefused(409, 'cannot-insert');
  if (sel.steps.length === 1) {
    // The root element itself: replaced (it always exists when the document does).
    if ((last.pos ?? 1) !== 1) throw new NodeRequestRefused(409, 'cannot-insert');
    return { kind: 'written', root: element, created: false };
  }
  if (parentPath === null) throw new NodeRequestRefused(409, 'no-parent');
  const parent = parentPath.at(-1)!;
  const hits = candidates(parent, last);
  if (hits.length > 1) throw new NodeRequestRefused(409, 'cannot-insert');
  let children: XmlNode[];
  if (hits.length === 1) {
    // §8.2.3: a replaced element keeps its place.
    children = parent.children.map((c) => (c === hits[0] ? element : c));
  } else {
    children = [...parent.children];
    children.splice(insertionPoint(parent, last, element), 0, element);
  }
  const next = rebuild(parentPath, { ...parent, children });
  // §8.2.3: a GET of the same URI must return what was PUT.
  if (tryPath(next, sel.steps)?.at(-1) !== element)
    throw new NodeRequestRefused(409, 'cannot-insert');
  return { kind: 'written', root: next, created: hits.length === 0 };
}

/** Where a new element goes among `parent`'s children (RFC 4825 §8.2.3). */
function insertionPoint(parent: XmlElement, step: ElementStep, element: XmlElement): number {
  const kids = parent.children;
  const index = (e: XmlNode) => kids.indexOf(e);
  if (step.pos !== undefined) {
    // It must become the pos-th element the step's name test matches.
    const named = kids.filter((c): c is XmlElement => c.type === 'element' && nameTest(c, step));
    if (step.pos > named.length + 1) throw new NodeRequestRefused(409, 'cannot-insert');
    if (step.pos <= named.length) return index(named[step.pos - 1]!);
    return named.length > 0 ? index(named.at(-1)!) + 1 : kids.length;
  }
  // Otherwise after the last sibling of the same name, else as the last child.
  let at = -1;
  kids.forEach((c, i) => {
    if (c.type === 'element' && c.ns === element.ns && c.name === element.name) at = i;
  });
  return at >= 0 ? at + 1 : kids.length;
}

/** The element of a PUT body: exactly one element, in the namespaces in scope at `parent`. */
function fragment(
  body: string,
  parent: XmlElement,
  path: readonly XmlElement[],
  defaultNs: string,
): XmlElement {
  const scope: Record<string, string> = { '': defaultNs };
  for (const e of path) Object.assign(scope, e.namespaces ?? {});
  Object.assign(scope, parent.namespaces ?? {});
  const declarations = Object.entries(scope)
    .filter(([p, uri]) => uri !== '' && (p === '' || /^[A-Za-z_][\w.-]*$/.test(p)))
    .map(([p, uri]) => ` ${p === '' ? 'xmlns' : `xmlns:${p}`}="${escapeAttribute(uri)}"`)
    .join('');
  let wrapper: XmlElement;
  try {
    // The body's own declarations win; undeclared prefixes resolve as at the parent (§7.4).
    wrapper = parseXml(`<x${declarations}>${body.replace(/^\s*<\?xml[^>]*\?>/, '')}</x>`);
  } catch {
    throw new NodeRequestRefused(409, 'not-xml-frag');
  }
  const elements = wrapper.children.filter((c) => c.type === 'element');
  const text = wrapper.children.some((c) => c.type === 'text' && c.text.trim() !== '');
  if (elements.length !== 1 || text) throw new NodeRequestRefused(409, 'not-xml-frag');
  // Declarations the parent already makes are dropped, so the document does not repeat them.
  const { namespaces, ...element } = elements[0] as XmlElement;
  const own = Object.entries(namespaces ?? {}).filter(([p, uri]) => scope[p] !== uri);
  return own.length === 0 ? element : { ...element, namespaces: Object.fromEntries(own) };
}

function parseSelector(
  selector: string,
  defaultNs: string,
  bindings: Readonly<Record<string, string>>,
): ParsedSelector {
  const parts = splitSteps(selector);
  if (parts.length === 0 || parts.some((p) => p === '')) throw new NodeRequestRefused(400);
  const lastPart = parts.at(-1)!;
  if (lastPart === 'namespace::*' || lastPart.includes('::')) throw new NodeRequestRefused(501);
  const resolve = (qname: string, attribute: boolean): [string, string] => {
    const i = qname.indexOf(':');
    if (i < 0) return [attribute ? '' : defaultNs, qname];
    const ns = bindings[qname.slice(0, i)];
    if (ns === undefined) throw new NodeRequestRefused(400);
    return [ns, qname.slice(i + 1)];
  };
  let attribute: ParsedSelector['attribute'];
  const elementParts = lastPart.startsWith('@') ? parts.slice(0, -1) : parts;
  if (lastPart.startsWith('@')) {
    const [ns, name] = resolve(lastPart.slice(1), true);
    attribute = { ns, name };
  }
  if (elementParts.length === 0) throw new NodeRequestRefused(400);
  const steps = elementParts.map((part): ElementStep => {
    const open = part.indexOf('[');
    const test = open < 0 ? part : part.slice(0, open);
    if (test === '' || /[\s@\]]/.test(test)) throw new NodeRequestRefused(400);
    const [ns, name] = test === '*' ? [undefined, '*'] : resolve(test, false);
    let step: ElementStep = { ns, name };
    for (const predicate of open < 0 ? [] : predicatesOf(part.slice(open))) {
      if (/^[1-9]\d{0,8}$/.test(predicate) && step.pos === undefined && step.attr === undefined) {
        step = { ...step, pos: Number(predicate) };
        continue;
      }
      const m = /^@([^=\s]+)\s*=\s*(?:"([^"]*)"|'([^']*)')$/.exec(predicate);
      if (m === null || step.attr !== undefined) throw new NodeRequestRefused(400);
      const [attrNs, attrName] = resolve(m[1]!, true);
      step = {
        ...step,
        attr: { ns: attrNs, name: attrName, value: decodeReferences(m[2] ?? m[3]!) },
      };
    }
    return step;
  });
  return attribute === undefined ? { steps } : { steps, attribute };
}

/** `/`-separated steps, slashes inside predicates and quotes kept. */
function splitSteps(selector: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (const ch of selector) {
    if (quote !== '') {
      if (ch === quote) quote = '';
    } else if (depth > 0 && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '/' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (quote !== '' || depth !== 0) throw new NodeRequestRefused(400);
  out.push(cur);
  return out;
}

/** The bodies of `[...][...]`, quotes respected. */
function predicatesOf(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '[') throw new NodeRequestRefused(400);
    let j = i + 1;
    let quote = '';
    for (; j < text.length; j++) {
      const ch = text[j]!;
      if (quote !== '') {
        if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === ']') break;
    }
    if (j >= text.length) throw new NodeRequestRefused(400);
    out.push(text.slice(i + 1, j));
    i = j + 1;
  }
  return out;
}

function nameTest(e: XmlElement, step: ElementStep): boolean {
  return (step.ns === undefined || e.ns === step.ns) && (step.name === '*' || e.name === step.name);
}

function attrTest(e: XmlElement, step: ElementStep): boolean {
  const t = step.attr;
  return (
    t === undefined ||
    e.attributes.some((a) => a.ns === t.ns && a.name === t.name && a.value === t.value)
  );
}

function matchesStep(e: XmlElement, step: ElementStep): boolean {
  return nameTest(e, step) && attrTest(e, step);
}

/** The children of `parent` a step selects: name test, then position, then attribute test. */
function candidates(parent: XmlElement, step: ElementStep): XmlElement[] {
  const named = parent.children.filter(
    (c): c is XmlElement => c.type === 'element' && nameTest(c, step),
  );
  const placed = step.pos === undefined ? named : named.slice(step.pos - 1, step.pos);
  return placed.filter((e) => attrTest(e, step));
}

/** The elements from the root to the one `steps` select, or null when not exactly one. */
function tryPath(root: XmlElement, steps: readonly ElementStep[]): XmlElement[] | null {
  const first = steps[0];
  if (first === undefined || !matchesStep(root, first) || (first.pos ?? 1) !== 1) return null;
  const path = [root];
  for (const step of steps.slice(1)) {
    const hits = candidates(path.at(-1)!, step);
    if (hits.length !== 1) return null;
    path.push(hits[0]!);
  }
  return path;
}

/** Like {@link tryPath}; nothing (or more than one node) selected is a 404 (§6.3). */
function select(root: XmlElement, steps: readonly ElementStep[]): XmlElement[] {
  const path = tryPath(root, steps);
  if (path === null) throw new NodeRequestRefused(404);
  return path;
}

/** The root of a copy of the tree in which the last element of `path` is `replacement`. */
function rebuild(path: readonly XmlElement[], replacement: XmlElement): XmlElement {
  let node = replacement;
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = path[i]!;
    const old = path[i + 1]!;
    node = { ...parent, children: parent.children.map((c) => (c === old ? node : c)) };
  }
  return node;
}
