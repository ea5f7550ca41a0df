/**
 * Codec benchmark: parse and serialize a resource-lists document with 10 000 contacts in the
 * AG addressbook layout (DESIGN §4, as in the reference fixture) plus the derived lists, beside
 * fast-xml-parser's bare `XMLParser().parse` of the same text and xmlbuilder2 building the same
 * tree, all measured in one run (warm-up, several iterations, median).
 *
 * Run: `npx tsx bench/codec.ts [contacts] [iterations]`. No assertions: figures only.
 */
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { create } from 'xmlbuilder2';
import { decodeResourceLists, encodeResourceLists } from '../src/codecs/resource-lists.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { serializeXml } from '../src/codecs/xml/serialize.js';
import type { XmlElement } from '../src/codecs/xml/tree.js';
import { NS } from '../src/codecs/xml/tree.js';

/** One measured operation. */
export interface CodecBenchResult {
  readonly name: string;
  readonly medianMs: number;
  readonly mbPerSecond: number;
}

/** The whole benchmark report. */
export interface CodecBenchReport {
  readonly contacts: number;
  readonly bytes: number;
  readonly results: readonly CodecBenchResult[];
  /** parseXml time / bare fast-xml-parser time. */
  readonly parseRatio: number;
  /** serializeXml time / bare fast-xml-parser parse time. */
  readonly serializeRatio: number;
}

const rlAnchor = (name: string) =>
  `http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22${name}%22%5D`;

/**
 * Builds the document text: `contacts` addressbook contacts (name, two URIs with attribute bags,
 * presence/dialog handling, attributes), groups of 50, and the derived lists.
 *
 * @example
 * ```ts
 * generateAddressbookDocument(100).length;
 * ```
 */
