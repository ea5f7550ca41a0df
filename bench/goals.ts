/**
 * The goals of "large accounts at the cost of the change", each measured against the Kamailio
 * test server beside its baseline from the same run:
 * - one addContact / updateContact / removeContact on the 10 000-contact book until insync: CPU
 *   time of this process and bytes sent on the wire (headers included), against the same edit
 *   on a 100-contact book (goal: ≤ 30 ms, ≤ 4 kB, and the big book ≤ 2x the small one);
 * - an updateContact on the 100-contact book with a large PIDF (pidf-manipulation) present,
 *   against the same edit without it (goal: the edit does not depend on it, ratio ≈ 1x);
 * - heap of the synced 10 000-contact manager against the document text (goal: ≤ 3x);
 * - CPU of the first sync of the 10 000-contact book against fast-xml-parser's bare parse of
 *   the same bytes (goal: ≤ 1.2x);
 * - a resync with nothing changed (stop, start): requests, of which unconditional, body bytes
 *   received, requests for documents already known to be absent (goal: only conditional
 *   requests, 0 body bytes, no request for a known-absent document).
 *
 * Run alone (server running): `npx tsx bench/goals.ts`.
 */
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { filter, firstValueFrom, lastValueFrom, skip, timeout } from 'rxjs';
import { undiciTransport } from '../src/client/undici-transport.js';
import { XcapClient } from '../src/client/xcap-client.js';
import { auidOf, DOCUMENT_NAMES } from '../src/codecs/applications.js';
import { NS } from '../src/codecs/xml/tree.js';
import {
  KAMAILIO_XCAP_SERVER,
  planElementWrites,
  RFC4825_SERVER,
} from '../src/element-writes/index.js';
import {
  applyOperation,
  type Documents,
  type JournalContext,
  operations,
} from '../src/journal/index.js';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { StoragePort } from '../src/store/storage-port.js';
import type { TraceEntry } from '../src/streams/ports.js';
import { type TestUser, testServer } from '../test/support/test-server.js';
import {
  type AddressbookSize,
  BENCH_SIZE,
  benchContact,
  benchContext,
  directFixture,
} from './fixture.js';
import {
  benchUsers,
  countingAgent,
  cpuMs,
  cpuTimeMs,
  fmt,
  gc,
  type Row,
  type Section,
  type SentRequest,
  utf8,
  wipeUsers,
} from './support.js';

const PRES_RULES_AUID = 'org.openmobilealliance.pres-rules';
/** The small book the edit goals compare with. */
export const SMALL_SIZE: AddressbookSize = { contacts: 100, groups: 1, policies: 5 };
/**
 * Size of the large PIDF. The issue measured 11 MB; the test server takes documents up to about
 * 8 MB (its 8 MiB buffers, test-server/start.sh), so the benchmark uses 7.5 MB.
 */
const PIDF_BYTES = 7_500_000;

/** Goal thresholds, as the issue states them. */
export const GOALS = {
  editCpuMs: 30,
  editBytes: 4000,
  bigOverSmall: 2,
  pidfRatio: 1.2,
  heapRatio: 3,
  firstSyncRatio: 1.2,
} as const;

function nextInSync(m: XcapManager, ms = 120_000): Promise<unknown> {
  return firstValueFrom(
    m.state$.pipe(
      skip(1),
      filter((s) => s.state === 'insync'),
      timeout(ms),
    ),
  );
}

