/**
 * Codec for PIDF documents (RFC 3863, `application/pidf+xml`) with the data model (RFC 4479),
 * RPID (RFC 4480) and CIPID (RFC 4482) as far as rxcap needs them (the offline status of the
 * pidf-manipulation application), plus the immutable {@link Pidf} value the model exposes.
 *
 * `entity` and tuple `contact` are read with {@link decodeUriValue} (sipsimple writes them
 * percent-encoded) and written plain.
 */

import type { Cipid, PidfDevice, PidfPerson, RpidFields } from './pidf-rpid.js';
import {
  collectContainer,
  decodeDevice,
  decodePerson,
  definedRpid,
  encodeDevice,
  encodePerson,
  encodeRpidCipid,
} from './pidf-rpid.js';
import { decodeUriValue } from './uri-encoding.js';
import { XcapCodecError } from './xml/codec-error.js';
import type { Foreign, LangText, XmlShape } from './xml/codec-helpers.js';
import {
  elementsOf,
  expectElement,
  label,
  langElement,
  otherAttributes,
  requireAttr,
  shaped,
  shapeOf,
  textElement,
} from './xml/codec-helpers.js';
import type { XmlLimits } from './xml/limits.js';
import { parseXml } from './xml/parse.js';
import { serializeXml } from './xml/serialize.js';
import type { XmlAttribute, XmlElement } from './xml/tree.js';
import { attr, element, NS, sameElement, textOf } from './xml/tree.js';

export type {
  Cipid,
  PidfDevice,
  PidfPerson,
  RpidEnumerated,
  RpidFields,
  RpidValue,
} from './pidf-rpid.js';

const DOC = 'pidf';
const PIDF = NS.pidf;
const DM = NS.dataModel;

/** `<status>`: `basic` and AG's `agp-pidf:extended` typed, other children kept. */
export interface PidfStatus {
  readonly basic?: 'open' | 'closed';
  /** `urn:ag-projects:xml:ns:pidf` extended status (e.g. 'away'), as sipsimple writes it. */
  readonly extended?: string;
  readonly extensions: readonly XmlElement[];
}

/** `<contact priority?>`; `uri` decoded. `priority` kept as written (a qvalue, RFC 3863 §4.1.4). */
export interface PidfContact {
  readonly uri: string;
  readonly priority?: string;
}

/** `<tuple id>` (RFC 3863 §4.1.1): a service. */
export interface PidfTuple extends Foreign, RpidFields {
  readonly id: string;
  readonly status: PidfStatus;
  readonly contact?: PidfContact;
  readonly notes: readonly LangText[];
  readonly timestamp?: string;
  /** `dm:deviceID` of the device offering the service (RFC 4479 §3.1.1). */
  readonly deviceId?: string;
  readonly cipid: Cipid;
}

/** A whole PIDF document. */
export interface Presence extends Foreign {
  readonly entity: string;
  readonly tuples: readonly PidfTuple[];
  readonly persons: readonly PidfPerson[];
  readonly devices: readonly PidfDevice[];
  /** Document-level `<note>`s. */
  readonly notes: readonly LangText[];
  readonly shape?: XmlShape;
}

/**
 * Decodes a PIDF `<presence>` root element.
 *
 * @example
 * ```ts
 * const p = decodePresence(parseXml(xml));
 * p.persons[0]?.activities?.values; // ['away']
 * ```
 */
export function decodePresence(root: XmlElement): Presence {
  expectElement(DOC, root, PIDF, 'presence');
  const entity = decodeUriValue(requireAttr(DOC, root, 'entity'));
  const tuples: PidfTuple[] = [];
  const persons: PidfPerson[] = [];
  const devices: PidfDevice[] = [];
  const notes: LangText[] = [];
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(root)) {
    if (c.ns === PIDF && c.name === 'tuple') tuples.push(decodeTuple(c));
    else if (c.ns === PIDF && c.name === 'note') notes.push(langOf(c));
    else if (c.ns === DM && c.name === 'person')
      persons.push(decodePerson(c, requireAttr(DOC, c, 'id')));
    else if (c.ns === DM && c.name === 'device')
      devices.push(decodeDevice(c, requireAttr(DOC, c, 'id')));
    else extensions.push(c);
  }
  return {
    entity,
    tuples,
    persons,
    devices,
    notes,
    extensions,
    otherAttributes: otherAttributes(root, ['entity']),
    shape: shapeOf(root),
  };
}

