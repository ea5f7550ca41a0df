/**
 * Child process of the layout-padding memory test (test/codecs/xml/layout-padding.test.ts):
 * builds a hostile but valid document of about `MiB` mebibytes — `comments` (`<!---->` inside
 * the root) or `whitespace` (one whitespace run) — parses and serializes it, and prints the
 * peak RSS growth as JSON. A separate process, so that the peak is this work's alone.
 */
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';

const kind = process.argv[2] === 'whitespace' ? 'whitespace' : 'comments';
const mib = Number(process.argv[3] ?? 16);
const open =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="x">';
const close = '</list></resource-lists>';
const filler = kind === 'comments' ? '<!---->' : ' ';
const count = Math.floor((mib * 1024 * 1024 - open.length - close.length - 16) / filler.length);
// A flat string, as a body decoded from the network is (not a rope of concatenations).
const doc = Buffer.from(open + filler.repeat(count) + close, 'latin1').toString('latin1');
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;
const cpu = process.cpuUsage();
const t0 = performance.now();
const root = parseXml(doc);
const out = serializeXml(root);
const ms = performance.now() - t0;
const used = process.cpuUsage(cpu);
const peak = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  JSON.stringify({
    kind,
    docBytes: doc.length,
    peakGrowthBytes: peak - before,
    ms: Math.round(ms),
    cpuMs: Math.round((used.user + used.system) / 1000),
    children: root.children.length,
    writtenBytes: out.length,
  }),
);
