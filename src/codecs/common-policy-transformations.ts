/**
 * Pres-rules transformations (RFC 5025 §3.3) inside a common-policy `<transformations>`
 * (RFC 4745 §10.3): which services, persons and devices a watcher may see and which
 * attributes. Elements outside the pres-rules namespace (or unknown in it) are kept as foreign.
 * (Split out of common-policy.ts to keep files small.)
 */
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign } from './xml/codec-helpers.js';
import { elementsOf, label, otherAttributes, textElement } from './xml/codec-helpers.js';
import type { XmlElement } from './xml/tree.js';
import { attr, element, NS, textOf } from './xml/tree.js';

const CP = NS.commonPolicy;
const PR = NS.presRules;

/**
 * `<provide-services>` / `<provide-persons>` / `<provide-devices>` (RFC 5025 §3.3.1-3): either
 * all of them, or a list of selectors such as `service-uri`, `service-uri-scheme`, `deviceID`,
 * `occurrence-id` or `class` (local name in the pres-rules namespace, text value).
 */
export interface ProvideSet extends Foreign {
  readonly all: boolean;
  readonly items: readonly { readonly name: string; readonly value: string }[];
}

/** RFC 5025 §3.3.4-§3.3.16: the boolean `provide-*` attribute permissions. */
export const PROVIDE_FLAGS = [
  'provide-activities',
  'provide-class',
  'provide-deviceID',
  'provide-mood',
  'provide-place-is',
  'provide-place-type',
  'provide-privacy',
  'provide-relationship',
  'provide-status-icon',
  'provide-sphere',
  'provide-time-offset',
  'provide-note',
] as const;
export type ProvideFlag = (typeof PROVIDE_FLAGS)[number];

/** RFC 5025 §3.3.12 `provide-user-input` values. */
export type ProvideUserInput = 'false' | 'bare' | 'thresholds' | 'full';
const USER_INPUT: readonly string[] = ['false', 'bare', 'thresholds', 'full'];

/** The `<transformations>` of a rule. */
export interface PresTransformations extends Foreign {
  readonly provideServices?: ProvideSet;
  readonly providePersons?: ProvideSet;
  readonly provideDevices?: ProvideSet;
  /** Boolean permissions present in the document, in document order. */
  readonly flags: Readonly<Partial<Record<ProvideFlag, boolean>>>;
  readonly provideUserInput?: ProvideUserInput;
  /** `<provide-unknown-attribute ns name>` (RFC 5025 §3.3.15). */
  readonly provideUnknownAttributes: readonly {
    readonly ns: string;
    readonly name: string;
    readonly value: boolean;
  }[];
  /** `<provide-all-attributes/>` present. */
  readonly provideAllAttributes: boolean;
}

const SETS = {
  'provide-services': ['provideServices', 'all-services'],
  'provide-persons': ['providePersons', 'all-persons'],
  'provide-devices': ['provideDevices', 'all-devices'],
} as const;

function bool(doc: string, e: XmlElement): boolean {
  const v = textOf(e).trim();
  // xs:boolean (XML Schema Part 2 §3.2.2) allows 1/0; we write true/false (python-sipsimple rejects 1/0).
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new XcapCodecError(doc, `invalid boolean "${v.slice(0, 20)}"`, label(e));
}

/**
 * Decodes a `<cp:transformations>` element.
 *
 * @example
 * ```ts
 * decodeTransformations(el, 'pres-rules').flags['provide-activities']; // true
 * ```
 */
export function decodeTransformations(e: XmlElement, doc: string): PresTransformations {
  const sets: {
    provideServices?: ProvideSet;
    providePersons?: ProvideSet;
    provideDevices?: ProvideSet;
  } = {};
  const flags: Partial<Record<ProvideFlag, boolean>> = {};
  const unknownAttrs: { ns: string; name: string; value: boolean }[] = [];
  let userInput: ProvideUserInput | undefined;
  let all = false;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns !== PR) {
      extensions.push(c);
      continue;
    }
    const set = SETS[c.name as keyof typeof SETS];
    if (set !== undefined && sets[set[0]] === undefined) {
      const items: { name: string; value: string }[] = [];
      const ext: XmlElement[] = [];
      let allOf = false;
      for (const x of elementsOf(c)) {
        if (x.ns === PR && x.name === set[1]) allOf = true;
        else if (x.ns === PR && elementsOf(x).length === 0)
          items.push({ name: x.name, value: textOf(x) });
        else ext.push(x);
      }
      sets[set[0]] = {
        all: allOf,
        items,
        extensions: ext,
        otherAttributes: otherAttributes(c, []),
      };
    } else if (
      (PROVIDE_FLAGS as readonly string[]).includes(c.name) &&
      flags[c.name as ProvideFlag] === undefined
    ) {
      flags[c.name as ProvideFlag] = bool(doc, c);
    } else if (c.name === 'provide-user-input' && userInput === undefined) {
      const v = textOf(c).trim();
      if (!USER_INPUT.includes(v))
        throw new XcapCodecError(doc, `invalid provide-user-input "${v.slice(0, 20)}"`, label(c));
      userInput = v as ProvideUserInput;
    } else if (c.name === 'provide-unknown-attribute') {
      unknownAttrs.push({
        ns: attr(c, 'ns') ?? '',
        name: attr(c, 'name') ?? '',
        value: bool(doc, c),
      });
    } else if (c.name === 'provide-all-attributes' && !all) all = true;
    else extensions.push(c);
  }
  return {
    ...sets,
    flags,
    ...(userInput !== undefined ? { provideUserInput: userInput } : {}),
    provideUnknownAttributes: unknownAttrs,
    provideAllAttributes: all,
    extensions,
    otherAttributes: otherAttributes(e, []),
  };
}

/**
 * Encodes a `<cp:transformations>` element (RFC 5025 §3.3 element order).
 *
 * @example
 * ```ts
 * encodeTransformations({ flags: { 'provide-mood': true }, provideUnknownAttributes: [], provideAllAttributes: false, extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeTransformations(t: PresTransformations): XmlElement {
  const children: XmlElement[] = [];
  for (const [name, [key, allName]] of Object.entries(SETS)) {
    const s = t[key];
    if (s === undefined) continue;
    children.push(
      element(PR, name, s.otherAttributes, [
        ...(s.all ? [element(PR, allName)] : []),
        ...s.items.map((i) => textElement(PR, i.name, i.value)),
        ...s.extensions,
      ]),
    );
  }
  for (const [name, v] of Object.entries(t.flags))
    if (v !== undefined) children.push(textElement(PR, name, v ? 'true' : 'false'));
  if (t.provideUserInput !== undefined)
    children.push(textElement(PR, 'provide-user-input', t.provideUserInput));
  for (const u of t.provideUnknownAttributes)
    children.push(
      textElement(PR, 'provide-unknown-attribute', u.value ? 'true' : 'false', [
        { ns: '', name: 'ns', value: u.ns },
        { ns: '', name: 'name', value: u.name },
      ]),
    );
  if (t.provideAllAttributes) children.push(element(PR, 'provide-all-attributes'));
  children.push(...t.extensions);
  return element(CP, 'transformations', t.otherAttributes, children);
}
