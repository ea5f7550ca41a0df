/**
 * `serializeXml`: the {@link XmlElement} tree to a UTF-8 XML 1.0 document on one line.
 *
 * Hand-written string building rather than an XML builder library: we must keep
 * the exact prefixes and declaration placement seen on parse (`prefix` / `namespaces` hints) so
 * that documents written by other clients keep their shape, and only add a declaration where a
 * namespace has none in scope. xmlbuilder2 applies its own namespace fix-ups and builds a DOM
 * node per element first, which costs time on ~10 MB documents; plain array-join string
 * building keeps serialization linear and fast (see bench/codec.ts).
 *
 * Prefix choice for an element (Namespaces in XML 1.0 §6): its `prefix` hint when that prefix is
 * bound to its namespace in scope; else the default namespace when it is equal; else any prefix
 * in scope bound to it; else a new declaration on this element, using the hint, or the default
 * namespace for a root without hint, or a well-known prefix (`rl`, `cp`, `pr`, `dm`...), or
 * `ns0`, `ns1`...
 */
import { isXmlChar } from './entities.js';
import { excerpt, XmlSerializeError } from './errors.js';
import type { XmlElement } from './tree.js';
import { NS } from './tree.js';

/** Options of {@link serializeXml}. */
export interface SerializeXmlOptions {
  /** Write `<?xml version="1.0" encoding="UTF-8"?>` and a newline first. Default true. */
  readonly declaration?: boolean;
}

/**
 * The prefix a namespace gets when rxcap has to declare it (the reference layout's choices).
 *
 * @example
 * ```ts
 * WELL_KNOWN_PREFIXES[NS.presRules]; // 'pr'
 * ```
 */
export const WELL_KNOWN_PREFIXES: Readonly<Record<string, string>> = {
  [NS.resourceLists]: 'rl',
  [NS.rlsServices]: 'rls',
  [NS.commonPolicy]: 'cp',
  [NS.presRules]: 'pr',
  [NS.omaCommonPolicy]: 'ocp',
  [NS.dialogRules]: 'dr',
  [NS.presContent]: 'prs',
  [NS.pidf]: 'pidf',
  [NS.dataModel]: 'dm',
  [NS.rpid]: 'rpid',
  [NS.cipid]: 'c',
  [NS.agpPidf]: 'agp-pidf',
  [NS.xcapCaps]: 'xcaps',
  [NS.xcapDiff]: 'xd',
  [NS.xcapError]: 'xe',
  [NS.addressbook]: 'addressbook',
  [NS.sipsimpleAddressbook]: 'sipsimple',
};

type Scope = ReadonlyMap<string, string>;
const ROOT_SCOPE: Scope = new Map([
  ['xml', NS.xml],
  ['', ''],
]);

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NCNAME =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: ZWNJ/ZWJ are NameStartChars (XML 1.0 §2.3), not joiners here
  /^(?:[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]|[\uD800-\uDB7F][\uDC00-\uDFFF])(?:[\w.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]|[\uD800-\uDB7F][\uDC00-\uDFFF])*$/;
const BAD_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML 1.0 cannot carry
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<>"\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const escapeChar = (c: string): string => ESCAPES[c]!;

function checkChars(s: string): void {
  const m = BAD_CHAR.exec(s);
  if (m !== null) {
    const cp = m[0].codePointAt(0)!;
    if (!isXmlChar(cp) || (cp >= 0xd800 && cp <= 0xdfff))
      throw new XmlSerializeError(
        `U+${cp.toString(16).toUpperCase().padStart(4, '0')} cannot appear in XML 1.0 (in ${excerpt(s)})`,
      );
  }
}

/**
 * Escapes text content: `& < >` and CR (which a parser would otherwise turn into LF).
 *
 * @example
 * ```ts
 * escapeText('a < b & c'); // 'a &lt; b &amp; c'
 * ```
 */
export function escapeText(s: string): string {
  checkChars(s);
  TEXT_SPECIAL.lastIndex = 0;
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL, escapeChar) : s;
}

/**
 * Escapes an attribute value for double quotes, including TAB/LF/CR (XML 1.0 §3.3.3).
 *
 * @example
 * ```ts
 * escapeAttribute('say "hi"\n'); // 'say &quot;hi&quot;&#10;'
 * ```
 */
export function escapeAttribute(s: string): string {
  checkChars(s);
  ATTR_SPECIAL.lastIndex = 0;
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL, escapeChar) : s;
}

/**
 * Writes `root` as an XML document: the declaration (unless `declaration: false`), then the
 * element on a single line, raw UTF-8 (no character references except where XML needs them).
 * Throws {@link XmlSerializeError} for characters or names XML 1.0 cannot carry.
 *
 * @example
 * ```ts
 * serializeXml(element(NS.resourceLists, 'resource-lists'));
 * // '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>'
 * ```
 */
export function serializeXml(root: XmlElement, options: SerializeXmlOptions = {}): string {
  const out: string[] = [];
  if (options.declaration !== false) out.push(DECLARATION);
  try {
    new Writer(out).element(root, ROOT_SCOPE, true);
  } catch (e) {
    // Only a programmatically built tree can be this deep (parseXml caps the depth).
    if (e instanceof RangeError) throw new XmlSerializeError('the tree is nested too deeply');
    throw e;
  }
  return out.join('');
}

