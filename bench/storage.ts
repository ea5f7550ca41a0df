/**
 * Storage benchmark: what durable storage adds per account when one process runs many
 * managers. The scale benchmark (bench/scale.ts) runs three times on the same accounts, the
 * managers of each run sharing one store: `memoryStorage()` (the baseline: nothing durable),
 * `fileStorage(dir)` (fsync per write, one lock file per account) and `postgresStorage(pool)`
 * (one synchronous commit per write, one advisory lock per account). Also: the latency of one
 * journal save, and what PostgreSQL stores per account.
 *
 * Needs the Kamailio test server and the PostgreSQL test cluster; starts the cluster when it
 * does not answer (test-server/postgres/start.sh) and stops it again.
 * Run alone: `npx tsx bench/storage.ts [managers]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { fileStorage } from '../src/store/file-storage.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import { postgresStorage } from '../src/store/postgres-storage.js';
import type { StoragePort } from '../src/store/storage-port.js';
import { postgresUrl } from '../test/support/postgres.js';
import { runScaleBench, type ScaleMeasures } from './scale.js';
import { fmt, median, type Section } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const kib = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The median latency of `n` journal saves of a 10-operation journal, one after another. */
async function saveLatency(storage: StoragePort, account: string, n = 100): Promise<number> {
  const journal = Array.from({ length: 10 }, (_, i) => ({
    id: `op-${i}`,
    operation: { kind: 'addContact', contact: { id: `c${i}`, name: `Contact ${i}` } },
  }));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await storage.save([account, 'journal'], journal);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * @example const section = await runStorageBench({ managers: 200 });
 */
export async function runStorageBench(
  options: { managers?: number; log?: (l: string) => void } = {},
): Promise<Section> {
  const managers = options.managers ?? 200;
  const log = options.log ?? (() => {});
  const startedPg = !(await postgresAnswers());
  if (startedPg) {
    log('PostgreSQL test cluster not running: bash test-server/postgres/start.sh');
    execFileSync('bash', [join(ROOT, 'test-server', 'postgres', 'start.sh')], { stdio: 'inherit' });
  }
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 10 });
  const table = `bench_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'rxcap-bench-store-'));
  try {
    const runs: [string, ScaleMeasures][] = [];
    for (const [name, open] of [
      ['memory', () => memoryStorage()],
      ['file', () => fileStorage(join(dir, 'scale'))],
      ['PostgreSQL', () => postgresStorage(pool, { table })],
    ] as const) {
      log(`scale with ${name} storage`);
      const s = await runScaleBench({
        managers,
        concurrency: 50,
        storage: { name, open },
        log,
      });
      runs.push([name, s.measures]);
    }
    const { rows } = await pool.query(
      `SELECT pg_total_relation_size('${table}_values') + pg_total_relation_size('${table}_owners') AS bytes,
        (SELECT count(*) FROM ${table}_values) AS values`,
    );
    const pgBytes = Number(rows[0]?.bytes);

    const file = fileStorage(join(dir, 'latency'));
    const fileMs = await saveLatency(file, 'latency@example.com');
    await file.close();
    const pgStore = postgresStorage(pool, { table });
    const pgMs = await saveLatency(pgStore, 'latency@example.com');
    await pgStore.close();

    const memory = runs[0]![1];
    return {
      title: `Storage: ${managers} managers in one process (at most 50 starting at once), memory vs file vs PostgreSQL storage`,
      rows: [
        ...runs.map(([name, m]) => ({
          name: `${name}: all in sync / client CPU`,
          value: fmt.ms(m.allMs),
          baseline: name === 'memory' ? undefined : `memory ${fmt.ms(memory.allMs)}`,
          ratio: name === 'memory' ? undefined : fmt.ratio(m.allMs / memory.allMs),
          note: `client CPU ${fmt.ms(m.cpuMs)} (${fmt.ms(m.cpuMs / managers)} per account; memory ${fmt.ms(memory.cpuMs / managers)}); ${m.requests} requests`,
        })),
        ...runs.map(([name, m]) => ({
          name: `${name}: heap / RSS per manager`,
          value: `${kib(m.heapPerManager)} / ${kib(m.rssPerManager)}`,
          baseline:
            name === 'memory'
              ? undefined
              : `memory ${kib(memory.heapPerManager)} / ${kib(memory.rssPerManager)}`,
        })),
        {
          name: 'one journal save (10 operations), median of 100',
          value: `file ${fmt.ms(fileMs)}, PostgreSQL ${fmt.ms(pgMs)}`,
          note: 'file: temp file, fsync, rename, fsync of the folder; PostgreSQL: one statement, synchronous commit',
        },
        {
          name: 'PostgreSQL bytes per account (tables, TOAST and indexes)',
          value: fmt.bytes(pgBytes / managers),
          note: `${rows[0]?.values} rows for ${managers} accounts (document cache, journal); documents compressed by TOAST`,
        },
      ],
      notes: [
        'All three runs sync the same (wiped) accounts against the same server; the differences are the cost of the store.',
      ],
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}_values, ${table}_owners`).catch(() => {});
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    if (startedPg) {
      execFileSync('bash', [join(ROOT, 'test-server', 'postgres', 'stop.sh')], {
        stdio: 'inherit',
      });
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await runStorageBench({
    managers: Number(process.argv[2] ?? 200),
    log: (l) => console.log(l),
  });
  console.table(s.rows);
}

/**
 * PostgreSQL storage for another benchmark: starts the test cluster when it does not answer,
 * and `done()` drops the table and stops what it started.
 *
 * @example const pg = await benchPostgres(); runServiceBench({ storage: pg.storage }); await pg.done();
 */
export async function benchPostgres(log: (l: string) => void = () => {}): Promise<{
  readonly storage: { readonly name: string; open(): StoragePort };
  done(): Promise<void>;
}> {
  const startedPg = !(await postgresAnswers());
  if (startedPg) {
    log('PostgreSQL test cluster not running: bash test-server/postgres/start.sh');
    execFileSync('bash', [join(ROOT, 'test-server', 'postgres', 'start.sh')], { stdio: 'inherit' });
  }
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 10 });
  const table = `bench_service_${process.pid}`;
  return {
    storage: { name: 'PostgreSQL', open: () => postgresStorage(pool, { table }) },
    async done() {
      await pool.query(`DROP TABLE IF EXISTS ${table}_values, ${table}_owners`).catch(() => {});
      await pool.end();
      if (startedPg)
        execFileSync('bash', [join(ROOT, 'test-server', 'postgres', 'stop.sh')], {
          stdio: 'inherit',
        });
    },
  };
}
