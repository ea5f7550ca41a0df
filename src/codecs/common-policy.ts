/**
 * Codec for common-policy rulesets (RFC 4745) as used by pres-rules (RFC 5025,
 * `org.openmobilealliance.pres-rules` / `pres-rules`) and AG's dialog-rules
 * (`org.openxcap.dialog-rules`, namespace `urn:ag-projects:xml:ns:dialog-rules`), with the OMA
 * common-policy extensions (`external-list`, `other-identity`, `anonymous-request`, OMA
 * XDM Common Policy §5.1).
 *
 * Unknown conditions, actions and transformations are kept as foreign elements; every object
 * keeps unknown attributes. Conditions live in common-policy-conditions.ts and pres-rules
 * transformations in common-policy-transformations.ts.
 */

import type { Conditions } from './common-policy-conditions.js';
import { decodeConditions, encodeCondition } from './common-policy-conditions.js';
import type { PresTransformations } from './common-policy-transformations.js';
import { decodeTransformations, encodeTransformations } from './common-policy-transformations.js';
import { partitionChildren } from './partition-children.js';
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
import type { XmlElement } from './xml/tree.js';
import { element, NS, textOf } from './xml/tree.js';

export type {
  Condition,
  Conditions,
  ExternalListEntry,
  IdentityExcept,
  IdentityMany,
  IdentityOne,
} from './common-policy-conditions.js';
export type { PresTransformations, ProvideSet } from './common-policy-transformations.js';

const CP = NS.commonPolicy;
const OCP = NS.omaCommonPolicy;

/**
 * RFC 5025 §3.2.1 sub-handling values (dialog-rules uses the same set).
 *
 * @example const handling: SubHandling = 'polite-block';
 */
export type SubHandling = 'block' | 'confirm' | 'polite-block' | 'allow';
const SUB_HANDLING: readonly SubHandling[] = ['block', 'confirm', 'polite-block', 'allow'];

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
  const [rules, extensions] = partitionChildren(root, CP, 'rule', (c) => decodeRule(c, flavour));
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
