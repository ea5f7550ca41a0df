/**
 * The status icon document (OMA Presence Content XDM, `org.openmobilealliance.pres-content`,
 * `oma_status-icon/index`): `<content>` with `mime-type`, `encoding` (base64), optional
 * `description` and `data`, in the order the reference implementation writes them.
 */

import { textContent } from '../codecs/addressbook-xml-edit.js';
import { child, element, is, NS, type XmlElement } from '../codecs/xml/tree.js';
import { decodeBase64 } from '../model/base64.js';
import { ICON_MIME_TYPES, Icon } from '../model/icon.js';
import type { IconOperationData } from './operations.js';

const PC = NS.presContent;

function t(name: string, value: string): XmlElement {
  return element(PC, name, {}, value === '' ? [] : [{ type: 'text', text: value }], { prefix: '' });
}

/** Builds the pres-content document of an icon. @example iconDocument(op.icon) */
export function iconDocument(icon: IconOperationData): XmlElement {
  return element(
    PC,
    'content',
    {},
    [
      t('mime-type', icon.mimeType),
      t('encoding', 'base64'),
      ...(icon.description === null ? [] : [t('description', icon.description)]),
      t('data', icon.data),
    ],
    { prefix: '', namespaces: { '': PC } },
  );
}

/** What a pres-content document holds, if it is a usable icon (base64, jpeg/png/gif). */
export interface IconContent {
  readonly data: Uint8Array;
  readonly mimeType: string;
  readonly description: string | null;
}

/** Reads a pres-content document; undefined when it is not a usable icon. */
export function readIconDocument(doc: XmlElement | null | undefined): IconContent | undefined {
  if (!doc || !is(doc, PC, 'content')) return undefined;
  const mime = child(doc, PC, 'mime-type');
  const enc = child(doc, PC, 'encoding');
  const data = child(doc, PC, 'data');
  const desc = child(doc, PC, 'description');
  if (!mime || !enc || !data) return undefined;
  const mimeType = textContent(mime).trim().toLowerCase();
  if (textContent(enc).trim().toLowerCase() !== 'base64') return undefined;
  if (!(ICON_MIME_TYPES as readonly string[]).includes(mimeType)) return undefined;
  const bytes = decodeBase64(textContent(data));
  if (!bytes || bytes.length === 0) return undefined;
  return { data: bytes, mimeType, description: desc ? textContent(desc) : null };
}

/** The icon of a pres-content document with its location, or null. */
export function iconFromDocument(
  doc: XmlElement | null | undefined,
  location: string,
): Icon | null {
  const c = readIconDocument(doc);
  if (!c) return null;
  try {
    return new Icon({ ...c, location });
  } catch {
    return null; // e.g. larger than MAX_ICON_BYTES
  }
}

/** True when the document already holds exactly this icon. */
export function sameIcon(doc: XmlElement | null | undefined, icon: IconOperationData): boolean {
  const c = readIconDocument(doc);
  const want = decodeBase64(icon.data);
  if (!c || !want || c.mimeType !== icon.mimeType || c.description !== icon.description)
    return false;
  if (c.data.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (c.data[i] !== want[i]) return false;
  return true;
}
