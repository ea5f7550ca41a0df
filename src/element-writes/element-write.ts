/**
 * Element and attribute writes (RFC 4825 §7.4–7.6) as data, and an in-memory model of how a
 * server applies them ({@link applyElementWrite}), for either server profile. The planner uses
 * the model to know the document the server will hold after its writes; tests use it to check
 * plans without a server.
 *
 * Every step of a planned selector is the wildcard `*` with a position and/or one attribute
 * test (RFC 4825 §6.3): names then need no namespace bindings, which Kamailio's `xcap_server`
 * does not understand (it appends the `?xmlns()` query to its XPath and answers 500), and its
 * name tests only match unprefixed elements.
 */
import { type NodeSelector, nodeSelector } from '../client/node-selector.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import { attr, type XmlElement, type XmlNode } from '../codecs/xml/tree.js';
import { XcapError } from '../errors.js';
import { elementOffsets, withAttribute } from './child-index.js';
import type { XcapServerProfile } from './server-profile.js';

/** One `*` step: `*[position]`, `*[@name="value"]` or `*[position][@name="value"]`. */
export interface SelectorStep {
  /** 1-based position among the element children (RFC 4825 §6.3 `position`). */
  readonly position?: number;
  /** An attribute test on an unprefixed attribute. */
  readonly test?: { readonly name: string; readonly value: string };
}

/** A write to one node of a document; `path` starts with the root element's step. */
export type ElementWrite =
  | {
      readonly kind: 'put-element';
      readonly path: readonly SelectorStep[];
      readonly element: XmlElement;
    }
  | { readonly kind: 'delete-element'; readonly path: readonly SelectorStep[] }
  | {
      readonly kind: 'put-attribute';
      readonly path: readonly SelectorStep[];
      readonly name: string;
      readonly value: string;
    }
  | {
      readonly kind: 'delete-attribute';
      readonly path: readonly SelectorStep[];
      readonly name: string;
    };

/**
 * A write the modelled server refuses: `status` is what an RFC 4825 server answers (404 no such
 * node, 409 cannot-insert / ambiguous; Kamailio answers a bare 500 instead).
 *
 * @example try { applyElementWrite(doc, w, RFC4825_SERVER) } catch (e) { e.code === 'RXCAP_ELEMENT_WRITE' }
 */
export class XcapElementWriteError extends XcapError {
  readonly status: 404 | 409;
  readonly selector: string;

  constructor(status: 404 | 409, selector: string, message: string) {
    super('RXCAP_ELEMENT_WRITE', `${message} (${selector})`);
    this.status = status;
    this.selector = selector;
  }
}

/**
 * The node selector of a write, built with the client's builder (`*` steps, then `@name` for an
 * attribute write).
 *
 * @example nodeSelectorOf({ kind: 'delete-element', path: [{}, { position: 2 }] }).toString() // '*\/*[2]'
 */
export function nodeSelectorOf(write: ElementWrite): NodeSelector {
  let s = nodeSelector();
  for (const step of write.path) {
    const test = step.test === undefined ? undefined : { [step.test.name]: step.test.value };
    s = step.position === undefined ? s.el('*', test) : s.el('*', step.position, test);
  }
  return write.kind === 'put-attribute' || write.kind === 'delete-attribute'
    ? s.attr(write.name)
    : s;
}

/**
 * The body of a PUT: the element as an XML fragment without declaration (RFC 4825 §15.2,
 * `application/xcap-el+xml`), or the attribute value (§15.3); undefined for a DELETE.
 *
 * @example bodyOf({ kind: 'put-attribute', path: [{}], name: 'a', value: 'x' }) // 'x'
 */
export function bodyOf(write: ElementWrite): string | undefined {
  if (write.kind === 'put-element') return serializeXml(write.element, { declaration: false });
  if (write.kind === 'put-attribute') return write.value;
  return undefined;
}

function matches(e: XmlElement, step: SelectorStep): boolean {
  return step.test === undefined || attr(e, step.test.name) === step.test.value;
}

/** Indices (into children) of the element children a step selects. */
function select(parent: XmlElement, step: SelectorStep): number[] {
  const offsets = elementOffsets(parent);
  if (step.position !== undefined) {
    const i = offsets[step.position - 1];
    return i !== undefined && matches(parent.children[i] as XmlElement, step) ? [i] : [];
  }
  if (step.test === undefined) return offsets.slice();
  return withAttribute(parent, step.test.name, step.test.value).map((k) => offsets[k]!);
}

/** Replaces the element at `path` (resolved below `root`) by `f(element)`. */
function update(
  root: XmlElement,
  path: readonly SelectorStep[],
  where: string,
  f: (e: XmlElement) => XmlElement,
): XmlElement {
  const first = path[0];
  if (
    first === undefined ||
    (first.position !== undefined && first.position !== 1) ||
    !matches(root, first)
  )
    throw new XcapElementWriteError(404, where, 'the root step does not select the root');
  const go = (e: XmlElement, depth: number): XmlElement => {
    if (depth === path.length) return f(e);
    const hits = select(e, path[depth]!);
    if (hits.length !== 1)
      throw new XcapElementWriteError(
        hits.length === 0 ? 404 : 409,
        where,
        hits.length === 0 ? 'no element at a step' : 'a step selects several elements',
      );
    const i = hits[0]!;
    const children = e.children.slice();
    children[i] = go(e.children[i] as XmlElement, depth + 1);
    return { ...e, children };
  };
  return go(root, 1);
}

