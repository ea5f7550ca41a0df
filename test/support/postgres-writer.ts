/**
 * A child process for the PostgreSQL durability test (test/integration/postgres-durability.test.ts):
 * saves numbered values through `postgresStorage` as fast as it can, on a few accounts at once,
 * and prints `ACK <account> <n>` once each save has resolved. The parent kills it and crashes
 * PostgreSQL; every acknowledged save must be there afterwards.
 *
 * Run: `node --import tsx test/support/postgres-writer.ts <connection string> <table> <accounts>`.
 */
import pg from 'pg';
import { postgresStorage } from '../../src/store/postgres-storage.js';

const [url, table, count] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 8 });
// The parent crashes PostgreSQL under us: report nothing, just stop acknowledging.
pool.on('error', () => {});
const storage = postgresStorage(pool, { table: table! });
const out = (line: string) => process.stdout.write(`${line}\n`);

const writer = async (account: string) => {
  for (let n = 0; ; n++) {
    await storage.save([account, 'journal'], { n, pad: 'x'.repeat(200) });
    out(`ACK ${account} ${n}`);
  }
};
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => writer(`w${i}@example.com`)),
).catch(() => {});
