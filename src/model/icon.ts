import { XcapValidationError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { assertInit, assertString } from './validation.js';

/** The MIME types a status icon may have (OMA pres-content). */
export const ICON_MIME_TYPES: readonly IconMimeType[] = Object.freeze([
  'image/jpeg',
  'image/png',
  'image/gif',
]);

/** A status icon MIME type. */
export type IconMimeType = 'image/jpeg' | 'image/png' | 'image/gif';

/**
 * Largest icon rxcap accepts: 1 MiB of image bytes (about 1.4 MB base64 in the document).
 * Kamailio's xcap_server needs raised buffers for requests above 20 KB (test-server/README.md), and OMA
 * servers usually cap pres-content far lower, so this is a sanity limit, not a promise that
 * every server stores such an icon.
 */
export const MAX_ICON_BYTES = 1024 * 1024;

/**
 * Largest icon every known XCAP server stores: 230,400 bytes of image, whose base64 (307,200
 * characters on one line) is OpenXCAP's limit of 300 KiB of base64 in `<data>`. rxcap does not
 * refuse a larger icon (up to {@link MAX_ICON_BYTES}), since Kamailio takes it; a server that
 * refuses one answers 409 and the manager reports `XcapOperationRejectedError` on `error$`,
 * drops that operation and stays in sync. Scale icons to this size to be stored anywhere.
 *
 * @example if (png.length > PORTABLE_ICON_BYTES) png = await downscale(png);
 */
export const PORTABLE_ICON_BYTES = (300 * 1024 * 3) / 4;

/** Plain JSON form of an {@link Icon}: the image as base64. */
export interface IconData {
  readonly data: string;
  readonly mimeType: IconMimeType;
  readonly description: string | null;
  readonly location: string | null;
}

/** Constructor argument of {@link Icon}. */
export interface IconInit {
  data: Uint8Array;
  mimeType: string;
  description?: string | null;
  location?: string | null;
}

/**
 * A status icon stored with the `org.openmobilealliance.pres-content` application (sipsimple's Icon).
 * `location` is the URL other users can fetch it from: the server's X-Alternative-Location
 * when it sent one, else the icon document's XCAP URI. It is ignored when setting the icon.
 *
 * @example
 * ```ts
 * const icon = new Icon({ data: pngBytes, mimeType: 'image/png', description: 'me' });
 * ```
 */
export class Icon {
  /** The image bytes (a private copy; do not mutate). */
  readonly data: Uint8Array;
  readonly mimeType: IconMimeType;
  readonly description: string | null;
  readonly location: string | null;

  constructor(init: IconInit) {
    assertInit(init, 'Icon', 'icon');
    if (!(init.data instanceof Uint8Array))
      throw new XcapValidationError('icon.data must be a Uint8Array', 'icon.data');
    if (init.data.length === 0)
      throw new XcapValidationError(
        'icon.data must not be empty (use null to delete the icon)',
        'icon.data',
      );
    if (init.data.length > MAX_ICON_BYTES)
      throw new XcapValidationError(
        `icon.data is ${init.data.length} bytes; the limit is ${MAX_ICON_BYTES}`,
        'icon.data',
      );
    const mime = typeof init.mimeType === 'string' ? init.mimeType.toLowerCase() : init.mimeType;
    if (!(ICON_MIME_TYPES as readonly unknown[]).includes(mime))
      throw new XcapValidationError(
        `icon.mimeType must be one of ${ICON_MIME_TYPES.join(', ')}, got ${JSON.stringify(init.mimeType)}`,
        'icon.mimeType',
      );
    for (const f of ['description', 'location'] as const) {
      const v = init[f];
      if (v !== undefined && v !== null) assertString(v, `icon.${f}`);
    }
    this.data = init.data.slice();
    this.mimeType = mime as IconMimeType;
    this.description = init.description ?? null;
    this.location = init.location ?? null;
    Object.freeze(this);
  }

  /**
   * Builds from the JSON form (base64 data).
   *
   * @example Icon.fromJSON({ data: 'iVBORw0K...', mimeType: 'image/png', description: null, location: null })
   */
  static fromJSON(data: IconData): Icon {
    const bytes = typeof data?.data === 'string' ? decodeBase64(data.data) : undefined;
    if (bytes === undefined) throw new XcapValidationError('icon.data is not base64', 'icon.data');
    return new Icon({ ...data, data: bytes });
  }

  /** Equality of image, MIME type and description (location is not content). @example a.equals(b) */
  equals(other: Icon): boolean {
    if (this.mimeType !== other.mimeType || this.description !== other.description) return false;
    if (this.data.length !== other.data.length) return false;
    for (let i = 0; i < this.data.length; i++) if (this.data[i] !== other.data[i]) return false;
    return true;
  }

  /** @example icon.toJSON() // { data: base64, mimeType, description, location } */
  toJSON(): IconData {
    return {
      data: encodeBase64(this.data),
      mimeType: this.mimeType,
      description: this.description,
      location: this.location,
    };
  }
}
