/**
 * Durability of the PostgreSQL storage: an acknowledged save survives a crash of the process
 * that made it and of PostgreSQL. A child (test/support/postgres-writer.ts) saves as fast as it
 * can; the test SIGKILLs it and at once crashes PostgreSQL (`pg_ctl stop -m immediate`: no
 * checkpoint, only the WAL on disk survives), restarts it and checks that each account holds at
 * least its last acknowledged value.
 *
 * The test cluster's default is `synchronous_commit = off` (test-server/postgres/start.sh), as a
 * tuned server may have it: a commit is then acknowledged before its WAL is on disk and the last
 * fraction of a second of acknowledged saves is lost in such a crash. The adapter turns it on
 * for its own writes; the test fails without that.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresStorage } from '../../src/store/postgres-storage.js';
import { bundleChild } from '../support/bundle-child.js';
import { postgresUrl, restartPostgresImmediately, testPool } from '../support/postgres.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'postgres-writer.ts');
const ACCOUNTS = 4;
const ROUNDS = 3;

const table = `d_${randomBytes(6).toString('hex')}`;
let command: Awaited<ReturnType<typeof bundleChild>>;
beforeAll(async () => {
  command = await bundleChild(WRITER);
});
afterAll(async () => {
  command?.remove();
  const pool = testPool();
  await pool.query(`DROP TABLE IF EXISTS ${table}_values, ${table}_owners`).catch(() => {});
  await pool.end();
});

it(`keeps every acknowledged save across a SIGKILL of the writer and an immediate shutdown of PostgreSQL (${ROUNDS} rounds)`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawn(process.execPath, [...command.args, postgresUrl(), table, `${ACCOUNTS}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked = new Map<string, number>();
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const [, account, n] = line.split(' ');
        acked.set(account!, Number(n));
        // Crash while it writes at full speed, well after start-up.
        if (++total === 400) resolve();
      });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    restartPostgresImmediately();

    const pool = testPool();
    const storage = postgresStorage(pool, { table });
    try {
      for (const [account, n] of acked) {
        const value = (await storage.load([account, 'journal'])) as { n: number };
        expect(value.n, `${account} after round ${round}`).toBeGreaterThanOrEqual(n);
      }
    } finally {
      await storage.close();
      await pool.end();
    }
  }
}, 120_000);
