/**
 * The error every codec throws when a parsed XML tree is not a valid document of its
 * application usage (wrong root, missing required attribute, value outside the schema).
 */
import { XcapError } from '../../errors.js';

/**
 * A document does not match its application's schema. `document` names the application
 * (e.g. 'resource-lists') and `element` the offending element (`prefix:name` or `{ns}name`).
 *
 * @example
 * ```ts
 * try { decodeResourceLists(root); } catch (e) { if (e instanceof XcapCodecError) e.element; }
 * ```
 */
export class XcapCodecError extends XcapError {
  readonly document: string;
  readonly element: string | undefined;

  constructor(document: string, message: string, element?: string, options?: { cause?: unknown }) {
    super(
      'RXCAP_CODEC',
      `Invalid ${document} document${element !== undefined ? ` at <${element}>` : ''}: ${message}`,
      options,
    );
    this.document = document;
    this.element = element;
  }
}
