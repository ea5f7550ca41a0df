/**
 * Service benchmark: many accounts in one process against the Kamailio test server with
 * xcap-diff on (SIP over TCP), the way a presence or contact-sync service runs them. Every
 * manager is started, and counted done once it is in sync AND its xcap-diff subscription is
 * active. Measured: the time until all are, heap and RSS per account (after a full gc, against
 * the process before the managers were created), the SIP connections opened (the pool's count
 * and the kernel's, `ss`), HTTP requests per account, and the requests per account of a resync
 * with nothing changed (a sample of accounts stopped and started again on their store).
 *
 * The accounts are real: u601… of the test server's pool, provisioned in its sqlite database
 * (`RXCAP_POOL_SIZE`). When the running server has too few, {@link ensureServiceAccounts}
 * restarts it with enough (test-server/start.sh on the exported ports).
 *
 * Run alone: `npx tsx bench/service.ts [accounts] [baseline accounts] [PostgreSQL accounts]`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { filter, firstValueFrom, tap, timeout } from 'rxjs';
import { undiciTransport } from '../src/client/undici-transport.js';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import type { DiffPort } from '../src/ports/index.js';
import { nodeSipDiffPort, sharedSipDiffPort } from '../src/sip/node.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { StoragePort } from '../src/store/storage-port.js';
import {
  TEST_SERVER_ENV_FILE,
  type TestServerEnv,
  type TestUser,
} from '../test/support/test-server.js';
import { countingAgent, cpuMs, fmt, gc, type Row, type Section, wipeUsers } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Service accounts start above the pool numbers the tests and the other benchmarks use. */
const FIRST = 601;

const readEnv = (): TestServerEnv =>
  JSON.parse(readFileSync(TEST_SERVER_ENV_FILE, 'utf8')) as TestServerEnv;

/**
 * Makes sure the test server has `accounts` service accounts (u601…): restarts it with
 * `RXCAP_POOL_SIZE` = 600 + accounts (and shared memory for the per-account-connection
 * baseline) when it has fewer. Returns whether it restarted the server.
 *
 * @example await ensureServiceAccounts(10_000, console.log)
 */
export function ensureServiceAccounts(accounts: number, log: (l: string) => void): boolean {
  const need = FIRST - 1 + accounts;
  if (readEnv().users.pool.count >= need) return false;
  log(`test server has too few accounts: restarting it with RXCAP_POOL_SIZE=${need}`);
  execFileSync('bash', [join(ROOT, 'test-server', 'start.sh')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      RXCAP_POOL_SIZE: String(need),
      RXCAP_SHM_MB: String(Math.max(Number(process.env.RXCAP_SHM_MB ?? 0), 4096)),
    },
  });
  return true;
}

function serviceUsers(env: TestServerEnv, n: number): TestUser[] {
  const { prefix, count, passwordSuffix } = env.users.pool;
  if (FIRST - 1 + n > count)
    throw new RangeError(`the test server has ${count} pool accounts, ${FIRST - 1 + n} needed`);
  return Array.from({ length: n }, (_, i) => {
    const username = `${prefix}${String(FIRST + i).padStart(3, '0')}`;
    return {
      id: `sip:${username}@${env.domain}`,
      username,
      password: `${username}${passwordSuffix}`,
    };
  });
}

/** Established TCP connections of this process to `hostPort` (the kernel's count). */
function connectionsTo(hostPort: string): number {
  try {
    const out = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l.includes(` ${hostPort} `) && l.includes(`pid=${process.pid},`)).length;
  } catch {
    return -1;
  }
}

/** Options of {@link runServiceBench}. */
export interface ServiceOptions {
  readonly accounts: number;
  /** `shared`: one `sharedSipDiffPort()` for all; `own`: a `nodeSipDiffPort()` per manager. */
  readonly sip: 'shared' | 'own';
  /** At most this many managers starting (not yet in sync and active) at once; default 200. */
  readonly concurrency?: number;
  /** HTTP connections of the shared undici Agent; default 32. */
  readonly httpConnections?: number;
  /** Accounts stopped and started again for the resync figure; default 200. */
  readonly resyncSample?: number;
  /** One store for all managers, opened after the memory baseline; default `memoryStorage()`. */
  readonly storage?: { readonly name: string; open(): StoragePort; close?(): Promise<void> };
  readonly log?: (l: string) => void;
}

