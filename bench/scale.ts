/**
 * Scale benchmark: N managers for N accounts (pool users, wiped first so every run starts from
 * empty accounts) in one process against the Kamailio test server, all sharing one undici
 * Agent. Measures the time until every manager is in sync and the heap/RSS per manager, against
 * the heap/RSS measured (after a full gc) just before the managers were created.
 *
 * Run alone (server running): `npx tsx bench/scale.ts [managers] [concurrency]`.
 */
import { pathToFileURL } from 'node:url';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { undiciTransport } from '../src/client/undici-transport.js';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { StoragePort } from '../src/store/storage-port.js';
import type { TraceEntry } from '../src/streams/ports.js';
import { testServer } from '../test/support/test-server.js';
import {
  benchUsers,
  countingAgent,
  cpuMs,
  fmt,
  gc,
  median,
  type Section,
  wipeUsers,
} from './support.js';

/** Options of {@link runScaleBench}. */
export interface ScaleOptions {
  /** Number of managers (= accounts). Default 500. */
  readonly managers?: number;
  /** At most this many managers starting (not yet in sync) at once. Default: all. */
  readonly concurrency?: number;
  /** The shared Agent's `connections` (per origin). Default: undici's, unlimited. */
  readonly connections?: number;
  readonly log?: (l: string) => void;
  /**
   * The storage all managers share (one per run, like a service's); default one
   * `memoryStorage()`. Opened after the memory baseline, so what it holds counts per manager.
   */
  readonly storage?: { readonly name: string; open(): StoragePort; close?(): Promise<void> };
}

/** The raw figures of one scale run (the section shows them formatted). */
export interface ScaleMeasures {
  readonly allMs: number;
  readonly cpuMs: number;
  readonly heapPerManager: number;
  readonly rssPerManager: number;
  readonly requests: number;
}

const mb = (x: number): string => `${(x / 1048576).toFixed(1)} MiB`;
const kib = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;

/**
 * Starts `managers` managers, waits for all to be in sync, measures, stops them.
 *
 * @example const section = await runScaleBench({ managers: 500 });
 */
