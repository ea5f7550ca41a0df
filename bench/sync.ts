/**
 * Edit and resync benchmarks against the Kamailio test server, on one account holding the
 * 10 000-contact addressbook (bench/fixture.ts):
 * - cold start: the first fetch of an empty cache (the baseline of the resync);
 * - edit: one addContact to the synced manager; CPU time of the process from the call until
 *   the manager is in sync again (apply + serialize + PUT + extraction), bytes sent, against the
 *   full document size;
 * - resync with nothing changed: stop() and start() again; requests and bytes received.
 *
 * Run alone (server running): `npx tsx bench/sync.ts`.
 */
import { pathToFileURL } from 'node:url';
import { filter, firstValueFrom, lastValueFrom, skip, timeout } from 'rxjs';
import { undiciTransport } from '../src/client/undici-transport.js';
import { XcapClient } from '../src/client/xcap-client.js';
import { auidOf, DOCUMENT_NAMES } from '../src/codecs/applications.js';
import { serializeXml } from '../src/codecs/xml/serialize.js';
import { applyOperations, operations } from '../src/journal/index.js';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { TraceEntry } from '../src/streams/ports.js';
import { testServer } from '../test/support/test-server.js';
import { BENCH_SIZE, benchContact, benchContext, directFixture } from './fixture.js';
import {
  benchUsers,
  countingAgent,
  cpuMs,
  fmt,
  gc,
  type Section,
  utf8,
  wipeUsers,
} from './support.js';

const PRES_RULES_AUID = 'org.openmobilealliance.pres-rules';

function nextInSync(m: XcapManager, ms = 120_000): Promise<unknown> {
  // state$ replays the current state first: skip it, wait for the next 'insync'.
  return firstValueFrom(
    m.state$.pipe(
      skip(1),
      filter((s) => s.state === 'insync'),
      timeout(ms),
    ),
  );
}

interface Window {
  readonly traces: TraceEntry[];
  readonly read: number;
  readonly written: number;
}

/**
 * Runs cold start, edit and resync on the first benchmark account (u400).
 *
 * @example const section = await runSyncBench();
 */
