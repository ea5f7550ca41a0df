/**
 * xcap-diff patch benchmark: one NOTIFY of `ops` RFC 5261 operations (about 30 % text
 * replacements, appends, removals, attribute replacements and inserts before a sibling, all
 * with `[@uri="..."]` selectors as an xcap-diff server writes them) applied to a resource-lists
 * document of `contacts` entries, beside parsing the same NOTIFY (the baseline: what it costs
 * to read the body at all). A second figure uses positional selectors (`entry[n]`), which are
 * inherently linear in the number of siblings per operation.
 *
 * Run: `npx tsx bench/xcap-diff-patch.ts [contacts] [ops]`. No assertions: figures only.
 */
import { pathToFileURL } from 'node:url';
import { parseXcapDiff } from '../src/codecs/xcap-diff.js';
import { applyXcapDiffPatch } from '../src/codecs/xcap-diff-patch.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { NS } from '../src/codecs/xml/tree.js';

const RL = NS.resourceLists;

/** The report of {@link runXcapDiffPatchBench}. */
export interface XcapDiffPatchBenchReport {
  readonly contacts: number;
  readonly ops: number;
  readonly notifyBytes: number;
  readonly parseMs: number;
  readonly applyMs: number;
  readonly positionalOps: number;
  readonly positionalApplyMs: number;
}

function documentText(contacts: number): string {
  const entries: string[] = [];
  for (let i = 0; i < contacts; i++)
    entries.push(
      `<entry uri="sip:u${i}@example.com"><display-name>User ${i}</display-name></entry>`,
    );
  return `<resource-lists xmlns="${RL}"><list name="a">${entries.join('')}</list><list name="b"/></resource-lists>`;
}

function notifyText(contacts: number, ops: number): string {
  const out: string[] = [];
  const sel = (uri: string) => `rl:resource-lists/rl:list[@name="a"]/rl:entry[@uri="${uri}"]`;
  const n = Math.floor(ops / 6);
  for (let k = 0; k < n; k++) {
    const i = k % contacts;
    out.push(
      `<d:replace sel='${sel(`sip:u${i}@example.com`)}/rl:display-name/text()'>Renamed ${k}</d:replace>`,
    );
    out.push(
      `<d:add sel='rl:resource-lists/rl:list[@name="a"]'><rl:entry uri="sip:n${k}@example.com"/></d:add>`,
    );
    out.push(
      `<d:replace sel='${sel(`sip:n${k}@example.com`)}/@uri'>sip:m${k}@example.com</d:replace>`,
    );
    out.push(
      `<d:add sel='${sel(`sip:m${k}@example.com`)}' pos="before"><rl:entry uri="sip:p${k}@example.com"/></d:add>`,
    );
    out.push(`<d:remove sel='${sel(`sip:p${k}@example.com`)}'/>`);
    out.push(
      `<d:replace sel='${sel(`sip:m${k}@example.com`)}/@uri'>sip:q${k}@example.com</d:replace>`,
    );
  }
  return `<d:xcap-diff xmlns:d="${NS.xcapDiff}" xmlns:rl="${RL}" xcap-root="http://x/"><d:document sel="resource-lists/users/sip:a@example.com/index" previous-etag="1" new-etag="2">${out.join('')}</d:document></d:xcap-diff>`;
}

function positionalText(contacts: number, ops: number): string {
  const out: string[] = [];
  for (let k = 0; k < ops; k++) {
    const i = 1 + ((k * 7919) % contacts);
    out.push(
      `<d:replace sel="rl:resource-lists/rl:list[1]/rl:entry[${i}]/rl:display-name/text()">P${k}</d:replace>`,
    );
  }
  return `<d:xcap-diff xmlns:d="${NS.xcapDiff}" xmlns:rl="${RL}" xcap-root="http://x/"><d:document sel="resource-lists/users/sip:a@example.com/index" previous-etag="1" new-etag="2">${out.join('')}</d:document></d:xcap-diff>`;
}

/** CPU time (user + system, ms) of `fn`: the machine may be shared, wall time would lie. */
function time<T>(fn: () => T): [T, number] {
  const t = process.cpuUsage();
  const r = fn();
  const d = process.cpuUsage(t);
  return [r, (d.user + d.system) / 1000];
}

/**
 * Measures one patch application of `ops` operations on a `contacts`-entry document.
 *
 * @example runXcapDiffPatchBench(5000, 30000).applyMs
 */
export function runXcapDiffPatchBench(contacts = 5000, ops = 30000): XcapDiffPatchBenchReport {
  const root = parseXml(documentText(contacts));
  const body = notifyText(contacts, ops);
  const [diff, parseMs] = time(() => parseXcapDiff(body));
  const patch = diff.documents[0]!.ops;
  const [, applyMs] = time(() => applyXcapDiffPatch(root, patch));
  const positionalOps = Math.min(ops, 2000);
  const pos = parseXcapDiff(positionalText(contacts, positionalOps)).documents[0]!.ops;
  const [, positionalApplyMs] = time(() => applyXcapDiffPatch(root, pos));
  return {
    contacts,
    ops: patch.length,
    notifyBytes: Buffer.byteLength(body),
    parseMs,
    applyMs,
    positionalOps,
    positionalApplyMs,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const contacts = Number(process.argv[2] ?? 5000);
  const ops = Number(process.argv[3] ?? 30000);
  const r = runXcapDiffPatchBench(contacts, ops);
  console.log(
    `${r.ops} operations (${(r.notifyBytes / 1e6).toFixed(1)} MB NOTIFY) on ${r.contacts} contacts: ` +
      `parse ${r.parseMs.toFixed(0)} ms, apply ${r.applyMs.toFixed(0)} ms CPU; ` +
      `${r.positionalOps} positional operations: apply ${r.positionalApplyMs.toFixed(0)} ms CPU`,
  );
}
