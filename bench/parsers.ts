/**
 * Parser alternatives, side by side on the 10 000-contact resource-lists document (CPU time,
 * median of 3 after a warm-up, and heap retained by what each produces):
 * - fast-xml-parser, bare (`new XMLParser().parse`: the baseline of the first-sync goal) and
 *   with the settings parseXml uses (preserveOrder, attributes, no entity processing);
 * - parseXml: rxcap's namespace-aware tree today (validation + fast-xml-parser + namespace walk);
 * - saxes (namespace-aware SAX, events only), txml (a DOM without namespaces), htmlparser2's
 *   Parser in xmlMode (tokenizer + events only);
 * - a prototype of rxcap's tree built from htmlparser2's events with namespace resolution:
 *   what one pass of a fast tokenizer costs when it produces the same XmlElement tree
 *   (checked equal to parseXml's), i.e. whether the first-sync goal (≤ 1.2x the bare parse)
 *   is reachable with a parser switch. Only a measurement: src/ keeps fast-xml-parser.
 *
 * Run alone: `npx tsx bench/parsers.ts`. The parsers are devDependencies, used only here.
 */
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { Parser as Html2Parser } from 'htmlparser2';
import { SaxesParser } from 'saxes';
import { parse as txmlParse } from 'txml/txml';
import { decodeReferences } from '../src/codecs/xml/entities.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import {
  NS,
  sameElement,
  type XmlAttribute,
  type XmlElement,
  type XmlNode,
} from '../src/codecs/xml/tree.js';
import { extractData } from '../src/journal/index.js';
import { BENCH_SIZE, benchContext, directFixture } from './fixture.js';
import { cpuTimeMs, fmt, gc, type Row, type Section, utf8 } from './support.js';

/** parseXml's fast-xml-parser settings (src/codecs/xml/parse.ts), without its name marks. */
const OUR_SETTINGS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

interface Frame {
  readonly ns: string;
  readonly name: string;
  readonly prefix: string;
  readonly attributes: XmlAttribute[];
  readonly namespaces: Record<string, string> | undefined;
  readonly scope: Map<string, string>;
  readonly children: XmlNode[];
}

/**
 * rxcap's XmlElement tree from htmlparser2's events in one pass: names split and resolved
 * against the in-scope declarations, entities decoded, text kept as it is. A prototype: no
 * limits, no DOCTYPE refusal, no well-formedness errors beyond what the tokenizer reports.
 */
export function treeFromHtmlparser2(xml: string): XmlElement {
  const rootScope = new Map<string, string>([['xml', NS.xml]]);
  const stack: Frame[] = [];
  let root: XmlElement | undefined;
  const split = (q: string): [string, string] => {
    const i = q.indexOf(':');
    return i < 0 ? ['', q] : [q.slice(0, i), q.slice(i + 1)];
  };
  const p = new Html2Parser(
    {
      onopentag(name, attribs) {
        const parentScope = stack[stack.length - 1]?.scope ?? rootScope;
        let scope = parentScope;
        let namespaces: Record<string, string> | undefined;
        const plain: [string, string][] = [];
        for (const k in attribs) {
          const v = decodeReferences(attribs[k]!);
          if (k === 'xmlns' || k.startsWith('xmlns:')) {
            if (scope === parentScope) scope = new Map(parentScope);
            const pfx = k === 'xmlns' ? '' : k.slice(6);
            scope.set(pfx, v);
            namespaces ??= {};
            namespaces[pfx] = v;
          } else plain.push([k, v]);
        }
        const attributes: XmlAttribute[] = plain.map(([k, value]) => {
          const [pfx, local] = split(k);
          return pfx === ''
            ? { ns: '', name: local, value }
            : { ns: scope.get(pfx) ?? '', name: local, value, prefix: pfx };
        });
        const [prefix, local] = split(name);
        stack.push({
          ns: scope.get(prefix) ?? '',
          name: local,
          prefix,
          attributes,
          namespaces,
          scope,
          children: [],
        });
      },
      ontext(t) {
        const top = stack[stack.length - 1];
        if (top !== undefined) top.children.push({ type: 'text', text: decodeReferences(t) });
      },
      onclosetag() {
        const f = stack.pop()!;
        const e: XmlElement = {
          type: 'element',
          ns: f.ns,
          name: f.name,
          prefix: f.prefix,
          attributes: f.attributes,
          children: f.children,
          ...(f.namespaces === undefined ? {} : { namespaces: f.namespaces }),
        };
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = e;
        else parent.children.push(e);
      },
    },
    { xmlMode: true, decodeEntities: false, recognizeSelfClosing: true },
  );
  p.end(xml);
  if (root === undefined) throw new Error('no root element');
  return root;
}

