/**
 * Base class of every error rxcap throws or emits on `error$`.
 *
 * Each subclass has a stable `code` (like undici's `UND_ERR_*`) so that callers can switch on it
 * without `instanceof` across bundles, and carries the context a user needs. Messages never
 * contain credentials.
 *
 * @example
 * ```ts
 * manager.error$.subscribe((e) => { if (e.code === 'RXCAP_HTTP') console.warn(e.message); });
 * ```
 */
export class XcapError extends Error {
  /** Stable machine-readable code, e.g. `RXCAP_HTTP`, `RXCAP_XML_LIMIT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An argument given to the public API is invalid (bad URI, unknown MIME type, unknown id...).
 * Thrown synchronously; nothing is journaled.
 *
 * @example
 * ```ts
 * try { new ContactURI({ uri: 'not a uri' }); } catch (e) { if (e instanceof XcapValidationError) ... }
 * ```
 */
export class XcapValidationError extends XcapError {
  /** The name of the offending field or argument, when there is one. */
  readonly field: string | undefined;

  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super('RXCAP_INVALID_ARGUMENT', message, options);
    this.field = field;
  }
}