export async function runScaleBench(
  options: ScaleOptions = {},
): Promise<Section & { measures: ScaleMeasures }> {
  const n = options.managers ?? 500;
  const concurrency = options.concurrency ?? n;
  const log = options.log ?? (() => {});
  const env = testServer();
  const users = benchUsers(n);
  const account = (u: (typeof users)[number]) => ({
    id: u.id,
    auth: { username: u.username, password: u.password },
    xcap: { root: env.xcapRoot },
  });
  const insync = (m: XcapManager) =>
    firstValueFrom(
      m.state$.pipe(
        filter((s) => s.state === 'insync'),
        timeout(180_000),
      ),
    );

  // Baseline: one manager alone on an empty account, the median of 3 (also warms up the code),
  // using the same kind of Agent as the managers below.
  const singles: number[] = [];
  for (let i = 0; i < 3; i++) {
    wipeUsers([users[0]!]);
    const own = countingAgent();
    const single = createXcapManager({
      account: account(users[0]!),
      storage: memoryStorage(),
      client: { dispatcher: own.agent, transport: undiciTransport },
    });
    const one0 = performance.now();
    await single.start();
    await insync(single);
    singles.push(performance.now() - one0);
    await single.stop();
    await own.agent.close();
  }
  const oneMs = median(singles);
  wipeUsers(users);

  gc();
  const base = process.memoryUsage();
  const counting = countingAgent(
    options.connections !== undefined ? { connections: options.connections } : {},
  );
  const traces: TraceEntry[] = [];
  const errors = new Map<string, number>();
  const shared = options.storage?.open();
  const managers: XcapManager[] = users.map((u) => {
    const m = createXcapManager({
      account: account(u),
      storage: shared ?? memoryStorage(),
      client: { dispatcher: counting.agent, transport: undiciTransport },
      pollPeriod: 600_000,
      backoff: { initialDelay: 500, maxDelay: 5_000 },
    });
    m.trace$.subscribe((t) => traces.push(t));
    m.error$.subscribe((e) => errors.set(e.code, (errors.get(e.code) ?? 0) + 1));
    return m;
  });

  const syncTimes: number[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < managers.length) {
      const m = managers[next++]!;
      const s0 = performance.now();
      const synced = insync(m);
      await m.start();
      await synced;
      syncTimes.push(performance.now() - s0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const allMs = performance.now() - t0;
  const cpu = cpuMs(c0);
  log(`${n} managers in sync after ${fmt.ms(allMs)}`);

  gc();
  const after = process.memoryUsage();
  const wire = counting.bytes();
  const s0 = performance.now();
  await Promise.all(managers.map((m) => m.stop()));
  const stopMs = performance.now() - s0;
  await counting.agent.close();
  await shared?.close();
  await options.storage?.close?.();

  const perHeap = (after.heapUsed - base.heapUsed) / n;
  const perRss = (after.rss - base.rss) / n;
  const byKind = new Map<string, number>();
  for (const t of traces) {
    const k = `${t.method} ${t.status}`;
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
  }
  const kinds = [...byKind].map(([k, c]) => `${c}× ${k}`).join(', ');
  const failed = new Map<string, number>();
  for (const t of traces)
    if (t.status === null) failed.set(t.error ?? '?', (failed.get(t.error ?? '?') ?? 0) + 1);
  const sorted = [...syncTimes].sort((a, b) => a - b);
  const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  return {
    measures: {
      allMs,
      cpuMs: cpu,
      heapPerManager: perHeap,
      rssPerManager: perRss,
      requests: traces.length,
    },
    title:
      `Scale: ${n} managers, ${n} accounts, one shared undici Agent` +
      (options.storage ? `, ${options.storage.name} storage` : '') +
      (options.connections !== undefined
        ? ` limited to ${options.connections} connections`
        : ' (unlimited connections)') +
      (concurrency < n ? `, at most ${concurrency} starting at once` : ', all started at once'),
    rows: [
      {
        name: `time until all ${n} are insync`,
        value: fmt.ms(allMs),
        baseline: `${fmt.ms(n * oneMs)} = ${n} × one manager alone (${fmt.ms(oneMs)})`,
        ratio: fmt.ratio(allMs / (n * oneMs)),
        note: `client CPU ${fmt.ms(cpu)} (${((cpu / allMs) * 100).toFixed(0)}% of one core); per manager: median ${fmt.ms(median(syncTimes))}, p95 ${fmt.ms(p95)}, max ${fmt.ms(sorted.at(-1) ?? 0)}`,
      },
      {
        name: 'requests',
        value: `${traces.length}`,
        note: `${(traces.length / n).toFixed(1)} per manager: ${kinds}`,
      },
      {
        name: 'connections opened / wire bytes',
        value: `${wire.sockets}`,
        note: `${fmt.bytes(wire.written)} sent, ${fmt.bytes(wire.read)} received`,
      },
      {
        name: 'heap used per manager (in sync, after gc)',
        value: kib(perHeap),
        baseline: `${mb(base.heapUsed)} heap before`,
        note: `${mb(after.heapUsed)} heap with ${n} managers`,
      },
      {
        name: 'RSS per manager',
        value: kib(perRss),
        baseline: `${mb(base.rss)} RSS before`,
        note: `${mb(after.rss)} RSS with ${n} managers`,
      },
      { name: `stop() of all ${n}`, value: fmt.ms(stopMs) },
    ],
    notes: [
      errors.size > 0
        ? `errors reported on error$: ${[...errors].map(([c, k]) => `${k}× ${c}`).join(', ')}`
        : 'no errors reported on error$',
      ...(failed.size > 0
        ? [
            `requests without an answer (retried with backoff): ${[...failed].map(([e, c]) => `${c}× ${e}`).join('; ')}`,
          ]
        : []),
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const managers = Number(process.argv[2] ?? 500);
  const concurrency = Number(process.argv[3] ?? managers);
  const connections = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  const s = await runScaleBench({
    managers,
    concurrency,
    ...(connections !== undefined ? { connections } : {}),
    log: (l) => console.log(l),
  });
  console.table(s.rows);
  for (const l of s.notes ?? []) console.log(l);
}