function langOf(e: XmlElement): LangText {
  const lang = attr(e, 'lang', NS.xml);
  return lang === undefined ? { value: textOf(e) } : { value: textOf(e), lang };
}

function decodeTuple(e: XmlElement): PidfTuple {
  const id = requireAttr(DOC, e, 'id');
  let status: PidfStatus | undefined;
  let contact: PidfContact | undefined;
  const own = new Set<XmlElement>();
  for (const c of elementsOf(e)) {
    if (c.ns !== PIDF) continue;
    if (c.name === 'status' && status === undefined) {
      status = decodeStatus(c);
      own.add(c);
    } else if (c.name === 'contact' && contact === undefined) {
      const priority = attr(c, 'priority');
      contact = {
        uri: decodeUriValue(textOf(c).trim()),
        ...(priority !== undefined ? { priority } : {}),
      };
      own.add(c);
    }
  }
  if (status === undefined) throw new XcapCodecError(DOC, 'a tuple needs a <status>', label(e));
  const parts = collectContainer(e, PIDF, (c) => own.has(c));
  // RFC 3863 §4.1.7: the tuple timestamp is in the PIDF namespace, not the data model's.
  let timestamp: string | undefined;
  const extensions: XmlElement[] = [];
  for (const x of parts.extensions) {
    if (x.ns === PIDF && x.name === 'timestamp' && timestamp === undefined)
      timestamp = textOf(x).trim();
    else extensions.push(x);
  }
  if (parts.timestamp !== undefined) extensions.push(textElement(DM, 'timestamp', parts.timestamp));
  return {
    id,
    status,
    ...(contact !== undefined ? { contact } : {}),
    notes: parts.notes,
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(parts.deviceId !== undefined ? { deviceId: parts.deviceId } : {}),
    ...definedRpid(parts.rpid),
    cipid: parts.cipid,
    extensions,
    otherAttributes: otherAttributes(e, ['id']),
  };
}

function decodeStatus(e: XmlElement): PidfStatus {
  let basic: 'open' | 'closed' | undefined;
  let extended: string | undefined;
  const extensions: XmlElement[] = [];
  for (const c of elementsOf(e)) {
    if (c.ns === PIDF && c.name === 'basic' && basic === undefined) {
      const v = textOf(c).trim();
      if (v !== 'open' && v !== 'closed')
        throw new XcapCodecError(DOC, `invalid basic status "${v.slice(0, 20)}"`, label(c));
      basic = v;
    } else if (
      c.ns === NS.agpPidf &&
      c.name === 'extended' &&
      extended === undefined &&
      c.attributes.length === 0
    )
      extended = textOf(c).trim();
    else extensions.push(c);
  }
  return {
    ...(basic !== undefined ? { basic } : {}),
    ...(extended !== undefined ? { extended } : {}),
    extensions,
  };
}

/** sipsimple's PIDF shape: default namespace plus `dm` and `rpid` (and `agp-pidf` when used). */
export function pidfShape(withAgp: boolean): XmlShape {
  return {
    prefix: '',
    namespaces: {
      '': PIDF,
      dm: DM,
      ...(withAgp ? { 'agp-pidf': NS.agpPidf } : {}),
      rpid: NS.rpid,
    },
  };
}

/**
 * Encodes a PIDF payload (RFC 3863 element order: tuples, notes, then the data-model elements).
 *
 * @example
 * ```ts
 * serializeXml(encodePresence({ entity: 'sip:alice@example.com', tuples: [], persons: [], devices: [], notes: [], extensions: [], otherAttributes: [] }));
 * ```
 */