/** A PIDF document of about `bytes` bytes: tuples with a note each. */
export function largePidf(entity: string, bytes: number): string {
  const note = 'x'.repeat(200);
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="${NS.pidf}" entity="${entity}">`;
  const parts: string[] = [head];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const t = `<tuple id="t${i}"><status><basic>open</basic></status><note>${note}</note></tuple>`;
    parts.push(t);
    size += t.length;
  }
  parts.push('</presence>');
  return parts.join('');
}

interface Measured {
  readonly cpu: number;
  readonly wall: number;
  readonly written: number;
  readonly read: number;
  readonly traces: readonly TraceEntry[];
  readonly requests: readonly SentRequest[];
  /** Bytes saved to the document cache (JSON of its keys) until the manager was in sync again. */
  readonly cached: number;
}

/** One synced manager on one account, with its counters. */
interface Bench {
  readonly m: XcapManager;
  measure(fn: () => Promise<unknown>): Promise<Measured>;
  close(): Promise<void>;
  readonly errors: string[];
}

async function seed(user: TestUser, texts: Partial<Record<string, string>>): Promise<void> {
  const env = testServer();
  const seeder = new XcapClient({
    root: env.xcapRoot,
    xui: user.id,
    username: user.username,
    password: user.password,
  });
  for (const n of [...DOCUMENT_NAMES]) {
    const text = texts[n];
    if (text !== undefined) await lastValueFrom(seeder.put(auidOf(n, PRES_RULES_AUID), text));
  }
}

function benchManager(user: TestUser, elementWrites: 'auto' | 'off' = 'auto'): Bench {
  const env = testServer();
  const counting = countingAgent();
  const memory = memoryStorage();
  let cacheBytes = 0;
  const storage: StoragePort = {
    load: (k) => memory.load(k),
    save: (k, v) => {
      if (k[1] === 'documents' || k[1] === 'document-changes')
        cacheBytes += JSON.stringify(v).length;
      return memory.save(k, v);
    },
    delete: (k) => memory.delete(k),
    purge: (k) => memory.purge(k),
    keys: (k) => memory.keys(k),
    close: () => memory.close(),
  };
  const m = createXcapManager({
    account: {
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root: env.xcapRoot, xcapDiff: false },
    },
    storage,
    // The universal entry's client has no default transport for a dispatcher (undici's, in Node).
    client: { dispatcher: counting.agent, transport: undiciTransport },
    pollPeriod: 600_000,
    elementWrites,
  });
  const traces: TraceEntry[] = [];
  m.trace$.subscribe((t) => traces.push(t));
  const errors: string[] = [];
  m.error$.subscribe((e) => errors.push(`${e.code}: ${e.message}`));
  return {
    m,
    errors,
    measure: async (fn) => {
      const t0 = traces.length;
      const r0 = counting.requests.length;
      const b0 = counting.bytes();
      const k0 = cacheBytes;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await fn();
      // The cache is saved right after the sync: let that write land.
      await new Promise((r) => setTimeout(r, 100));
      const wall = performance.now() - w0;
      const cpu = cpuMs(c0);
      const b1 = counting.bytes();
      return {
        cpu,
        wall,
        written: b1.written - b0.written,
        read: b1.read - b0.read,
        traces: traces.slice(t0),
        requests: counting.requests.slice(r0),
        cached: cacheBytes - k0,
      };
    },
    close: async () => {
      await m.stop();
      await m.close();
      await counting.agent.close();
    },
  };
}

const untilInSync = (b: Bench, act: () => void) => () => {
  const synced = nextInSync(b.m);
  act();
  return synced;
};

interface EditFigures {
  readonly add: Measured;
  readonly update: Measured;
  readonly remove: Measured;
}

/** addContact (a new one), updateContact (its name), removeContact (it again). */
async function edits(b: Bench, size: AddressbookSize): Promise<EditFigures> {
  const c = benchContact(size.contacts);
  const add = await b.measure(untilInSync(b, () => b.m.addContact(c)));
  const update = await b.measure(
    untilInSync(b, () => b.m.updateContact(c.id, { name: 'Renamed contact' })),
  );
  const remove = await b.measure(untilInSync(b, () => b.m.removeContact(c.id)));
  return { add, update, remove };
}

const statuses = (w: Measured): string => {
  const c = new Map<string, number>();
  for (const t of w.traces) {
    const k = `${t.method} ${t.status}`;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return [...c].map(([k, n]) => `${n}× ${k}`).join(', ');
};

/**
 * The element writes the planner (src/element-writes) makes for the same three edits on the 10 000-contact book: bytes on the wire it estimates, and
 * its CPU time (median of 3), for each server profile.
 */
function plannedRows(docs: Documents, ctx: JournalContext, size: AddressbookSize): Row[] {
  const c = benchContact(size.contacts);
  const steps = [
    ['addContact', operations.addContact(c)],
    ['updateContact', operations.updateContact(c.id, { name: 'Renamed contact' })],
    ['removeContact', operations.removeContact(c.id)],
  ] as const;
  const rows: Row[] = [];
  let cur = docs;
  for (const [name, op] of steps) {
    const next = applyOperation(cur, op, ctx).docs;
    for (const server of [KAMAILIO_XCAP_SERVER, RFC4825_SERVER]) {
      let writes = 0;
      let bytes = 0;
      const plan = () => {
        writes = 0;
        bytes = 0;
        for (const n of DOCUMENT_NAMES) {
          const b = cur[n] ?? null;
          const a = next[n] ?? null;
          if (b === a) continue;
          // The cache knows the document's size; 7.8 MB stands in for it here.
          const p = planElementWrites(b, a, { server, documentBytes: 7_800_000 });
          writes += p.kind === 'elements' ? p.writes.length : p.kind === 'document' ? 1 : 0;
          bytes += p.bytes;
        }
      };
      const cpu = cpuTimeMs(plan, 3);
      rows.push({
        name: `planned element writes for ${name} on 10 000 contacts (${server.name})`,
        value: `${fmt.bytes(bytes)} in ${writes} requests`,
        baseline: `${fmt.bytes(7_800_000)} whole document`,
        ratio: fmt.ratio(bytes / 7_800_000),
        note: `planner CPU ${fmt.ms(cpu)}; estimate (bodies, selectors, 400 B per request)${server === KAMAILIO_XCAP_SERVER ? '; measured above' : ''}`,
      });
    }
    cur = next;
  }
  return rows;
}

const verdict = (met: boolean, goal: string): string => `${met ? 'MET' : 'not met'} (goal ${goal})`;

/**
 * One edit's rows: the manager as it is (element writes) against the same edit PUT as whole
 * documents (`elementWrites: 'off'`, the baseline) in the same run, and against the 100-contact
 * book (the ≤ 2x goal).
 */
function editRows(name: string, big: Measured, whole: Measured, small: Measured): Row[] {
  return [
    {
      name: `${name} on 10 000 contacts until insync: CPU`,
      value: fmt.ms(big.cpu),
      baseline: `${fmt.ms(whole.cpu)} with whole documents`,
      ratio: fmt.ratio(big.cpu / whole.cpu),
      note: `${verdict(big.cpu <= GOALS.editCpuMs && big.cpu <= GOALS.bigOverSmall * small.cpu, `≤ ${GOALS.editCpuMs} ms and ≤ ${GOALS.bigOverSmall}x`)}; ${fmt.ms(small.cpu)} on 100 contacts (${fmt.ratio(big.cpu / small.cpu)}); wall ${fmt.ms(big.wall)} (whole documents ${fmt.ms(whole.wall)}); ${statuses(big)}`,
    },
    {
      name: `${name} on 10 000 contacts: bytes written to the document cache`,
      value: fmt.bytes(big.cached),
      baseline: `${fmt.bytes(small.cached)} on 100 contacts`,
      ratio: fmt.ratio(big.cached / Math.max(1, small.cached)),
      note: 'JSON saved to the storage port (memoryStorage here; the file store writes the same per key)',
    },
    {
      name: `${name} on 10 000 contacts until insync: bytes sent`,
      value: `${fmt.bytes(big.written)} wire`,
      baseline: `${fmt.bytes(whole.written)} with whole documents`,
      ratio: fmt.ratio(big.written / whole.written),
      note: `${verdict(
        big.written <= GOALS.editBytes && big.written <= GOALS.bigOverSmall * small.written,
        `≤ ${fmt.bytes(GOALS.editBytes)} and ≤ ${GOALS.bigOverSmall}x`,
      )}; ${fmt.bytes(small.written)} on 100 contacts (${fmt.ratio(big.written / small.written)}); whole documents: ${statuses(whole)}`,
    },
  ];
}

/**
 * Runs every goal measurement (three accounts: the 10 000-contact book, the 100-contact book,
 * the 100-contact book with a large PIDF).
 *
 * @example const section = await runGoalsBench();
 */
export async function runGoalsBench(options: { log?: (l: string) => void } = {}): Promise<Section> {
  const log = options.log ?? (() => {});
  const env = testServer();
  const [bigUser, smallUser, pidfUser] = benchUsers(3) as [TestUser, TestUser, TestUser];
  wipeUsers([bigUser, smallUser, pidfUser]);

  const big = directFixture(BENCH_SIZE, benchContext(env.xcapRoot, bigUser.id));
  const small = directFixture(SMALL_SIZE, benchContext(env.xcapRoot, smallUser.id));
  const smallP = directFixture(SMALL_SIZE, benchContext(env.xcapRoot, pidfUser.id));
  const pidf = largePidf(pidfUser.id, PIDF_BYTES);
  await seed(bigUser, big.texts);
  await seed(smallUser, small.texts);
  await seed(pidfUser, { ...smallP.texts, 'pidf-manipulation': pidf });
  const bigTexts = Object.values(big.texts).filter((t): t is string => t !== undefined);
  const bigBytes = bigTexts.reduce((a, t) => a + utf8(t), 0);
  log(
    `seeded ${bigUser.username} (${fmt.bytes(bigBytes)}), ${smallUser.username}, ${pidfUser.username} (+${fmt.bytes(PIDF_BYTES)} PIDF)`,
  );

  // Baseline of the first sync: fast-xml-parser's bare parse of the same documents.
  const bareParse = cpuTimeMs(() => {
    for (const t of bigTexts) new XMLParser().parse(t);
  }, 3);

  const planned = plannedRows(big.docs, big.ctx, BENCH_SIZE);
  // The 10 000-contact book: first sync, heap, edits, resync.
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const b = benchManager(bigUser);
  const cold = await b.measure(untilInSync(b, () => void b.m.start()));
  gc();
  const heap = process.memoryUsage().heapUsed - heap0;
  log(`first sync ${fmt.ms(cold.cpu)} CPU, heap ${fmt.bytes(heap)}`);
  const bigEdits = await edits(b, BENCH_SIZE);
  log(
    `10k edits: ${fmt.ms(bigEdits.add.cpu)} / ${fmt.ms(bigEdits.update.cpu)} / ${fmt.ms(bigEdits.remove.cpu)} CPU`,
  );
  await b.m.stop();
  const absentAtStart = new Set(
    cold.traces.filter((t) => t.method === 'GET' && t.status === 404).map((t) => t.url ?? t.auid),
  );
  const resync = await b.measure(untilInSync(b, () => void b.m.start()));
  await b.close();
  log(`resync: ${resync.traces.length} requests`);

  // The baseline: the same edits on the same book, PUT as whole documents.
  const w = benchManager(bigUser, 'off');
  await w.measure(untilInSync(w, () => void w.m.start()));
  const wholeEdits = await edits(w, BENCH_SIZE);
  await w.close();
  log(
    `10k edits, whole documents: ${fmt.bytes(wholeEdits.add.written)} / ${fmt.bytes(wholeEdits.update.written)} / ${fmt.bytes(wholeEdits.remove.written)} sent`,
  );

  // The 100-contact book.
  const s = benchManager(smallUser);
  await s.measure(untilInSync(s, () => void s.m.start()));
  const smallEdits = await edits(s, SMALL_SIZE);
  await s.close();

  // The 100-contact book with a large PIDF beside it.
  const p = benchManager(pidfUser);
  await p.measure(untilInSync(p, () => void p.m.start()));
  const pidfEdits = await edits(p, SMALL_SIZE);
  await p.close();
  log(`pidf: update ${fmt.ms(pidfEdits.update.cpu)} vs ${fmt.ms(smallEdits.update.cpu)}`);

  const resyncBodies = resync.traces
    .filter((t) => t.method === 'GET')
    .reduce((a, t) => a + t.size, 0);
  // Each Digest round is a request of its own on the wire; count logical requests from trace$.
  const unconditional = resync.requests.filter((r) => r.method === 'GET' && !r.conditional);
  const askedAbsent = resync.traces.filter(
    (t) => t.method === 'GET' && absentAtStart.has(t.url ?? t.auid),
  ).length;
  const firstSyncRatio = cold.cpu / bareParse;
  const pidfRatio = pidfEdits.update.cpu / smallEdits.update.cpu;
  const errors = [...b.errors, ...w.errors, ...s.errors, ...p.errors];
  return {
    title: 'Goals: large accounts at the cost of the change (Kamailio test server)',
    rows: [
      ...editRows('addContact', bigEdits.add, wholeEdits.add, smallEdits.add),
      ...editRows('updateContact', bigEdits.update, wholeEdits.update, smallEdits.update),
      ...editRows('removeContact', bigEdits.remove, wholeEdits.remove, smallEdits.remove),
      ...planned,
      {
        name: `updateContact on 100 contacts with a ${fmt.bytes(PIDF_BYTES)} PIDF: CPU`,
        value: fmt.ms(pidfEdits.update.cpu),
        baseline: `${fmt.ms(smallEdits.update.cpu)} without the PIDF`,
        ratio: fmt.ratio(pidfRatio),
        note: `${verdict(pidfRatio <= GOALS.pidfRatio, `≤ ${GOALS.pidfRatio}x: the edit does not depend on it`)}; addContact ${fmt.ms(pidfEdits.add.cpu)} vs ${fmt.ms(smallEdits.add.cpu)}, removeContact ${fmt.ms(pidfEdits.remove.cpu)} vs ${fmt.ms(smallEdits.remove.cpu)}`,
      },
      {
        name: 'heap held by the synced 10 000-contact manager (after gc)',
        value: fmt.bytes(heap),
        baseline: `${fmt.bytes(bigBytes)} document text`,
        ratio: fmt.ratio(heap / bigBytes),
        note: verdict(heap <= GOALS.heapRatio * bigBytes, `≤ ${GOALS.heapRatio}x`),
      },
      {
        name: 'first sync of the 10 000-contact book: CPU',
        value: fmt.ms(cold.cpu),
        baseline: `${fmt.ms(bareParse)} bare fast-xml-parser parse of the same bytes`,
        ratio: fmt.ratio(firstSyncRatio),
        note: `${verdict(firstSyncRatio <= GOALS.firstSyncRatio, `≤ ${GOALS.firstSyncRatio}x`)}; wall ${fmt.ms(cold.wall)}; ${statuses(cold)}`,
      },
      {
        name: 'resync, nothing changed: requests / unconditional',
        value: `${resync.traces.length} / ${unconditional.length}`,
        baseline: `${cold.traces.length} in the first sync`,
        ratio: fmt.ratio(resync.traces.length / cold.traces.length),
        note: `${verdict(unconditional.length === 0, '0 unconditional')}; ${statuses(resync)}; unconditional: ${unconditional.map((r) => `${r.method} ${r.path.replace(/\/users\/[^/]+/, '/users/…')}`).join(', ') || 'none'}`,
      },
      {
        name: 'resync, nothing changed: body bytes received',
        value: fmt.bytes(resyncBodies),
        baseline: `${fmt.bytes(cold.traces.filter((t) => t.method === 'GET').reduce((a, t) => a + t.size, 0))} in the first sync`,
        note: `${verdict(resyncBodies === 0, '0')}; wire ${fmt.bytes(resync.read)} received; wall ${fmt.ms(resync.wall)}, CPU ${fmt.ms(resync.cpu)}`,
      },
      {
        name: 'resync, nothing changed: requests for known-absent documents',
        value: `${askedAbsent}`,
        baseline: `${absentAtStart.size} documents absent in the first sync`,
        note: verdict(askedAbsent === 0, '0 without an xcap-diff or poll saying otherwise'),
      },
    ],
    notes: [
      'CPU is user + system time of this process from the call until state$ is insync again; bytes are counted on the sockets (request lines, headers and bodies, every Digest round).',
      `Edits: addContact of a new contact, updateContact of its name, removeContact of it; the managers run without xcap-diff (polling every 10 minutes), so no NOTIFY lands in a measurement. The manager sends element writes to Kamailio (learned from its Server header); the baseline is a manager with elementWrites: 'off' (whole documents) making the same edits on the same book in the same run.`,
      ...(errors.length > 0 ? [`manager errors: ${errors.join('; ')}`] : []),
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await runGoalsBench({ log: (l) => console.log(l) });
  console.table(s.rows);
  for (const n of s.notes ?? []) console.log(n);
}
