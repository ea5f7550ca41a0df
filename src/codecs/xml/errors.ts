/**
 * Typed errors of the XML layer. Messages name what is wrong and where (line/column when known)
 * but never echo more than a short excerpt of the input: hostile documents can be huge.
 */
import { XcapError } from '../../errors.js';

/** Where in the input a problem was found (1-based line and column, 0-based UTF-16 offset). */
export interface XmlPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/**
 * Computes line and column of `offset` in `input` (only called when building an error).
 *
 * @example
 * ```ts
 * positionOf('a\nbc', 3); // { line: 2, column: 2, offset: 3 }
 * ```
 */
export function positionOf(input: string, offset: number): XmlPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, input.length);
  for (let i = input.indexOf('\n'); i >= 0 && i < end; i = input.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1, offset: end };
}

/**
 * Shortens `s` for a message so that a huge input is never echoed.
 *
 * @example
 * ```ts
 * excerpt('x'.repeat(100), 5); // '"xxxxx…"'
 * ```
 */
export function excerpt(s: string, max = 40): string {
  const flat = s.replace(/\s+/g, ' ');
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}

function where(p: XmlPosition | undefined): string {
  return p === undefined ? '' : ` (line ${p.line}, column ${p.column})`;
}

/**
 * The input is not well-formed XML, not namespace-well-formed (e.g. an unbound prefix), not
 * UTF-8, or contains an invalid character reference.
 *
 * @example
 * ```ts
 * try { parseXml('<a><b></a>'); } catch (e) { if (e instanceof XmlParseError) console.log(e.line); }
 * ```
 */
export class XmlParseError extends XcapError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;

  constructor(message: string, position?: XmlPosition, options?: { cause?: unknown }) {
    super('RXCAP_XML_MALFORMED', `Malformed XML: ${message}${where(position)}`, options);
    this.line = position?.line;
    this.column = position?.column;
    this.offset = position?.offset;
  }
}

/** The names of the limits in {@link XmlLimits}. */
export type XmlLimitName =
  | 'maxBytes'
  | 'maxDepth'
  | 'maxElements'
  | 'maxAttributesPerElement'
  | 'maxTextLength'
  | 'maxAttributeValueLength';

/**
 * The input exceeds one of the configured {@link XmlLimits}; `limit` names which one and
 * `max` its value. Raised before or while parsing, so hostile input cannot exhaust memory or
 * the stack.
 *
 * @example
 * ```ts
 * try { parseXml(doc, { maxDepth: 16 }); } catch (e) { if (e instanceof XmlLimitError) e.limit; // 'maxDepth' }
 * ```
 */
export class XmlLimitError extends XcapError {
  readonly limit: XmlLimitName;
  readonly max: number;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;

  constructor(limit: XmlLimitName, max: number, position?: XmlPosition) {
    super('RXCAP_XML_LIMIT', `XML limit exceeded: ${limit} (${max})${where(position)}`);
    this.limit = limit;
    this.max = max;
    this.line = position?.line;
    this.column = position?.column;
    this.offset = position?.offset;
  }
}

/**
 * The input uses a construct rxcap refuses for safety: a DOCTYPE (and with it every internal or
 * external entity, so "billion laughs" and XXE are impossible) or a reference to an entity
 * other than the five predefined ones.
 *
 * @example
 * ```ts
 * try { parseXml('<!DOCTYPE a []><a/>'); } catch (e) { e.code; // 'RXCAP_XML_FORBIDDEN' }
 * ```
 */
export class XmlForbiddenError extends XcapError {
  /** What was refused: 'doctype' or 'entity'. */
  readonly construct: 'doctype' | 'entity';
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;

  constructor(construct: 'doctype' | 'entity', message: string, position?: XmlPosition) {
    super('RXCAP_XML_FORBIDDEN', `Forbidden XML: ${message}${where(position)}`);
    this.construct = construct;
    this.line = position?.line;
    this.column = position?.column;
    this.offset = position?.offset;
  }
}

/**
 * A tree cannot be written as XML 1.0: a character XML cannot carry (e.g. U+0001 or a lone
 * surrogate), an invalid name, or a comment containing `--`.
 *
 * @example
 * ```ts
 * try { serializeXml(element('', 'a', { x: '\u0001' })); } catch (e) { e.code; // 'RXCAP_XML_SERIALIZE' }
 * ```
 */
export class XmlSerializeError extends XcapError {
  constructor(message: string) {
    super('RXCAP_XML_SERIALIZE', `Cannot serialize XML: ${message}`);
  }
}