/** The figures of one service run. */
export interface ServiceMeasures {
  readonly accounts: number;
  readonly allMs: number;
  readonly cpuMs: number;
  readonly heapPerAccount: number;
  readonly rssPerAccount: number;
  readonly heapBefore: number;
  readonly rssBefore: number;
  /** SIP connections opened in all (the pool's count, or one per manager). */
  readonly sipOpened: number;
  /** Established TCP connections to the SIP port while all were active (`ss`). */
  readonly sipOpenNow: number;
  readonly httpConnections: number;
  readonly requestsPerAccount: number;
  readonly resyncRequestsPerAccount: number;
  readonly resyncSample: number;
  readonly resyncMs: number;
  readonly stopMs: number;
  readonly errors: ReadonlyMap<string, number>;
}

/**
 * Runs `accounts` managers with xcap-diff on until all are in sync and subscribed, measures,
 * resyncs a sample, stops them all.
 *
 * @example const m = await runServiceBench({ accounts: 10_000, sip: 'shared' });
 */
export async function runServiceBench(options: ServiceOptions): Promise<ServiceMeasures> {
  const log = options.log ?? (() => {});
  const env = readEnv();
  const n = options.accounts;
  const users = serviceUsers(env, n);
  // In slices: one statement naming 10,000 accounts is over the argument size limit (E2BIG).
  for (let i = 0; i < n; i += 1000) wipeUsers(users.slice(i, i + 1000));

  gc();
  const base = process.memoryUsage();
  const agent = countingAgent({ connections: options.httpConnections ?? 32 });
  const shared = options.sip === 'shared' ? sharedSipDiffPort() : undefined;
  const store = options.storage?.open();
  // Which accounts' subscriptions are active now, and who waits for one.
  const active = new Set<string>();
  const waiting = new Map<string, () => void>();
  const watched = (port: DiffPort): DiffPort => ({
    watch: (settings, control) =>
      port.watch(settings, control).pipe(
        tap((e) => {
          if (e.type !== 'state') return;
          if (e.state === 'active') {
            active.add(settings.xui);
            waiting.get(settings.xui)?.();
          } else active.delete(settings.xui);
        }),
      ),
  });
  const sharedPort = shared === undefined ? undefined : watched(shared);
  let requests = 0;
  const errors = new Map<string, number>();
  const managers: XcapManager[] = users.map((u) => {
    const m = createXcapManager({
      account: {
        id: u.id,
        auth: { username: u.username, password: u.password },
        xcap: { root: env.xcapRoot },
        sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp'] },
      },
      storage: store ?? memoryStorage(),
      client: { dispatcher: agent.agent, transport: undiciTransport },
      sip: sharedPort ?? watched(nodeSipDiffPort()),
      pollPeriod: 3_600_000,
      backoff: { initialDelay: 500, maxDelay: 10_000 },
    });
    m.trace$.subscribe(() => requests++);
    m.error$.subscribe((e) => errors.set(e.code, (errors.get(e.code) ?? 0) + 1));
    return m;
  });
  const ready = async (m: XcapManager, xui: string): Promise<void> => {
    const subscribed = active.has(xui)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiting.set(xui, resolve));
    await firstValueFrom(
      m.state$.pipe(
        filter((s) => s.state === 'insync'),
        timeout(600_000),
      ),
    );
    await subscribed;
    waiting.delete(xui);
  };
  const startAll = async (list: readonly number[], concurrency: number): Promise<void> => {
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const i = list[next++]!;
        const m = managers[i]!;
        const r = ready(m, users[i]!.id);
        await m.start();
        await r;
        if (++done % 1000 === 0) log(`${done} of ${list.length} in sync and subscribed`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  };

  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await startAll(
    users.map((_, i) => i),
    options.concurrency ?? 200,
  );
  const allMs = performance.now() - t0;
  const cpu = cpuMs(c0);
  log(`${n} accounts in sync with xcap-diff active after ${fmt.ms(allMs)}`);
  const firstRequests = requests;
  const sipOpenNow = connectionsTo(env.sip.tcp);
  const sipOpened = shared?.connections.stats().opened ?? n;
  gc();
  const after = process.memoryUsage();

  // Resync with nothing changed: a sample stopped and started again on its store.
  const sample = Array.from({ length: Math.min(options.resyncSample ?? 200, n) }, (_, i) => i);
  await Promise.all(sample.map((i) => managers[i]!.stop()));
  for (const i of sample) active.delete(users[i]!.id);
  const r0 = requests;
  const rt0 = performance.now();
  await startAll(sample, options.concurrency ?? 200);
  const resyncMs = performance.now() - rt0;
  const resyncRequests = requests - r0;

  const s0 = performance.now();
  await Promise.all(managers.map((m) => m.stop()));
  const stopMs = performance.now() - s0;
  await Promise.all(managers.map((m) => m.close()));
  const httpConnections = agent.bytes().sockets;
  await agent.agent.close();
  await store?.close();
  await options.storage?.close?.();
  return {
    accounts: n,
    allMs,
    cpuMs: cpu,
    heapPerAccount: (after.heapUsed - base.heapUsed) / n,
    rssPerAccount: (after.rss - base.rss) / n,
    heapBefore: base.heapUsed,
    rssBefore: base.rss,
    sipOpened,
    sipOpenNow,
    httpConnections,
    requestsPerAccount: firstRequests / n,
    resyncRequestsPerAccount: resyncRequests / sample.length,
    resyncSample: sample.length,
    resyncMs,
    stopMs,
    errors,
  };
}