export async function runSyncBench(options: { log?: (l: string) => void } = {}): Promise<Section> {
  const log = options.log ?? (() => {});
  const env = testServer();
  const [user] = benchUsers(1);
  const ctx = benchContext(env.xcapRoot, user!.id);
  const fixture = directFixture(BENCH_SIZE, ctx);
  const docBytes = utf8(fixture.texts['resource-lists']!);

  // Seed the account with a plain client (its own Agent, not counted).
  wipeUsers([user!]);
  const seeder = new XcapClient({
    root: env.xcapRoot,
    xui: user!.id,
    username: user!.username,
    password: user!.password,
  });
  for (const n of DOCUMENT_NAMES) {
    const text = fixture.texts[n];
    if (text !== undefined) await lastValueFrom(seeder.put(auidOf(n, PRES_RULES_AUID), text));
  }
  log(`seeded ${user!.username} with ${fmt.bytes(docBytes)} resource-lists`);
  // How much the document grows by the new contact (the contact and its derived-list entries):
  // what an ideal, element-level write would have to send.
  const added = applyOperations(
    fixture.docs,
    [operations.addContact(benchContact(BENCH_SIZE.contacts))],
    ctx,
  ).docs['resource-lists'];
  const growth = utf8(serializeXml(added!)) - docBytes;
  gc();
  const heap0 = process.memoryUsage().heapUsed;

  const counting = countingAgent();
  const m = createXcapManager({
    account: {
      id: user!.id,
      auth: { username: user!.username, password: user!.password },
      xcap: { root: env.xcapRoot },
    },
    storage: memoryStorage(),
    client: { dispatcher: counting.agent, transport: undiciTransport },
    pollPeriod: 600_000,
  });
  const traces: TraceEntry[] = [];
  m.trace$.subscribe((t) => traces.push(t));
  const errors: string[] = [];
  m.error$.subscribe((e) => errors.push(`${e.code}: ${e.message}`));
  // Measures one phase: traces, wire bytes, wall and CPU time.
  const phase = async (fn: () => Promise<unknown>) => {
    const t0 = traces.length;
    const b0 = counting.bytes();
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await fn();
    const wall = performance.now() - w0;
    const cpu = cpuMs(c0);
    const b1 = counting.bytes();
    const w: Window = {
      traces: traces.slice(t0),
      read: b1.read - b0.read,
      written: b1.written - b0.written,
    };
    return { ...w, wall, cpu };
  };

  // 1. Cold start: empty cache, every document fetched.
  const cold = await phase(async () => {
    const synced = nextInSync(m);
    await m.start();
    await synced;
  });
  log(`cold start ${fmt.ms(cold.wall)}, ${cold.traces.length} requests`);
  gc();
  const heapSynced = process.memoryUsage().heapUsed - heap0;

  // 2. One addContact on the synced 10k addressbook.
  const edit = await phase(async () => {
    const synced = nextInSync(m);
    m.addContact(benchContact(BENCH_SIZE.contacts));
    await synced;
  });
  const puts = edit.traces.filter((t) => t.method === 'PUT');
  const putChars = puts.reduce((a, t) => a + t.size, 0);
  log(`edit ${fmt.ms(edit.wall)} wall, ${fmt.ms(edit.cpu)} CPU, ${puts.length} PUT`);

  // 3. Resync with nothing changed: restart the manager (its cache has every ETag).
  await m.stop();
  const resync = await phase(async () => {
    const synced = nextInSync(m);
    await m.start();
    await synced;
  });
  log(`resync ${fmt.ms(resync.wall)}, ${resync.traces.length} requests`);
  await m.stop();
  await counting.agent.close();

  const bodyIn = (w: Window) =>
    w.traces.filter((t) => t.method === 'GET').reduce((a, t) => a + t.size, 0);
  const statuses = (w: Window) => {
    const c = new Map<string, number>();
    for (const t of w.traces) {
      const k = `${t.method} ${t.status}`;
      c.set(k, (c.get(k) ?? 0) + 1);
    }
    return [...c].map(([k, n]) => `${n}× ${k}`).join(', ');
  };
  return {
    title: `Sync against Kamailio (${BENCH_SIZE.contacts}-contact addressbook, account ${user!.username})`,
    rows: [
      {
        name: 'cold start: first fetch, wall time',
        value: fmt.ms(cold.wall),
        note: `${cold.traces.length} requests (${statuses(cold)}); CPU ${fmt.ms(cold.cpu)}`,
      },
      {
        name: 'heap held by the synced manager (after gc)',
        value: fmt.bytes(heapSynced),
        baseline: `${fmt.bytes(docBytes)} documents`,
        ratio: fmt.ratio(heapSynced / docBytes),
        note: 'document text, XML tree, model and the JSON change-check strings',
      },
      {
        name: 'cold start: bytes received',
        value: `${fmt.bytes(cold.read)} wire`,
        note: `bodies ${fmt.bytes(bodyIn(cold))} (UTF-16 units)`,
      },
      {
        name: 'edit: one addContact, CPU (apply+serialize+PUT+extract)',
        value: fmt.ms(edit.cpu),
        note: `wall ${fmt.ms(edit.wall)}; ${statuses(edit)}`,
      },
      {
        name: 'edit: bytes sent',
        value: `${fmt.bytes(edit.written)} wire`,
        baseline: `${fmt.bytes(docBytes)} full document`,
        ratio: fmt.ratio(edit.written / docBytes),
        note: `PUT bodies ${fmt.bytes(putChars)} (UTF-16 units)`,
      },
      {
        name: 'edit: bytes sent vs what changed',
        value: `${fmt.bytes(edit.written)} wire`,
        baseline: `${fmt.bytes(growth)} document growth (contact + derived entries)`,
        ratio: fmt.ratio(edit.written / growth),
      },
      {
        name: 'resync, nothing changed: requests',
        value: `${resync.traces.length}`,
        baseline: `${cold.traces.length} cold`,
        ratio: fmt.ratio(resync.traces.length / cold.traces.length),
        note: statuses(resync),
      },
      {
        name: 'resync, nothing changed: bytes received',
        value: `${fmt.bytes(resync.read)} wire, bodies ${fmt.bytes(bodyIn(resync))}`,
        baseline: `${fmt.bytes(cold.read)} cold`,
        ratio: fmt.ratio(resync.read / cold.read),
        note: `wall ${fmt.ms(resync.wall)}, CPU ${fmt.ms(resync.cpu)}`,
      },
    ],
    notes: errors.length > 0 ? [`manager errors: ${errors.join('; ')}`] : [],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await runSyncBench({ log: (l) => console.log(l) });
  console.table(s.rows);
  for (const n of s.notes ?? []) console.log(n);
}