class Writer {
  private readonly names = new Set<string>();
  // Scratch state of the element being opened (prefix resolution finishes before recursing,
  // so one set of fields serves every level without per-element closures or maps).
  private scope: Scope = ROOT_SCOPE;
  private owned = false;
  private decls: Map<string, string> | undefined;

  constructor(private readonly out: string[]) {}

  private name(n: string): string {
    if (!this.names.has(n)) {
      if (!NCNAME.test(n)) throw new XmlSerializeError(`invalid XML name ${excerpt(n)}`);
      this.names.add(n);
    }
    return n;
  }

  private bind(p: string, uri: string): void {
    if (!this.owned) {
      this.scope = new Map(this.scope);
      this.owned = true;
    }
    (this.scope as Map<string, string>).set(p, uri);
    if (this.decls === undefined) this.decls = new Map();
    this.decls.set(p, uri);
  }

  private declared(p: string): boolean {
    return this.decls?.has(p) === true;
  }

  private fresh(ns: string): string {
    const wk = WELL_KNOWN_PREFIXES[ns];
    if (wk !== undefined && !this.scope.has(wk)) return wk;
    for (let i = 0; ; i++) if (!this.scope.has(`ns${i}`)) return `ns${i}`;
  }

  private elementPrefix(e: XmlElement, isRoot: boolean): string {
    const scope = this.scope;
    if (e.ns === '') {
      if (scope.get('') !== '') this.bind('', '');
      return '';
    }
    const hint = e.prefix;
    if (hint !== undefined && hint !== 'xmlns' && scope.get(hint) === e.ns) return hint;
    if (scope.get('') === e.ns) return '';
    const found = prefixFor(scope, e.ns);
    if (found !== undefined) return found;
    let prefix: string;
    if (hint === '' && !this.declared('')) prefix = '';
    else if (
      hint !== undefined &&
      hint !== '' &&
      hint !== 'xml' &&
      hint !== 'xmlns' &&
      !this.declared(hint) &&
      NCNAME.test(hint)
    )
      prefix = hint;
    else if (hint === undefined && isRoot && !this.declared('')) prefix = '';
    else prefix = this.fresh(e.ns);
    this.bind(prefix, e.ns);
    return prefix;
  }

  private attributes(e: XmlElement): string {
    let s = '';
    for (const a of e.attributes) {
      let qn: string;
      if (a.ns === '') qn = this.name(a.name);
      else if (a.ns === NS.xml) qn = `xml:${this.name(a.name)}`;
      else {
        let ap: string | undefined;
        if (a.prefix !== undefined && a.prefix !== '' && this.scope.get(a.prefix) === a.ns)
          ap = a.prefix;
        else ap = prefixFor(this.scope, a.ns);
        if (ap === undefined) {
          ap =
            a.prefix !== undefined &&
            a.prefix !== '' &&
            a.prefix !== 'xmlns' &&
            !this.scope.has(a.prefix) &&
            NCNAME.test(a.prefix)
              ? a.prefix
              : this.fresh(a.ns);
          this.bind(ap, a.ns);
        }
        qn = `${ap}:${this.name(a.name)}`;
      }
      s += ` ${qn}="${escapeAttribute(a.value)}"`;
    }
    return s;
  }

  element(e: XmlElement, parentScope: Scope, isRoot: boolean): void {
    this.scope = parentScope;
    this.owned = false;
    this.decls = undefined;
    if (e.namespaces !== undefined) {
      for (const [p, uri] of Object.entries(e.namespaces)) {
        // Skip hints that cannot be written as declarations (Namespaces in XML 1.0 §3).
        if (p === 'xml' || p === 'xmlns' || uri === NS.xml || uri === NS.xmlns) continue;
        if (p !== '' && (uri === '' || !NCNAME.test(p))) continue;
        this.bind(p, uri);
      }
    }
    const prefix = this.elementPrefix(e, isRoot);
    const attrs = this.attributes(e);
    const scope = this.scope;
    // (re-read: the calls above may have set it; TS keeps the narrowing from the reset)
    const decls = this.decls as Map<string, string> | undefined;
    const qname = prefix === '' ? this.name(e.name) : `${prefix}:${this.name(e.name)}`;
    let open = `<${qname}`;
    if (decls !== undefined)
      for (const [p, uri] of decls)
        open +=
          p === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${p}="${escapeAttribute(uri)}"`;
    open += attrs;
    const out = this.out;
    if (e.children.length === 0) {
      out.push(`${open}/>`);
      return;
    }
    out.push(`${open}>`);
    for (const c of e.children) {
      if (c.type === 'element') this.element(c, scope, false);
      else if (c.type === 'text') out.push(escapeText(c.text));
      else this.comment(c.text);
    }
    out.push(`</${qname}>`);
  }

  private comment(t: string): void {
    checkChars(t);
    // XML 1.0 §2.5: a comment cannot contain "--" nor end with "-".
    if (t.includes('--') || t.endsWith('-'))
      throw new XmlSerializeError(`comment ${excerpt(t)} contains "--" or ends with "-"`);
    this.out.push(`<!--${t}-->`);
  }
}

/** A non-empty prefix bound to `ns` in `scope` and not shadowed. */
function prefixFor(scope: Scope, ns: string): string | undefined {
  for (const [p, uri] of scope) if (p !== '' && uri === ns) return p;
  return undefined;
}