const kib = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;
const perAccount = (m: ServiceMeasures): string => fmt.ms(m.allMs / m.accounts);

/** Options of {@link runServiceSection}. */
export interface ServiceSectionOptions {
  /** Accounts of the shared-connection run; default 10,000. */
  readonly accounts?: number;
  /** Accounts of the one-connection-per-manager baseline; default 100. */
  readonly baselineAccounts?: number;
  /** Accounts of the PostgreSQL run (and of its memory baseline); 0 skips it. Default 1,000. */
  readonly postgresAccounts?: number;
  /** Opens the PostgreSQL storage and closes what it needs to (bench/storage.ts does). */
  readonly postgres?: () => Promise<{
    readonly storage: ServiceOptions['storage'];
    done(): Promise<void>;
  }>;
  readonly log?: (l: string) => void;
}

/**
 * The service section of `npm run bench`: the shared-connection run beside the
 * one-connection-per-manager baseline, and PostgreSQL storage beside memory at the same size.
 *
 * @example const section = await runServiceSection({ accounts: 10_000 });
 */
export async function runServiceSection(options: ServiceSectionOptions = {}): Promise<Section> {
  const log = options.log ?? (() => {});
  const n = options.accounts ?? 10_000;
  const b = options.baselineAccounts ?? 100;
  const p = options.postgres === undefined ? 0 : (options.postgresAccounts ?? 1000);
  ensureServiceAccounts(Math.max(n, b, p), log);
  log(`baseline: ${b} accounts, one SIP connection per manager`);
  const own = await runServiceBench({ accounts: b, sip: 'own', log });
  log(`${n} accounts, shared SIP connections`);
  const shared = await runServiceBench({ accounts: n, sip: 'shared', log });
  let pgRows: Row[] = [];
  if (p > 0 && options.postgres !== undefined) {
    const mem = p === n ? shared : await runServiceBench({ accounts: p, sip: 'shared', log });
    const pg = await options.postgres();
    let durable: ServiceMeasures;
    try {
      log(`${p} accounts, shared SIP connections, PostgreSQL storage`);
      durable = await runServiceBench({
        accounts: p,
        sip: 'shared',
        ...(pg.storage !== undefined ? { storage: pg.storage } : {}),
        log,
      });
    } finally {
      await pg.done();
    }
    pgRows = [
      {
        name: `PostgreSQL storage, ${p} accounts: time per account until all in sync`,
        value: perAccount(durable),
        baseline: `memory storage ${perAccount(mem)} (${p} accounts)`,
        ratio: fmt.ratio(durable.allMs / mem.allMs),
        note: `all in ${fmt.ms(durable.allMs)}; client CPU ${fmt.ms(durable.cpuMs / p)} per account (memory ${fmt.ms(mem.cpuMs / p)})`,
      },
      {
        name: `PostgreSQL storage: heap / RSS per account`,
        value: `${kib(durable.heapPerAccount)} / ${kib(durable.rssPerAccount)}`,
        baseline: `memory ${kib(mem.heapPerAccount)} / ${kib(mem.rssPerAccount)}`,
        note: `extra per account: ${kib(durable.heapPerAccount - mem.heapPerAccount)} heap`,
      },
    ];
  }
  const errors = (m: ServiceMeasures): string =>
    m.errors.size === 0 ? 'none' : [...m.errors].map(([c, k]) => `${k}× ${c}`).join(', ');
  return {
    title: `Service: ${n} accounts in one process, xcap-diff on (SIP over TCP), ${shared.httpConnections} HTTP connections, at most 200 starting at once`,
    rows: [
      {
        name: `time until all ${n} are in sync with xcap-diff active`,
        value: fmt.ms(shared.allMs),
        baseline: `${perAccount(own)} per account with one connection each (${b} accounts in ${fmt.ms(own.allMs)})`,
        ratio: fmt.ratio(shared.allMs / n / (own.allMs / b)),
        note: `${perAccount(shared)} per account; client CPU ${fmt.ms(shared.cpuMs / n)} per account (baseline ${fmt.ms(own.cpuMs / b)})`,
      },
      {
        name: 'heap per account (after gc)',
        value: kib(shared.heapPerAccount),
        baseline: `${kib(own.heapPerAccount)} with one connection each`,
        ratio: fmt.ratio(shared.heapPerAccount / own.heapPerAccount),
        note: `goal ≤ 100 KiB; ${(shared.heapBefore / 1048576).toFixed(1)} MiB heap before`,
      },
      {
        name: 'RSS per account',
        value: kib(shared.rssPerAccount),
        baseline: `${kib(own.rssPerAccount)} with one connection each`,
        ratio: fmt.ratio(shared.rssPerAccount / own.rssPerAccount),
      },
      {
        name: 'SIP connections opened / established (ss)',
        value: `${shared.sipOpened} / ${shared.sipOpenNow}`,
        baseline: `${own.sipOpened} / ${own.sipOpenNow} for ${b} accounts`,
        note: `pool: at most 2000 accounts per connection (maxPerConnection)`,
      },
      {
        name: 'HTTP requests per account, first sync of an empty account',
        value: shared.requestsPerAccount.toFixed(1),
        baseline: `${own.requestsPerAccount.toFixed(1)} with one connection each`,
      },
      {
        name: 'HTTP requests per account, resync with nothing changed (stop, start)',
        value: shared.resyncRequestsPerAccount.toFixed(1),
        baseline: `${own.resyncRequestsPerAccount.toFixed(1)} with one connection each`,
        note: `${shared.resyncSample} accounts stopped and started again in ${fmt.ms(shared.resyncMs)}`,
      },
      ...pgRows,
    ],
    notes: [
      `errors on error$: shared ${errors(shared)}; baseline ${errors(own)}`,
      `stop() of all ${n}: ${fmt.ms(shared.stopMs)} (each un-SUBSCRIBEs and waits for the final NOTIFY)`,
      'The accounts are provisioned on the test server (u601…, RXCAP_POOL_SIZE); documents are wiped first, so every first sync creates them (PUTs, each followed by a NOTIFY).',
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // npx tsx bench/service.ts [accounts] [baseline accounts] [PostgreSQL accounts]
  const { benchPostgres } = await import('./storage.js');
  const section = await runServiceSection({
    accounts: Number(process.argv[2] ?? 10_000),
    baselineAccounts: Number(process.argv[3] ?? 100),
    postgresAccounts: Number(process.argv[4] ?? 0),
    postgres: () => benchPostgres(console.log),
    log: (l) => console.log(l),
  });
  console.log(section.title);
  for (const r of section.rows)
    console.log(
      `- ${r.name}: ${r.value}${r.baseline ? ` | baseline ${r.baseline}` : ''}${r.ratio ? ` | ${r.ratio}` : ''}${r.note ? ` | ${r.note}` : ''}`,
    );
  for (const n of section.notes ?? []) console.log(`* ${n}`);
  process.exit(0);
}
