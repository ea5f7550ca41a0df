/**
 * A cheap single pass over the raw document that enforces the limits and refuses DOCTYPE before
 * fast-xml-parser builds anything: it only finds markup boundaries with `indexOf`, so a
 * 10 000-deep or 500 000-element document is rejected in linear time with no recursion.
 */

import type { XmlLimitName } from './errors.js';
import { excerpt, positionOf, XmlForbiddenError, XmlLimitError, XmlParseError } from './errors.js';
import type { XmlLimits } from './limits.js';

// XML 1.0 §2.2 Char: C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF are never allowed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const TAG_STOP = /["'>]/g;
const WHITESPACE_ONLY = /^[ \t\n]*$/;

/**
 * Checks limits, forbidden constructs and characters of `s` (already decoded, line ends
 * normalized). Throws {@link XmlLimitError}, {@link XmlForbiddenError} or {@link XmlParseError}.
 *
 * @example
 * ```ts
 * prescan('<a><b/></a>', DEFAULT_XML_LIMITS); // ok
 * ```
 */
export function prescan(s: string, limits: XmlLimits): void {
  const bad = INVALID_CHAR.exec(s);
  if (bad !== null) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new XmlParseError(`invalid character U+${code}`, positionOf(s, bad.index));
  }
  const limit = (name: XmlLimitName, at: number): never => {
    throw new XmlLimitError(name, limits[name], positionOf(s, at));
  };
  const malformed = (what: string, at: number): never => {
    throw new XmlParseError(what, positionOf(s, at));
  };
  const n = s.length;
  let pos = 0;
  let depth = 0;
  let elements = 0;
  while (pos < n) {
    const lt = s.indexOf('<', pos);
    if ((lt < 0 ? n : lt) - pos > limits.maxTextLength) limit('maxTextLength', pos);
    // XML 1.0 §2.1: only Misc (comments, PIs, whitespace) may surround the root element.
    // fast-xml-parser's validator lets text after a self-closing root through (and drops it).
    if (depth === 0 && lt !== pos && !WHITESPACE_ONLY.test(s.slice(pos, lt < 0 ? n : lt)))
      malformed(`text outside the root element: ${excerpt(s.slice(pos, pos + 20))}`, pos);
    if (lt < 0) break;
    const c = s.charCodeAt(lt + 1);
    if (c === 33 /* ! */) {
      if (s.startsWith('!--', lt + 1)) {
        const end = s.indexOf('-->', lt + 4);
        if (end < 0) malformed('unterminated comment', lt);
        // XML 1.0 §2.5: "--" must not occur in comments and a comment must not end with "-".
        const body = s.slice(lt + 4, end);
        if (body.includes('--') || body.endsWith('-')) malformed('"--" inside a comment', lt);
        pos = end + 3;
        continue;
      }
      if (s.startsWith('![CDATA[', lt + 1)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) malformed('unterminated CDATA section', lt);
        if (depth === 0) malformed('CDATA section outside the root element', lt);
        if (end - (lt + 9) > limits.maxTextLength) limit('maxTextLength', lt);
        pos = end + 3;
        continue;
      }
      const keyword = s.slice(lt + 2, lt + 9).toUpperCase();
      // No DTD at all: this rules out internal and external entities (XXE, billion laughs).
      if (keyword.startsWith('DOCTYPE'))
        throw new XmlForbiddenError('doctype', 'DOCTYPE is not allowed', positionOf(s, lt));
      if (keyword.startsWith('ENTITY'))
        throw new XmlForbiddenError(
          'entity',
          'entity declarations are not allowed',
          positionOf(s, lt),
        );
      malformed(`unexpected markup ${excerpt(s.slice(lt, lt + 12))}`, lt);
    }
    if (c === 63 /* ? */) {
      const end = s.indexOf('?>', lt + 2);
      if (end < 0) malformed('unterminated processing instruction', lt);
      const target = /^[^\s?]*/.exec(s.slice(lt + 2, Math.min(end, lt + 64)))![0];
      // XML 1.0 §2.8: the declaration may only appear at the very start.
      if (target.toLowerCase() === 'xml' && lt !== 0)
        malformed('XML declaration not at the start of the document', lt);
      pos = end + 2;
      continue;
    }
    if (c === 47 /* / */) {
      depth--;
      const end = s.indexOf('>', lt + 2);
      if (end < 0) malformed('unterminated end tag', lt);
      pos = end + 1;
      continue;
    }
    elements++;
    if (elements > limits.maxElements) limit('maxElements', lt);
    let attrs = 0;
    let gt = -1;
    TAG_STOP.lastIndex = lt + 1;
    while (gt < 0) {
      const m = TAG_STOP.exec(s);
      if (m === null) throw new XmlParseError('unterminated start tag', positionOf(s, lt));
      if (m[0] === '>') {
        gt = m.index;
        break;
      }
      const close = s.indexOf(m[0], m.index + 1);
      if (close < 0) malformed('unterminated attribute value', m.index);
      if (close - m.index - 1 > limits.maxAttributeValueLength)
        limit('maxAttributeValueLength', m.index);
      if (++attrs > limits.maxAttributesPerElement) limit('maxAttributesPerElement', lt);
      TAG_STOP.lastIndex = close + 1;
    }
    const selfClosing = s.charCodeAt(gt - 1) === 47;
    if (depth + 1 > limits.maxDepth) limit('maxDepth', lt);
    if (!selfClosing) depth++;
    pos = gt + 1;
  }
}