/** Where an RFC 4825 server inserts `el` into `parent` for the last step `step` (§8.2.3). */
function rfcInsertAt(
  parent: XmlElement,
  el: XmlElement,
  step: SelectorStep,
  where: string,
): number {
  const els = elementOffsets(parent);
  if (step.position !== undefined) {
    const n = step.position;
    if (n > els.length + 1)
      throw new XcapElementWriteError(
        409,
        where,
        'cannot-insert: position past the last element + 1',
      );
    // The new element becomes the n-th element child: right after the (n-1)-th, or before the
    // first one for n = 1.
    if (n === 1) return els[0] ?? parent.children.length;
    return els[n - 2]! + 1;
  }
  // No position: after the last sibling with the same expanded name, else as the last child.
  for (let k = els.length - 1; k >= 0; k--) {
    const c = parent.children[els[k]!] as XmlElement;
    if (c.ns === el.ns && c.name === el.name) return els[k]! + 1;
  }
  return parent.children.length;
}

function insertAt(nodes: readonly XmlNode[], i: number, n: XmlNode): XmlNode[] {
  const out = nodes.slice(0, i);
  out.push(n);
  for (let k = i; k < nodes.length; k++) out.push(nodes[k]!);
  return out;
}

/**
 * The document after `write` on a server with `profile`. Throws
 * {@link XcapElementWriteError} where that server refuses the write.
 *
 * @example applyElementWrite(doc, { kind: 'delete-element', path: [{}, { test: { name: 'name', value: 'x' } }] }, RFC4825_SERVER)
 */
export function applyElementWrite(
  root: XmlElement,
  write: ElementWrite,
  profile: XcapServerProfile,
): XmlElement {
  const where = nodeSelectorOf(write).toString();
  const last = write.path[write.path.length - 1];
  if (write.path.length < 2 && write.kind !== 'put-attribute' && write.kind !== 'delete-attribute')
    throw new XcapElementWriteError(409, where, 'the root element is written as a document');
  if (!profile.escapedPredicateValues)
    for (const s of write.path)
      if (s.test !== undefined && /[&<"]/.test(s.test.value))
        throw new XcapElementWriteError(404, where, `${profile.name} cannot match this value`);
  switch (write.kind) {
    case 'put-attribute':
    case 'delete-attribute': {
      if (!profile.attributeWrites)
        throw new XcapElementWriteError(409, where, `${profile.name} has no attribute writes`);
      return update(root, write.path, where, (e) => {
        const rest = e.attributes.filter((a) => !(a.ns === '' && a.name === write.name));
        if (write.kind === 'delete-attribute') {
          if (rest.length === e.attributes.length)
            throw new XcapElementWriteError(404, where, 'no such attribute');
          return { ...e, attributes: rest };
        }
        const i = e.attributes.findIndex((a) => a.ns === '' && a.name === write.name);
        const attributes = e.attributes.slice();
        if (i < 0) attributes.push({ ns: '', name: write.name, value: write.value });
        else attributes[i] = { ...e.attributes[i]!, value: write.value };
        return { ...e, attributes };
      });
    }
    case 'delete-element':
      return update(root, write.path.slice(0, -1), where, (parent) => {
        const hits = select(parent, last!);
        if (hits.length !== 1)
          throw new XcapElementWriteError(
            hits.length === 0 ? 404 : 409,
            where,
            'delete selects no single element',
          );
        const next = { ...parent, children: parent.children.filter((_, i) => i !== hits[0]) };
        // RFC 4825 §8.2.5: after a DELETE the same URI must select nothing; `*[2]` naming an
        // element in the middle would select its next sibling (OpenXCAP: "cannot delete
        // something in the middle").
        if (profile.idempotentWrites && select(next, last!).length > 0)
          throw new XcapElementWriteError(
            409,
            where,
            'cannot-delete: the URI would select another element after the DELETE',
          );
        return next;
      });
    case 'put-element':
      return update(root, write.path.slice(0, -1), where, (parent) => {
        const hits = select(parent, last!);
        if (hits.length > 1)
          throw new XcapElementWriteError(409, where, 'the selector selects several elements');
        const el = write.element;
        // RFC 4825 §8.2.3: a GET of the same URI must return what was PUT. Kamailio skips the check.
        if (profile.positionalInsert && !matches(el, last!))
          throw new XcapElementWriteError(
            409,
            where,
            'cannot-insert: the element fails the attribute test',
          );
        let next: XmlElement;
        if (hits.length === 1) {
          const i = hits[0]!;
          const children = profile.replaceInPlace
            ? parent.children.slice()
            : parent.children.filter((_, k) => k !== i);
          if (profile.replaceInPlace) children[i] = el;
          else children.push(el);
          next = { ...parent, children };
        } else if (!profile.positionalInsert)
          next = { ...parent, children: [...parent.children, el] };
        else
          next = {
            ...parent,
            children: insertAt(parent.children, rfcInsertAt(parent, el, last!, where), el),
          };
        // RFC 4825 §8.2.3: a GET of the same URI must then return the element PUT.
        if (profile.idempotentWrites) {
          const now = select(next, last!);
          if (now.length !== 1 || next.children[now[0]!] !== el)
            throw new XcapElementWriteError(
              409,
              where,
              'cannot-insert: the URI would not select the element after the PUT',
            );
        }
        return next;
      });
  }
}
