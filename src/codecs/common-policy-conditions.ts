/**
 * Common-policy conditions (RFC 4745 §7: identity, sphere, validity) and the OMA XDM Common
 * Policy extensions (`external-list`, `other-identity`, `anonymous-request`). Unknown conditions
 * stay foreign. (Split out of common-policy.ts to keep files small.)
 */
import { decodeUriValue, encodeUriValue, encodeXcapUriInDocument } from './uri-encoding.js';
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign } from './xml/codec-helpers.js';
import {
  elementsOf,
  label,
  otherAttributes,
  requireAttr,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { attr, element, NS, textOf } from './xml/tree.js';

const CP = NS.commonPolicy;
const OCP = NS.omaCommonPolicy;

/** `<one id>` (RFC 4745 §7.1.1); `id` decoded (sipsimple writes it percent-encoded). */
export interface IdentityOne extends Foreign {
  readonly id: string;
}
/** `<except domain>` or `<except id>` inside `<many>`. */
export interface IdentityExcept extends Foreign {
  readonly domain?: string;
  readonly id?: string;
}
/** `<many domain?>` with its exceptions. */
export interface IdentityMany extends Foreign {
  readonly domain?: string;
  readonly excepts: readonly IdentityExcept[];
}

/** One known condition. Unknown ones stay in {@link Conditions.extensions}. */
export type Condition =
  | ({
      readonly kind: 'identity';
      readonly ones: readonly IdentityOne[];
      readonly manys: readonly IdentityMany[];
    } & Foreign)
  | ({ readonly kind: 'sphere'; readonly value: string } & Foreign)
  | ({
      readonly kind: 'validity';
      readonly intervals: readonly { readonly from: string; readonly until: string }[];
    } & Foreign)
  | ({ readonly kind: 'external-list'; readonly entries: readonly ExternalListEntry[] } & Foreign)
  | ({ readonly kind: 'other-identity' } & Foreign)
  | ({ readonly kind: 'anonymous-request' } & Foreign);

/** `<ocp:entry anc>`: the XCAP URI of a resource list; `anc` decoded. */
export interface ExternalListEntry extends Foreign {
  readonly anc: string;
}

/** `<conditions>`: known conditions in order, unknown ones in `extensions`. */
export interface Conditions extends Foreign {
  readonly items: readonly Condition[];
}

function foreignOf(e: XmlElement, knownAttrs: readonly string[]): Foreign {
  return { extensions: elementsOf(e), otherAttributes: otherAttributes(e, knownAttrs) };
}

/**
 * Decodes `<cp:conditions>`.
 *
 * @example
 * ```ts
 * decodeConditions(el, 'pres-rules').items[0]?.kind; // 'external-list'
 * ```
 */
export function decodeConditions(e: XmlElement, doc: string): Conditions {
  const items: Condition[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    const cond = decodeCondition(c, doc);
    if (cond !== undefined) items.push(cond);
    else extensions.push(c);
  }
  return { items, extensions, otherAttributes: otherAttributes(e, []) };
}

function decodeCondition(c: XmlElement, doc: string): Condition | undefined {
  if (c.ns === CP && c.name === 'identity') {
    const ones: IdentityOne[] = [];
    const manys: IdentityMany[] = [];
    const extensions: XmlElement[] = [];
    for (const x of elementsOf(c)) {
      if (x.ns === CP && x.name === 'one')
        ones.push({ id: decodeUriValue(requireAttr(doc, x, 'id')), ...foreignOf(x, ['id']) });
      else if (x.ns === CP && x.name === 'many') manys.push(decodeMany(x));
      else extensions.push(x);
    }
    return { kind: 'identity', ones, manys, extensions, otherAttributes: otherAttributes(c, []) };
  }
  if (c.ns === CP && c.name === 'sphere')
    return { kind: 'sphere', value: requireAttr(doc, c, 'value'), ...foreignOf(c, ['value']) };
  if (c.ns === CP && c.name === 'validity') {
    const intervals: { from: string; until: string }[] = [];
    const kids = elementsOf(c);
    const extensions: XmlElement[] = [];
    for (let i = 0; i < kids.length; i++) {
      const a = kids[i]!;
      const b = kids[i + 1];
      if (
        a.ns === CP &&
        a.name === 'from' &&
        b !== undefined &&
        b.ns === CP &&
        b.name === 'until'
      ) {
        intervals.push({ from: textOf(a).trim(), until: textOf(b).trim() });
        i++;
      } else if (a.ns === CP && (a.name === 'from' || a.name === 'until'))
        throw new XcapCodecError(doc, '<from> and <until> must come in pairs', label(a));
      else extensions.push(a);
    }
    return { kind: 'validity', intervals, extensions, otherAttributes: otherAttributes(c, []) };
  }
  if (c.ns === OCP && c.name === 'external-list') {
    const entries: ExternalListEntry[] = [];
    const extensions: XmlElement[] = [];
    for (const x of elementsOf(c)) {
      if (x.ns === OCP && x.name === 'entry')
        entries.push({ anc: decodeUriValue(requireAttr(doc, x, 'anc')), ...foreignOf(x, ['anc']) });
      else extensions.push(x);
    }
    return { kind: 'external-list', entries, extensions, otherAttributes: otherAttributes(c, []) };
  }
  if (c.ns === OCP && (c.name === 'other-identity' || c.name === 'anonymous-request'))
    return { kind: c.name, ...foreignOf(c, []) };
  return undefined;
}

function decodeMany(x: XmlElement): IdentityMany {
  const excepts: IdentityExcept[] = [];
  const extensions: XmlElement[] = [];
  for (const y of elementsOf(x)) {
    if (y.ns === CP && y.name === 'except') {
      const domain = attr(y, 'domain');
      const id = attr(y, 'id');
      excepts.push({
        ...(domain !== undefined ? { domain } : {}),
        ...(id !== undefined ? { id: decodeUriValue(id) } : {}),
        ...foreignOf(y, ['domain', 'id']),
      });
    } else extensions.push(y);
  }
  const domain = attr(x, 'domain');
  return {
    ...(domain !== undefined ? { domain } : {}),
    excepts,
    extensions,
    otherAttributes: otherAttributes(x, ['domain']),
  };
}

function withAttrs(base: XmlAttribute[], f: Foreign): XmlAttribute[] {
  return [...base, ...f.otherAttributes];
}

/**
 * Encodes one known condition.
 *
 * @example
 * ```ts
 * encodeCondition({ kind: 'other-identity', extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeCondition(c: Condition): XmlElement {
  switch (c.kind) {
    case 'identity':
      return element(CP, 'identity', c.otherAttributes, [
        ...c.ones.map((o) =>
          element(
            CP,
            'one',
            withAttrs([{ ns: '', name: 'id', value: encodeUriValue(o.id) }], o),
            o.extensions,
          ),
        ),
        ...c.manys.map((m) => {
          const attrs: XmlAttribute[] = [];
          if (m.domain !== undefined) attrs.push({ ns: '', name: 'domain', value: m.domain });
          const excepts = m.excepts.map((x) => {
            const xa: XmlAttribute[] = [];
            if (x.domain !== undefined) xa.push({ ns: '', name: 'domain', value: x.domain });
            if (x.id !== undefined) xa.push({ ns: '', name: 'id', value: encodeUriValue(x.id) });
            return element(CP, 'except', withAttrs(xa, x), x.extensions);
          });
          return element(CP, 'many', withAttrs(attrs, m), [...excepts, ...m.extensions]);
        }),
        ...c.extensions,
      ]);
    case 'sphere':
      return element(
        CP,
        'sphere',
        withAttrs([{ ns: '', name: 'value', value: c.value }], c),
        c.extensions,
      );
    case 'validity':
      return element(CP, 'validity', c.otherAttributes, [
        ...c.intervals.flatMap((i) => [
          textElement(CP, 'from', i.from),
          textElement(CP, 'until', i.until),
        ]),
        ...c.extensions,
      ]);
    case 'external-list':
      return element(OCP, 'external-list', c.otherAttributes, [
        ...c.entries.map((x) =>
          element(
            OCP,
            'entry',
            withAttrs([{ ns: '', name: 'anc', value: encodeXcapUriInDocument(x.anc) }], x),
            x.extensions,
          ),
        ),
        ...c.extensions,
      ]);
    default:
      return element(OCP, c.kind, c.otherAttributes, c.extensions);
  }
}