export function generateAddressbookDocument(contacts: number): string {
  const parts: string[] = [];
  const uris: string[] = [];
  for (let i = 0; i < contacts; i++) {
    const id = `id${1720000000000000 + i}`;
    const sip = `sip:user${i}@example.com`;
    const tel = `tel:+1555${String(i).padStart(7, '0')}`;
    uris.push(sip);
    parts.push(
      `<addressbook:contact id="${id}"><addressbook:name>Contact ${i} &amp; Søn</addressbook:name>` +
        `<addressbook:uris default="${id}u0"><addressbook:uri id="${id}u0" type="SIP">${sip}<sipsimple:attributes/></addressbook:uri>` +
        `<addressbook:uri id="${id}u1" type="mobile">${tel}<sipsimple:attributes><sipsimple:attribute name="label">Mobile</sipsimple:attribute></sipsimple:attributes></addressbook:uri></addressbook:uris>` +
        `<addressbook:dialog><addressbook:policy>${i % 7 === 0 ? 'block' : 'allow'}</addressbook:policy><addressbook:subscribe>true</addressbook:subscribe></addressbook:dialog>` +
        `<addressbook:presence><addressbook:policy>allow</addressbook:policy><addressbook:subscribe>${i % 3 === 0}</addressbook:subscribe></addressbook:presence>` +
        `<sipsimple:attributes><sipsimple:attribute name="preferred_media">audio</sipsimple:attribute><sipsimple:attribute name="icon" nil="true"/></sipsimple:attributes></addressbook:contact>`,
    );
  }
  for (let g = 0; g * 50 < contacts; g++) {
    const members = Array.from(
      { length: Math.min(50, contacts - g * 50) },
      (_, k) =>
        `<addressbook:contact_id>id${1720000000000000 + g * 50 + k}</addressbook:contact_id>`,
    ).join('');
    parts.push(
      `<addressbook:group id="grp${g}"><addressbook:name>Group ${g}</addressbook:name><addressbook:contacts>${members}</addressbook:contacts><sipsimple:attributes/></addressbook:group>`,
    );
  }
  const entries = (list: string[]) => list.map((u) => `<rl:entry uri="${u}"/>`).join('');
  const lists = [
    '<rl:list name="oma_buddylist"/>',
    `<rl:list name="oma_grantedcontacts">${entries(uris)}</rl:list>`,
    '<rl:list name="oma_blockedcontacts"/>',
    `<rl:list name="oma_allcontacts">${['oma_buddylist', 'oma_grantedcontacts', 'oma_blockedcontacts'].map((n) => `<rl:external anchor="${rlAnchor(n)}"/>`).join('')}</rl:list>`,
    `<rl:list name="dialog_grantedcontacts">${entries(uris.filter((_, i) => i % 7 !== 0))}</rl:list>`,
    `<rl:list name="dialog_blockedcontacts">${entries(uris.filter((_, i) => i % 7 === 0))}</rl:list>`,
    `<rl:list name="sipsimple_presence_rls">${entries(uris.filter((_, i) => i % 3 === 0))}</rl:list>`,
    `<rl:list name="sipsimple_dialog_rls">${entries(uris)}</rl:list>`,
    `<rl:list name="sipsimple_addressbook">${parts.join('')}</rl:list>`,
  ];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<rl:resource-lists xmlns:rl="${NS.resourceLists}" ` +
    `xmlns:addressbook="${NS.addressbook}" xmlns:sipsimple="${NS.sipsimpleAddressbook}">${lists.join('')}</rl:resource-lists>`
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(fn: () => unknown, iterations: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Builds the same document with xmlbuilder2 (for comparison with the hand-written writer). */
function xmlbuilder2Serialize(root: XmlElement): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const add = (parent: ReturnType<typeof create>, e: XmlElement): void => {
    const qn = e.prefix ? `${e.prefix}:${e.name}` : e.name;
    const el = parent.ele(e.ns || null, qn);
    for (const [p, uri] of Object.entries(e.namespaces ?? {}))
      el.att(NS.xmlns, p === '' ? 'xmlns' : `xmlns:${p}`, uri);
    for (const a of e.attributes)
      if (a.ns === '') el.att(a.name, a.value);
      else el.att(a.ns, a.prefix ? `${a.prefix}:${a.name}` : a.name, a.value);
    for (const c of e.children)
      if (c.type === 'element') add(el, c);
      else if (c.type === 'text') el.txt(c.text);
      else el.com(c.text);
  };
  add(doc, root);
  return doc.end({ prettyPrint: false });
}

/**
 * Runs the benchmark and returns the figures (also used by bench/run.ts).
 *
 * @example
 * ```ts
 * const report = runCodecBench({ contacts: 1000, iterations: 3 });
 * console.log(report.parseRatio);
 * ```
 */
export function runCodecBench(
  options: {
    contacts?: number;
    iterations?: number;
    warmup?: number;
    log?: (line: string) => void;
  } = {},
): CodecBenchReport {
  const contacts = options.contacts ?? 10_000;
  const iterations = options.iterations ?? 7;
  const warmup = options.warmup ?? 2;
  const log = options.log ?? (() => {});
  const xml = generateAddressbookDocument(contacts);
  const bytes = new TextEncoder().encode(xml).byteLength;
  const mb = bytes / (1024 * 1024);
  log(`document: ${contacts} contacts, ${(bytes / 1e6).toFixed(2)} MB`);

  const tree = parseXml(xml);
  const payload = decodeResourceLists(tree);
  const run = (name: string, fn: () => unknown): CodecBenchResult => {
    const ms = measure(fn, iterations, warmup);
    const r = { name, medianMs: ms, mbPerSecond: mb / (ms / 1000) };
    log(
      `${name.padEnd(40)} ${ms.toFixed(1).padStart(9)} ms ${r.mbPerSecond.toFixed(1).padStart(8)} MB/s`,
    );
    return r;
  };
  const results = [
    run('fast-xml-parser XMLParser().parse (bare)', () => new XMLParser().parse(xml)),
    run('parseXml (string)', () => parseXml(xml)),
    run('serializeXml', () => serializeXml(tree)),
    run('xmlbuilder2 build + end (same tree)', () => xmlbuilder2Serialize(tree)),
    run('decodeResourceLists (tree -> payload)', () => decodeResourceLists(tree)),
    run('encodeResourceLists + serializeXml', () => serializeXml(encodeResourceLists(payload))),
  ];
  const bare = results[0]!.medianMs;
  const parseRatio = results[1]!.medianMs / bare;
  const serializeRatio = results[2]!.medianMs / bare;
  log(`parseXml / bare fast-xml-parser:     ${parseRatio.toFixed(2)}x`);
  log(`serializeXml / bare fast-xml-parser: ${serializeRatio.toFixed(2)}x`);
  log(
    `xmlbuilder2 / serializeXml:          ${(results[3]!.medianMs / results[2]!.medianMs).toFixed(2)}x`,
  );
  return { contacts, bytes, results, parseRatio, serializeRatio };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const contacts = Number(process.argv[2] ?? 10_000);
  const iterations = Number(process.argv[3] ?? 7);
  runCodecBench({ contacts, iterations, log: (l) => console.log(l) });
}
