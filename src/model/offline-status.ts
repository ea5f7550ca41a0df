import { XcapValidationError } from '../errors.js';

/**
 * What {@link OfflineStatus} needs of a PIDF document: its XML. `Pidf` from the PIDF codec
 * (`Pidf.parse(xml)`, `pidf.toXml()`) satisfies it, and so does {@link RawPidf}.
 */
export interface PidfLike {
  toXml(): string;
}

/**
 * A PIDF document kept as the XML text it came in (used by the journal's plain-data form and
 * whenever the structured PIDF codec is not needed).
 *
 * @example new OfflineStatus(new RawPidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"/>'))
 */
export class RawPidf implements PidfLike {
  readonly xml: string;
  constructor(xml: string) {
    if (typeof xml !== 'string' || xml.trim() === '')
      throw new XcapValidationError('pidf must be a non-empty XML string', 'pidf');
    this.xml = xml;
    Object.freeze(this);
  }
  toXml(): string {
    return this.xml;
  }
}

/** Plain JSON form of an {@link OfflineStatus}. */
export interface OfflineStatusData {
  readonly pidf: string;
}

/**
 * The offline status stored with the `pidf-manipulation` application (sipsimple's OfflineStatus).
 *
 * @example
 * ```ts
 * const status = new OfflineStatus(Pidf.parse(xml));
 * status.pidf.toXml();
 * ```
 */
export class OfflineStatus<P extends PidfLike = PidfLike> {
  readonly pidf: P;

  constructor(pidf: P) {
    if (pidf === null || typeof pidf !== 'object' || typeof pidf.toXml !== 'function')
      throw new XcapValidationError('OfflineStatus needs a PIDF document (Pidf)', 'pidf');
    this.pidf = pidf;
    Object.freeze(this);
  }

  /**
   * Builds from the JSON form; the PIDF is kept as raw XML.
   *
   * @example OfflineStatus.fromJSON({ pidf: '<presence .../>' })
   */
  static fromJSON(data: OfflineStatusData): OfflineStatus<RawPidf> {
    return new OfflineStatus(new RawPidf(data?.pidf));
  }

  /** @example status.toJSON() // { pidf: '<?xml ...' } */
  toJSON(): OfflineStatusData {
    return { pidf: this.pidf.toXml() };
  }
}
