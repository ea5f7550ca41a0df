/**
 * Sharing in the parsed tree (used by parse.ts): the tree is immutable, so equal leaves and
 * empty arrays can be one object.
 */
import { excerpt, XmlParseError } from './errors.js';
import type { XmlAttribute, XmlText } from './tree.js';

/**
 * Mark put before tag and attribute names handed to fast-xml-parser (see parse.ts): '@' is not
 * an XML name character, so no real name starts with it.
 */
export const NAME_MARK = '@';

// Memory (bench: a 10k-contact resource-lists tree retained 9.3x its text, 72 MB): the tree
// is immutable, so every element without attributes or children shares one frozen empty
// array, other arrays are trimmed to their length, and names, prefixes, namespace URIs, short
// texts and short attributes are shared per parse (see Interner): 30 MB, 3.9x.
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Per-parse tables of the strings and leaf nodes that repeat on every element: `key.slice(1)`
 * and `splitName` make a fresh string per element and attribute, `true`/`allow` texts and
 * `type="SIP"` attributes repeat per contact. Long values are kept as fast-xml-parser returns
 * them (V8 slices of the source text): the manager keeps that text anyway (the cached
 * document's `content`), and a copy measured 2 MB more on the 10k document.
 *
 * @example const pool = new Interner(); pool.qname('@rl:list') // ['rl', 'list']
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly texts = new Map<string, XmlText>();
  private readonly attrs = new Map<string, Map<string, XmlAttribute>>();
  private readonly qnames = new Map<string, readonly [prefix: string, local: string]>();

  /** A marked name (see NAME_MARK) split into prefix and local name, checked once per name. */
  qname(marked: string): readonly [prefix: string, local: string] {
    let q = this.qnames.get(marked);
    if (q === undefined) {
      const [p, l] = splitName(marked.slice(NAME_MARK.length));
      q = [this.str(p), this.str(l)];
      this.qnames.set(marked, q);
    }
    return q;
  }

  /** One instance per distinct name, prefix or namespace URI. */
  str(s: string): string {
    const had = this.strings.get(s);
    if (had !== undefined) return had;
    this.strings.set(s, s);
    return s;
  }

  /** A text node; short texts (`true`, `allow`, indentation) share one node per value. */
  text(t: string): XmlText {
    if (t.length > SHORT) return { type: 'text', text: t };
    let n = this.texts.get(t);
    if (n === undefined) {
      n = { type: 'text', text: t };
      this.texts.set(t, n);
    }
    return n;
  }

  /** An unprefixed attribute; those with a short value share one object per (name, value). */
  attr(name: string, value: string): XmlAttribute {
    if (value.length > SHORT) return { ns: '', name, value };
    let byValue = this.attrs.get(name);
    if (byValue === undefined) {
      byValue = new Map();
      this.attrs.set(name, byValue);
    }
    let a = byValue.get(value);
    if (a === undefined) {
      a = { ns: '', name, value };
      byValue.set(value, a);
    }
    return a;
  }
}

/** Texts and attribute values up to this length are shared (ids and URIs rarely repeat). */
const SHORT = 12;

/**
 * An array with exactly its elements (push-grown arrays keep spare capacity), or the shared
 * frozen empty one. @example exact([]) === exact([]) // true
 */
export function exact<T>(xs: T[]): readonly T[] {
  return xs.length === 0 ? EMPTY : xs.slice();
}

/** Splits a qualified name (Namespaces in XML §4). @example splitName("rl:list") */
export function splitName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(':');
  if (i < 0) return ['', qname];
  const prefix = qname.slice(0, i);
  const local = qname.slice(i + 1);
  if (prefix === '' || local === '' || local.includes(':'))
    throw new XmlParseError(`invalid qualified name ${excerpt(qname)}`);
  return [prefix, local];
}
