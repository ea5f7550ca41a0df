/**
 * RPID (RFC 4480) and CIPID (RFC 4482) elements and the data-model containers (RFC 4479
 * `dm:person`, `dm:device`) of a PIDF document. Only the commonly used RPID elements are typed
 * (activities, mood, class, status-icon, time-offset, user-input); every other element stays as
 * a foreign element of its container.
 */
import type { Foreign, LangText } from './xml/codec-helpers.js';
import {
  elementsOf,
  langElement,
  langText,
  otherAttributes,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { attr, element, NS, textOf } from './xml/tree.js';

const RPID = NS.rpid;
const CIPID = NS.cipid;
const DM = NS.dataModel;

/** `<rpid:activities>` or `<rpid:mood>` (RFC 4480 §3.2, §3.6). */
export interface RpidEnumerated extends Foreign {
  readonly id?: string;
  readonly from?: string;
  readonly until?: string;
  readonly notes: readonly LangText[];
  /** Local names of the enumerated values, e.g. ['away'] or ['happy']. */
  readonly values: readonly string[];
  /** `<rpid:other>` free-text values. */
  readonly others: readonly LangText[];
}

/** A simple RPID element: text value plus its attributes (id, from, until, description...). */
export interface RpidValue {
  readonly value: string;
  readonly attributes: readonly XmlAttribute[];
}

/** The typed RPID elements of a person, device or tuple. */
export interface RpidFields {
  readonly activities?: RpidEnumerated;
  readonly mood?: RpidEnumerated;
  readonly class?: RpidValue;
  readonly statusIcon?: RpidValue;
  readonly timeOffset?: RpidValue;
  readonly userInput?: RpidValue;
}

/** CIPID contact information (RFC 4482 §3); URIs kept as written. */
export interface Cipid {
  readonly card?: string;
  readonly displayName?: LangText;
  readonly homepage?: string;
  readonly icon?: string;
  readonly map?: string;
  readonly sound?: string;
}

/** `dm:person` (RFC 4479 §3.2). */
export interface PidfPerson extends Foreign, RpidFields {
  readonly id: string;
  readonly cipid: Cipid;
  readonly notes: readonly LangText[];
  readonly timestamp?: string;
}

/** `dm:device` (RFC 4479 §3.3). */
export interface PidfDevice extends Foreign, RpidFields {
  readonly id: string;
  readonly deviceId?: string;
  readonly cipid: Cipid;
  readonly notes: readonly LangText[];
  readonly timestamp?: string;
}

const SIMPLE = {
  class: 'class',
  'status-icon': 'statusIcon',
  'time-offset': 'timeOffset',
  'user-input': 'userInput',
} as const;
const CIPID_URIS = ['card', 'homepage', 'icon', 'map', 'sound'] as const;

function decodeEnumerated(e: XmlElement): RpidEnumerated {
  const notes: LangText[] = [];
  const values: string[] = [];
  const others: LangText[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    const simple = c.ns === RPID && elementsOf(c).length === 0;
    const onlyLang = otherAttributes(c, ['xml:lang']).length === 0;
    if (simple && c.name === 'note' && onlyLang) notes.push(langText(c));
    else if (simple && c.name === 'other' && onlyLang) others.push(langText(c));
    else if (simple && c.attributes.length === 0 && c.children.length === 0) values.push(c.name);
    else extensions.push(c);
  }
  const id = attr(e, 'id');
  const from = attr(e, 'from');
  const until = attr(e, 'until');
  return {
    ...(id !== undefined ? { id } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(until !== undefined ? { until } : {}),
    notes,
    values,
    others,
    extensions,
    otherAttributes: otherAttributes(e, ['id', 'from', 'until']),
  };
}

function encodeEnumerated(name: string, v: RpidEnumerated): XmlElement {
  const attrs: XmlAttribute[] = [];
  for (const k of ['id', 'from', 'until'] as const) {
    const x = v[k];
    if (x !== undefined) attrs.push({ ns: '', name: k, value: x });
  }
  return element(
    RPID,
    name,
    [...attrs, ...v.otherAttributes],
    [
      ...v.notes.map((n) => langElement(RPID, 'note', n)),
      ...v.values.map((x) => element(RPID, x)),
      ...v.others.map((n) => langElement(RPID, 'other', n)),
      ...v.extensions,
    ],
  );
}

/** What a container child decoder collected, before the container adds its own fields. */
export interface ContainerParts {
  rpid: { -readonly [K in keyof RpidFields]: RpidFields[K] };
  cipid: { -readonly [K in keyof Cipid]: Cipid[K] };
  notes: LangText[];
  timestamp?: string;
  deviceId?: string;
  extensions: XmlElement[];
}

/**
 * Sorts the children of a person, device or tuple into RPID, CIPID, notes (in `noteNs`),
 * timestamp and deviceID (data-model namespace), and foreign elements. `skip` decides which
 * children the caller handles itself.
 *
 * @example
 * ```ts
 * const parts = collectContainer(personEl, NS.dataModel);
 * ```
 */
export function collectContainer(
  e: XmlElement,
  noteNs: string,
  skip: (c: XmlElement) => boolean = () => false,
): ContainerParts {
  const parts: ContainerParts = { rpid: {}, cipid: {}, notes: [], extensions: [] };
  for (const c of elementsOf(e)) {
    if (skip(c)) continue;
    if (c.ns === noteNs && c.name === 'note') parts.notes.push(langText(c));
    else if (c.ns === DM && c.name === 'timestamp' && parts.timestamp === undefined)
      parts.timestamp = textOf(c).trim();
    else if (c.ns === DM && c.name === 'deviceID' && parts.deviceId === undefined)
      parts.deviceId = textOf(c).trim();
    else if (
      c.ns === RPID &&
      (c.name === 'activities' || c.name === 'mood') &&
      parts.rpid[c.name] === undefined
    )
      parts.rpid[c.name] = decodeEnumerated(c);
    else if (
      c.ns === RPID &&
      c.name in SIMPLE &&
      elementsOf(c).length === 0 &&
      parts.rpid[SIMPLE[c.name as keyof typeof SIMPLE]] === undefined
    )
      parts.rpid[SIMPLE[c.name as keyof typeof SIMPLE]] = {
        value: textOf(c),
        attributes: c.attributes,
      };
    else if (
      c.ns === CIPID &&
      c.name === 'display-name' &&
      parts.cipid.displayName === undefined &&
      otherAttributes(c, ['xml:lang']).length === 0
    )
      parts.cipid.displayName = langText(c);
    else if (
      c.ns === CIPID &&
      (CIPID_URIS as readonly string[]).includes(c.name) &&
      c.attributes.length === 0 &&
      parts.cipid[c.name as (typeof CIPID_URIS)[number]] === undefined
    )
      parts.cipid[c.name as (typeof CIPID_URIS)[number]] = textOf(c).trim();
    else parts.extensions.push(c);
  }
  return parts;
}

/**
 * The RPID and CIPID elements of a container, in RFC order.
 *
 * @example
 * ```ts
 * encodeRpidCipid(person, person.cipid); // [<rpid:activities>, <c:display-name>, ...]
 * ```
 */
export function encodeRpidCipid(r: RpidFields, c: Cipid | undefined): XmlElement[] {
  const out: XmlElement[] = [];
  if (r.activities !== undefined) out.push(encodeEnumerated('activities', r.activities));
  if (r.mood !== undefined) out.push(encodeEnumerated('mood', r.mood));
  for (const [name, key] of Object.entries(SIMPLE)) {
    const v = r[key];
    if (v !== undefined) out.push(textElement(RPID, name, v.value, v.attributes));
  }
  if (c !== undefined) {
    if (c.displayName !== undefined) out.push(langElement(CIPID, 'display-name', c.displayName));
    for (const k of CIPID_URIS) {
      const v = c[k];
      if (v !== undefined) out.push(textElement(CIPID, k, v));
    }
  }
  return out;
}

/**
 * Keeps only the defined RPID fields (so payloads have no `undefined` members).
 *
 * @example
 * ```ts
 * definedRpid({ mood: undefined }); // {}
 * ```
 */
export function definedRpid(r: ContainerParts['rpid']): RpidFields {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
  return out as RpidFields;
}

/**
 * Decodes `dm:person`.
 *
 * @example
 * ```ts
 * decodePerson(el).activities?.values; // ['away']
 * ```
 */
export function decodePerson(e: XmlElement, id: string): PidfPerson {
  const p = collectContainer(e, DM);
  return {
    id,
    ...definedRpid(p.rpid),
    cipid: p.cipid,
    notes: p.notes,
    ...(p.timestamp !== undefined ? { timestamp: p.timestamp } : {}),
    // A deviceID is not part of a person: keep it as foreign content if present.
    extensions:
      p.deviceId !== undefined
        ? [...p.extensions, textElement(DM, 'deviceID', p.deviceId)]
        : p.extensions,
    otherAttributes: otherAttributes(e, ['id']),
  };
}

/**
 * Decodes `dm:device`.
 *
 * @example
 * ```ts
 * decodeDevice(el, 'd1').deviceId; // 'urn:uuid:...'
 * ```
 */
export function decodeDevice(e: XmlElement, id: string): PidfDevice {
  const p = collectContainer(e, DM);
  return {
    id,
    ...(p.deviceId !== undefined ? { deviceId: p.deviceId } : {}),
    ...definedRpid(p.rpid),
    cipid: p.cipid,
    notes: p.notes,
    ...(p.timestamp !== undefined ? { timestamp: p.timestamp } : {}),
    extensions: p.extensions,
    otherAttributes: otherAttributes(e, ['id']),
  };
}

/**
 * Encodes `dm:person` (RFC 4479: extensions, then notes, then timestamp).
 *
 * @example
 * ```ts
 * encodePerson({ id: 'p1', cipid: {}, notes: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodePerson(p: PidfPerson): XmlElement {
  return element(
    DM,
    'person',
    [{ ns: '', name: 'id', value: p.id }, ...p.otherAttributes],
    [
      ...encodeRpidCipid(p, p.cipid),
      ...p.extensions,
      ...p.notes.map((n) => langElement(DM, 'note', n)),
      ...(p.timestamp !== undefined ? [textElement(DM, 'timestamp', p.timestamp)] : []),
    ],
  );
}

/**
 * Encodes `dm:device`.
 *
 * @example
 * ```ts
 * encodeDevice({ id: 'd1', deviceId: 'urn:uuid:1', cipid: {}, notes: [], extensions: [], otherAttributes: [] });
 * ```
 */
export function encodeDevice(d: PidfDevice): XmlElement {
  return element(
    DM,
    'device',
    [{ ns: '', name: 'id', value: d.id }, ...d.otherAttributes],
    [
      ...encodeRpidCipid(d, d.cipid),
      ...d.extensions,
      ...(d.deviceId !== undefined ? [textElement(DM, 'deviceID', d.deviceId)] : []),
      ...d.notes.map((n) => langElement(DM, 'note', n)),
      ...(d.timestamp !== undefined ? [textElement(DM, 'timestamp', d.timestamp)] : []),
    ],
  );
}
