/**
 * Codec for common-policy rulesets (RFC 4745) as used by pres-rules (RFC 5025,
 * `org.openmobilealliance.pres-rules` / `pres-rules`) and AG's dialog-rules
 * (`org.openxcap.dialog-rules`, namespace `urn:ag-projects:xml:ns:dialog-rules`), with the OMA
 * common-policy extensions (`external-list`, `other-identity`, `anonymous-request`, OMA
 * XDM Common Policy §5.1).
 *
 * Unknown conditions, actions and transformations are kept as foreign elements; every object
 * keeps unknown attributes. Pres-rules transformations live in common-policy-transformations.ts.
 */

import type { PresTransformations } from './common-policy-transformations.js';
import { decodeTransformations, encodeTransformations } from './common-policy-transformations.js';
import { decodeUriValue, encodeXcapUriInDocument } from './uri-encoding.js';
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign, XmlShape } from './xml/codec-helpers.js';
import {
  elementsOf,
  expectElement,
  label,
  otherAttributes,
  requireAttr,
  shaped,
  shapeOf,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { attr, element, NS, textOf } from './xml/tree.js';

export type { PresTransformations, ProvideSet } from './common-policy-transformations.js';

const CP = NS.commonPolicy;
const OCP = NS.omaCommonPolicy;

/** RFC 5025 §3.2.1 sub-handling values (dialog-rules uses the same set). */
export type SubHandling = 'block' | 'confirm' | 'polite-block' | 'allow';
const SUB_HANDLING: readonly SubHandling[] = ['block', 'confirm', 'polite-block', 'allow'];

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

/** `<actions>`: the sub-handling (pres-rules or dialog-rules namespace) and unknown actions. */
export interface Actions extends Foreign {
  readonly subHandling?: SubHandling;
}

/** `<rule id>`. */
export interface Rule extends Foreign {
  readonly id: string;
  readonly conditions?: Conditions;
  readonly actions?: Actions;
  readonly transformations?: PresTransformations;
}

/** A `<ruleset>` document. */
export interface Ruleset extends Foreign {
  readonly rules: readonly Rule[];
  readonly shape?: XmlShape;
}

/** Which flavour of common-policy document a codec call is about. */
export interface PolicyFlavour {
  /** Document name for errors, e.g. 'pres-rules'. */
  readonly document: string;
  /** Namespace of `<sub-handling>`: NS.presRules or NS.dialogRules. */
  readonly subHandlingNs: string;
  /** Root shape used when the payload has none. */
  readonly shape: XmlShape;
}

/** pres-rules as sipsimple writes it: `cp`, `pr` and `ocp` prefixes declared on the root. */
export const PRES_RULES: PolicyFlavour = {
  document: 'pres-rules',
  subHandlingNs: NS.presRules,
  shape: { prefix: 'cp', namespaces: { cp: CP, pr: NS.presRules, ocp: OCP } },
};
/** dialog-rules as sipsimple writes it: `cp`, `dr` and `ocp`. */
export const DIALOG_RULES: PolicyFlavour = {
  document: 'dialog-rules',
  subHandlingNs: NS.dialogRules,
  shape: { prefix: 'cp', namespaces: { cp: CP, dr: NS.dialogRules, ocp: OCP } },
};

/**
 * Decodes a common-policy `<ruleset>`.
 *
 * @example
 * ```ts
 * const rules = decodeCommonPolicy(parseXml(xml), PRES_RULES).rules;
 * ```
 */
export function decodeCommonPolicy(root: XmlElement, flavour: PolicyFlavour): Ruleset {
  const doc = flavour.document;
  expectElement(doc, root, CP, 'ruleset');
  const rules: Rule[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(root)) {
    if (c.ns === CP && c.name === 'rule') rules.push(decodeRule(c, flavour));
    else extensions.push(c);
  }
  return { rules, extensions, otherAttributes: otherAttributes(root, []), shape: shapeOf(root) };
}

/**
 * Decodes a pres-rules document (RFC 5025).
 *
 * @example
 * ```ts
 * decodePresRules(parseXml(xml)).rules.find((r) => r.id === 'wp_prs_allow_own');
 * ```
 */
export function decodePresRules(root: XmlElement): Ruleset {
  return decodeCommonPolicy(root, PRES_RULES);
}

/**
 * Decodes a dialog-rules document (AG `urn:ag-projects:xml:ns:dialog-rules`).
 *
 * @example
 * ```ts
 * decodeDialogRules(parseXml(xml)).rules[0]?.actions?.subHandling; // 'allow'
 * ```
 */
export function decodeDialogRules(root: XmlElement): Ruleset {
  return decodeCommonPolicy(root, DIALOG_RULES);
}

function decodeRule(e: XmlElement, flavour: PolicyFlavour): Rule {
  const doc = flavour.document;
  const id = requireAttr(doc, e, 'id');
  let conditions: Conditions | undefined;
  let actions: Actions | undefined;
  let transformations: PresTransformations | undefined;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === CP && c.name === 'conditions' && conditions === undefined)
      conditions = decodeConditions(c, doc);
    else if (c.ns === CP && c.name === 'actions' && actions === undefined)
      actions = decodeActions(c, flavour);
    else if (c.ns === CP && c.name === 'transformations' && transformations === undefined)
      transformations = decodeTransformations(c, doc);
    else extensions.push(c);
  }
  return {
    id,
    ...(conditions !== undefined ? { conditions } : {}),
    ...(actions !== undefined ? { actions } : {}),
    ...(transformations !== undefined ? { transformations } : {}),
    extensions,
    otherAttributes: otherAttributes(e, ['id']),
  };
}