function retainedBytes(make: () => unknown): number {
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const keep = make();
  gc();
  const h = process.memoryUsage().heapUsed - h0;
  return keep === undefined ? 0 : h;
}

/**
 * Runs the comparison.
 *
 * @example const section = runParsersBench();
 */
export function runParsersBench(
  options: { iterations?: number; log?: (l: string) => void } = {},
): Section {
  const iterations = options.iterations ?? 3;
  const log = options.log ?? (() => {});
  const ctx = benchContext('http://127.0.0.1:5080/xcap-root', 'sip:u400@example.com');
  const fixture = directFixture(BENCH_SIZE, ctx);
  const xml = fixture.texts['resource-lists']!;
  const bytes = utf8(xml);

  // The prototype must give parseXml's tree, or its figure means nothing.
  const same = sameElement(treeFromHtmlparser2(xml), parseXml(xml));

  const candidates: [string, () => unknown, string][] = [
    ['fast-xml-parser, bare (XMLParser().parse)', () => new XMLParser().parse(xml), 'baseline'],
    [
      'fast-xml-parser, our settings (preserveOrder, attributes)',
      () => new XMLParser(OUR_SETTINGS).parse(xml),
      'the step inside parseXml',
    ],
    ['parseXml (rxcap tree today)', () => parseXml(xml), 'validate + parse + namespace walk'],
    [
      'saxes, xmlns: true (events only)',
      () => {
        const p = new SaxesParser({ xmlns: true });
        let n = 0;
        p.on('opentag', () => n++);
        p.write(xml).close();
        return n;
      },
      'namespace-aware, well-formedness checked',
    ],
    ['txml parse (DOM, no namespaces)', () => txmlParse(xml), 'no entity decoding'],
    [
      'htmlparser2 Parser, xmlMode (events only)',
      () => {
        let n = 0;
        const p = new Html2Parser({ onopentag: () => n++ }, { xmlMode: true });
        p.end(xml);
        return n;
      },
      'tokenizer + events, no well-formedness errors',
    ],
    [
      'rxcap tree from htmlparser2 events (prototype)',
      () => treeFromHtmlparser2(xml),
      `one pass, namespaces resolved; equal to parseXml's tree: ${same}`,
    ],
  ];
  const times = candidates.map(([name, fn]) => {
    const ms = cpuTimeMs(fn, iterations);
    log(`${name}: ${fmt.ms(ms)}`);
    return ms;
  });
  const bare = times[0]!;
  const heapOf: Record<number, number> = {
    0: retainedBytes(() => new XMLParser().parse(xml)),
    1: retainedBytes(() => new XMLParser(OUR_SETTINGS).parse(xml)),
    2: retainedBytes(() => parseXml(xml)),
    4: retainedBytes(() => txmlParse(xml)),
    6: retainedBytes(() => treeFromHtmlparser2(xml)),
  };
  const tree = parseXml(xml);
  const extractMs = cpuTimeMs(
    () => extractData({ ...fixture.docs, 'resource-lists': tree }, ctx),
    iterations,
  );
  const protoFirstSync = times[6]! + extractMs;
  const rows: Row[] = candidates.map(([name, , note], i) => ({
    name,
    value: fmt.ms(times[i]!),
    ...(i === 0
      ? {}
      : { baseline: `${fmt.ms(bare)} bare fast-xml-parser`, ratio: fmt.ratio(times[i]! / bare) }),
    note: `${note}${heapOf[i] === undefined ? '' : `; retains ${fmt.bytes(heapOf[i]!)} (${fmt.ratio(heapOf[i]! / bytes)} the text)`}`,
  }));
  rows.push({
    name: 'prototype tree + extractData (the CPU of a first sync without network)',
    value: fmt.ms(protoFirstSync),
    baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
    ratio: fmt.ratio(protoFirstSync / bare),
    note: `extractData ${fmt.ms(extractMs)}; goal ≤ 1.2x: ${protoFirstSync <= 1.2 * bare ? 'reachable' : 'not reached'} with this parser`,
  });
  return {
    title: `Parsers side by side (resource-lists, ${BENCH_SIZE.contacts} contacts, ${fmt.bytes(bytes)})`,
    rows,
    notes: [
      'CPU time, median of 3 after one warm-up; heap retained by the result after gc.',
      'A first sync also validates (limits, DOCTYPE refusal, UTF-8), decodes and keeps ETags; the prototype row is a lower bound of what a switch could give.',
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = runParsersBench({ log: (l) => console.log(l) });
  console.table(s.rows);
  for (const n of s.notes ?? []) console.log(n);
}