export function encodePresence(p: Presence): XmlElement {
  const tuples = p.tuples.map(encodeTuple);
  const children = [
    ...tuples,
    ...p.notes.map((n) => langElement(PIDF, 'note', n)),
    ...p.persons.map(encodePerson),
    ...p.devices.map(encodeDevice),
    ...p.extensions,
  ];
  const attrs: XmlAttribute[] = [{ ns: '', name: 'entity', value: p.entity }, ...p.otherAttributes];
  const withAgp = p.tuples.some((t) => t.status.extended !== undefined);
  return shaped(PIDF, 'presence', attrs, children, p.shape ?? pidfShape(withAgp));
}

function encodeTuple(t: PidfTuple): XmlElement {
  const status = element(
    PIDF,
    'status',
    [],
    [
      ...(t.status.basic !== undefined ? [textElement(PIDF, 'basic', t.status.basic)] : []),
      ...(t.status.extended !== undefined
        ? [textElement(NS.agpPidf, 'extended', t.status.extended)]
        : []),
      ...t.status.extensions,
    ],
  );
  const children: XmlElement[] = [status, ...encodeRpidCipid(t, t.cipid), ...t.extensions];
  if (t.deviceId !== undefined) children.push(textElement(DM, 'deviceID', t.deviceId));
  if (t.contact !== undefined) {
    const a: XmlAttribute[] =
      t.contact.priority !== undefined
        ? [{ ns: '', name: 'priority', value: t.contact.priority }]
        : [];
    children.push(textElement(PIDF, 'contact', t.contact.uri, a));
  }
  for (const n of t.notes) children.push(langElement(PIDF, 'note', n));
  if (t.timestamp !== undefined) children.push(textElement(PIDF, 'timestamp', t.timestamp));
  return element(
    PIDF,
    'tuple',
    [{ ns: '', name: 'id', value: t.id }, ...t.otherAttributes],
    children,
  );
}

/**
 * Alias of {@link decodePresence}, named after the application like the other codecs.
 *
 * @example
 * ```ts
 * decodePidf(parseXml(xml)).entity;
 * ```
 */
export const decodePidf: (root: XmlElement) => Presence = decodePresence;

/**
 * Alias of {@link encodePresence}.
 *
 * @example
 * ```ts
 * serializeXml(encodePidf(presence));
 * ```
 */
export const encodePidf: (p: Presence) => XmlElement = encodePresence;

/**
 * An immutable PIDF document: the value behind `OfflineStatus`. Parse with
 * {@link Pidf.parse}, build with {@link Pidf.fromPresence}, write with {@link Pidf.toXml}.
 *
 * @example
 * ```ts
 * const pidf = Pidf.parse(xml);
 * pidf.presence.entity; // 'sip:alice@example.com'
 * const again = Pidf.parse(pidf.toXml());
 * pidf.equals(again); // true
 * ```
 */
export class Pidf {
  /** The typed payload. */
  readonly presence: Presence;
  private readonly root: XmlElement;

  private constructor(presence: Presence, root: XmlElement) {
    this.presence = presence;
    this.root = root;
    Object.freeze(this);
  }

  /** Parses and decodes a PIDF document; throws the XML layer's errors or XcapCodecError. */
  static parse(xml: string | Uint8Array, limits?: Partial<XmlLimits>): Pidf {
    const root = parseXml(xml, limits);
    return new Pidf(decodePresence(root), root);
  }

  /** Builds a document from a payload. */
  static fromPresence(presence: Presence): Pidf {
    return new Pidf(presence, encodePresence(presence));
  }

  /** The presentity URI (decoded). */
  get entity(): string {
    return this.presence.entity;
  }

  /** The document as an XML tree (as parsed, or as encoded from the payload). */
  toElement(): XmlElement {
    return this.root;
  }

  /** The document as UTF-8 XML text. */
  toXml(): string {
    return serializeXml(this.root);
  }

  /** Same meaning (names, attributes, children; prefixes and whitespace ignored). */
  equals(other: Pidf): boolean {
    return sameElement(this.root, other.root);
  }
}
