/**
 * Parse + extract benchmark (CPU time, median of `iterations` after one warm-up): the benchmark addressbook's documents (bench/fixture.ts) parsed
 * with parseXml and extracted to the model with extractData, against fast-xml-parser's bare
 * `new XMLParser().parse` of the same bytes in the same run; plus the pure parts of one edit
 * (apply addContact, serialize, the manager's change check) without any network.
 *
 * Run alone: `npx tsx bench/extract.ts`.
 */
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { DOCUMENT_NAMES } from '../src/codecs/applications.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { serializeXml } from '../src/codecs/xml/serialize.js';
import { applyOperations, type Documents, extractData, operations } from '../src/journal/index.js';
import {
  type AddressbookSize,
  BENCH_SIZE,
  benchContact,
  benchContext,
  directFixture,
  operationsFixture,
} from './fixture.js';
import { cpuMs, cpuTimeMs, fmt, gc, type Section, utf8 } from './support.js';

/**
 * Runs the parse/extract and pure-edit measurements.
 *
 * @example const section = runExtractBench({ iterations: 3 });
 */
export function runExtractBench(
  options: { size?: AddressbookSize; iterations?: number; log?: (l: string) => void } = {},
): Section {
  const size = options.size ?? BENCH_SIZE;
  const iterations = options.iterations ?? 3;
  const log = options.log ?? (() => {});
  const ctx = benchContext('http://127.0.0.1:5080/xcap-root', 'sip:u400@example.com');

  let c0 = process.cpuUsage();
  const fixture = directFixture(size, ctx);
  const buildMs = cpuMs(c0);
  const texts = DOCUMENT_NAMES.flatMap((n) => {
    const t = fixture.texts[n];
    return t === undefined ? [] : [[n, t] as const];
  });
  const bytes = texts.reduce((a, [, t]) => a + utf8(t), 0);
  const rl = fixture.texts['resource-lists']!;
  log(`fixture: ${size.contacts} contacts, ${fmt.bytes(bytes)} in ${texts.length} documents`);

  // Sanity: the extraction sees every item (a generator or extraction bug would show here).
  const check = extractData(fixture.docs, ctx).addressbook;
  const counts = `${check.contacts.length}/${check.groups.length}/${check.policies.length}`;

  const bare = cpuTimeMs(() => {
    for (const [, t] of texts) new XMLParser().parse(t);
  }, iterations);
  log(`bare fast-xml-parser ${fmt.ms(bare)}`);
  const parseOnly = cpuTimeMs(() => {
    for (const [, t] of texts) parseXml(t);
  }, iterations);
  log(`parseXml ${fmt.ms(parseOnly)}`);
  const extractOnly = cpuTimeMs(() => extractData(fixture.docs, ctx), iterations);
  log(`extractData ${fmt.ms(extractOnly)}`);
  const both = cpuTimeMs(() => {
    const docs: Documents = {};
    for (const [n, t] of texts) docs[n] = parseXml(t);
    return extractData(docs, ctx);
  }, iterations);
  log(`parse + extract ${fmt.ms(both)}`);

  // Memory: what the parsed tree and the extracted model of the big document retain.
  const retained = (make: () => unknown): number => {
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const keep = make();
    gc();
    const h = process.memoryUsage().heapUsed - h0;
    if (keep === undefined) log('nothing kept');
    return h;
  };
  const treeHeap = retained(() => parseXml(rl));
  const modelHeap = retained(() => extractData(fixture.docs, ctx));
  const jsonHeap = retained(() => JSON.stringify(check));
  log(`heap: tree ${fmt.bytes(treeHeap)}, model ${fmt.bytes(modelHeap)}`);

  // The pure work of one addContact on the big document, as the manager does it.
  const add = operations.addContact(benchContact(size.contacts));
  const applyMs = cpuTimeMs(() => applyOperations(fixture.docs, [add], ctx), iterations);
  const after = applyOperations(fixture.docs, [add], ctx);
  const changed = after.outcomes[0]?.changed ?? [];
  const serializeMs = cpuTimeMs(() => serializeXml(after.docs['resource-lists']!), iterations);
  const jsonMs = cpuTimeMs(
    () => JSON.stringify(extractData(after.docs, ctx).addressbook),
    iterations,
  );
  log(`apply addContact ${fmt.ms(applyMs)}, serialize ${fmt.ms(serializeMs)}`);

  // Building through the journal, one operation at a time, on a small addressbook.
  const small: AddressbookSize = {
    contacts: Math.min(500, size.contacts),
    groups: 5,
    policies: 25,
  };
  c0 = process.cpuUsage();
  operationsFixture(small, ctx);
  const opsMs = cpuMs(c0);
  c0 = process.cpuUsage();
  directFixture(small, ctx);
  const directSmallMs = cpuMs(c0);
  log(`${small.contacts} contacts via operations ${fmt.ms(opsMs)}`);

  return {
    title: `Codec: parse + extract, CPU time (${size.contacts} contacts / ${size.groups} groups / ${size.policies} policies)`,
    rows: [
      {
        name: 'documents (4, AG layout)',
        value: fmt.bytes(bytes),
        note: `resource-lists ${fmt.bytes(utf8(rl))}; extracted ${counts} contacts/groups/policies`,
      },
      {
        name: 'parseXml (all documents)',
        value: fmt.ms(parseOnly),
        baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
        ratio: fmt.ratio(parseOnly / bare),
      },
      { name: 'extractData (trees -> model)', value: fmt.ms(extractOnly) },
      {
        name: 'parse + extract',
        value: fmt.ms(both),
        baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
        ratio: fmt.ratio(both / bare),
        note: `${(bytes / 1e6 / (both / 1000)).toFixed(1)} MB/s`,
      },
      {
        name: 'heap retained by the parsed resource-lists tree',
        value: fmt.bytes(treeHeap),
        baseline: `${fmt.bytes(utf8(rl))} text`,
        ratio: fmt.ratio(treeHeap / utf8(rl)),
      },
      {
        name: 'heap retained by the extracted model',
        value: fmt.bytes(modelHeap),
        note: `its JSON form (kept by the manager's change check) ${fmt.bytes(jsonHeap)}`,
      },
      {
        name: 'apply one addContact (pure)',
        value: fmt.ms(applyMs),
        baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
        ratio: fmt.ratio(applyMs / bare),
        note: `changes ${changed.join(', ')}`,
      },
      {
        name: 'serializeXml resource-lists after it',
        value: fmt.ms(serializeMs),
        baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
        ratio: fmt.ratio(serializeMs / bare),
      },
      {
        name: 'extract + JSON.stringify (manager change check)',
        value: fmt.ms(jsonMs),
      },
      {
        name: `build ${small.contacts} contacts via ${small.contacts + small.groups + small.policies + 1} journal ops`,
        value: fmt.ms(opsMs),
        baseline: `${fmt.ms(directSmallMs)} written directly + 1 normalize`,
        ratio: fmt.ratio(opsMs / directSmallMs),
        note: 'one batch: the derived lists are computed once',
      },
      {
        name: `build the ${size.contacts}-contact fixture (text + 1 normalize)`,
        value: fmt.ms(buildMs),
      },
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = runExtractBench({ log: (l) => console.log(l) });
  console.table(s.rows);
}