function foreignOf(e: XmlElement, knownAttrs: readonly string[]): Foreign {
  return { extensions: elementsOf(e), otherAttributes: otherAttributes(e, knownAttrs) };
}

function decodeConditions(e: XmlElement, doc: string): Conditions {
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

function decodeActions(e: XmlElement, flavour: PolicyFlavour): Actions {
  let subHandling: SubHandling | undefined;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === flavour.subHandlingNs && c.name === 'sub-handling' && subHandling === undefined) {
      const v = textOf(c).trim();
      if (!(SUB_HANDLING as readonly string[]).includes(v))
        throw new XcapCodecError(
          flavour.document,
          `invalid sub-handling "${v.slice(0, 40)}"`,
          label(c),
        );
      subHandling = v as SubHandling;
    } else extensions.push(c);
  }
  return {
    ...(subHandling !== undefined ? { subHandling } : {}),
    extensions,
    otherAttributes: otherAttributes(e, []),
  };
}

/**
 * Encodes a ruleset in the given flavour (its `sub-handling` namespace and default shape).
 *
 * @example
 * ```ts
 * serializeXml(encodeCommonPolicy({ rules: [], extensions: [], otherAttributes: [] }, PRES_RULES));
 * ```
 */
export function encodeCommonPolicy(doc: Ruleset, flavour: PolicyFlavour): XmlElement {
  const rules = doc.rules.map((r) => {
    const children: XmlElement[] = [];
    if (r.conditions !== undefined)
      children.push(
        element(CP, 'conditions', r.conditions.otherAttributes, [
          ...r.conditions.items.map(encodeCondition),
          ...r.conditions.extensions,
        ]),
      );
    if (r.actions !== undefined) {
      const sh =
        r.actions.subHandling !== undefined
          ? [textElement(flavour.subHandlingNs, 'sub-handling', r.actions.subHandling)]
          : [];
      children.push(
        element(CP, 'actions', r.actions.otherAttributes, [...sh, ...r.actions.extensions]),
      );
    }
    if (r.transformations !== undefined) children.push(encodeTransformations(r.transformations));
    children.push(...r.extensions);
    return element(
      CP,
      'rule',
      [{ ns: '', name: 'id', value: r.id }, ...r.otherAttributes],
      children,
    );
  });
  return shaped(
    CP,
    'ruleset',
    doc.otherAttributes,
    [...rules, ...doc.extensions],
    doc.shape ?? flavour.shape,
  );
}

/**
 * Encodes a pres-rules document.
 *
 * @example
 * ```ts
 * encodePresRules({ rules: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodePresRules(doc: Ruleset): XmlElement {
  return encodeCommonPolicy(doc, PRES_RULES);
}

/**
 * Encodes a dialog-rules document.
 *
 * @example
 * ```ts
 * encodeDialogRules({ rules: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeDialogRules(doc: Ruleset): XmlElement {
  return encodeCommonPolicy(doc, DIALOG_RULES);
}

function withAttrs(base: XmlAttribute[], f: Foreign): XmlAttribute[] {
  return [...base, ...f.otherAttributes];
}

function encodeCondition(c: Condition): XmlElement {
  switch (c.kind) {
    case 'identity':
      return element(CP, 'identity', c.otherAttributes, [
        ...c.ones.map((o) =>
          element(CP, 'one', withAttrs([{ ns: '', name: 'id', value: o.id }], o), o.extensions),
        ),
        ...c.manys.map((m) => {
          const attrs: XmlAttribute[] = [];
          if (m.domain !== undefined) attrs.push({ ns: '', name: 'domain', value: m.domain });
          const excepts = m.excepts.map((x) => {
            const xa: XmlAttribute[] = [];
            if (x.domain !== undefined) xa.push({ ns: '', name: 'domain', value: x.domain });
            if (x.id !== undefined) xa.push({ ns: '', name: 'id', value: x.id });
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
