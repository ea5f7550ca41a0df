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
const WHITESPACE_RUN = /[ \t\n]*/y;

/**
 * The longest whitespace-only text run inside the root that is kept as layout; a longer one is
 * padding and is cut out before tokenizing (12 MiB of spaces, valid under every limit, cost
 * half a gigabyte in the tokenizer).
 */
export const MAX_KEPT_WHITESPACE = 1024;

/**
 * Checks limits, forbidden constructs and characters of `s` (already decoded, line ends
 * normalized). Throws {@link XmlLimitError}, {@link XmlForbiddenError} or {@link XmlParseError}.
 *
 * @example
 * ```ts
 * prescan('<a><b/></a>', DEFAULT_XML_LIMITS); // ok
 * ```
 */
export function prescan(s: string, limits: XmlLimits): PrescanResult {
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
  const comments = new Ranges();
  const padding = new Ranges();
  let commentChars = 0;
  while (pos < n) {
    const lt = s.indexOf('<', pos);
    if ((lt < 0 ? n : lt) - pos > limits.maxTextLength) limit('maxTextLength', pos);
    if (depth > 0 && lt - pos > MAX_KEPT_WHITESPACE) {
      WHITESPACE_RUN.lastIndex = pos;
      WHITESPACE_RUN.exec(s);
      if (WHITESPACE_RUN.lastIndex === lt) padding.add(pos, lt, false);
    }
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
        if (depth > 0) {
          comments.add(lt, end + 3, WHITESPACE_ONLY.test(s.slice(comments.end, lt)));
          commentChars += end + 3 - lt;
        }
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
  return {
    comments: comments.toArray(),
    commentChars,
    commentCount: comments.count,
    padding: padding.toArray(),
  };
}

/**
 * `[start, end)` pairs in a growable Uint32Array (4 bytes per offset: a document of millions of
 * comments must not cost more than itself). A range that follows the previous one with only
 * whitespace between is merged into it: dropping the comments drops that layout too.
 */
class Ranges {
  private buf = new Uint32Array(64);
  private n = 0;
  count = 0;
  /** End of the last range (0 before any). */
  end = 0;

  add(start: number, end: number, adjacent: boolean): void {
    this.count++;
    if (this.n > 0 && adjacent) {
      this.buf[this.n - 1] = end;
      this.end = end;
      return;
    }
    if (this.n + 2 > this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = start;
    this.buf[this.n++] = end;
    this.end = end;
  }

  toArray(): Uint32Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * What the prescan found besides errors: the comments inside the root element, as
 * `[start, end)` offset pairs in document order, and their total length in UTF-16 units.
 */
export interface PrescanResult {
  /** Merged ranges of comments (and the whitespace between adjacent ones). */
  readonly comments: Uint32Array;
  readonly commentChars: number;
  readonly commentCount: number;
  /** Ranges of whitespace-only text runs longer than {@link MAX_KEPT_WHITESPACE}. */
  readonly padding: Uint32Array;
}

/**
 * `s` without the text at the `[start, end)` offset pairs of `a` and `b` (each sorted, not
 * overlapping each other: comments and whitespace runs from {@link prescan}).
 *
 * @example withoutRanges('<a><!--x--></a>', [3, 11], []) // '<a></a>'
 */
export function withoutRanges(s: string, a: ArrayLike<number>, b: ArrayLike<number>): string {
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const takeA = j >= b.length || (i < a.length && a[i]! < b[j]!);
    const start = takeA ? a[i]! : b[j]!;
    const end = takeA ? a[i + 1]! : b[j + 1]!;
    if (takeA) i += 2;
    else j += 2;
    if (start > from) parts.push(s.slice(from, start));
    from = Math.max(from, end);
  }
  parts.push(s.slice(from));
  return parts.join('');
}
