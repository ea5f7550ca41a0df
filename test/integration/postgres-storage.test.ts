/**
 * The PostgreSQL storage adapter against a real PostgreSQL (the throw-away test cluster of
 * test-server/postgres/start.sh): the storage contract every adapter passes, ownership of
 * accounts between storages (as between processes: each storage has its own lock session),
 * fencing, and compact storage of documents.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import { XcapStoreIoError, XcapStoreLockedError } from '../../src/store/errors.js';
import { statements } from '../../src/store/postgres-sql.js';
import {
  type OwnershipLost,
  type PostgresStorage,
  postgresStorage,
} from '../../src/store/postgres-storage.js';
import { runStorageContract } from '../../src/testing/storage-contract.js';
import { testPool } from '../support/postgres.js';

const pool = testPool();
const tables: string[] = [];
const freshTable = () => {
  const name = `t_${randomBytes(6).toString('hex')}`;
  tables.push(name);
  return name;
};
afterAll(async () => {
  for (const t of tables) {
    await pool.query(`DROP TABLE IF EXISTS ${t}_values, ${t}_owners`);
  }
  await pool.end();
});

runStorageContract(
  {
    name: 'postgresStorage',
    durable: true,
    setup() {
      const table = freshTable();
      return { open: () => postgresStorage(pool, { table }) };
    },
  },
  { describe, it, expect, beforeEach, afterEach },
);

describe('postgresStorage ownership', () => {
  const opened: PostgresStorage[] = [];
  const open = (table: string) => {
    const s = postgresStorage(pool, { table, heartbeatMs: 500 });
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  const ALICE = 'alice@example.com';

  it('refuses a second owner (held) until the first releases the account', async () => {
    const table = freshTable();
    const a = open(table);
    const b = open(table);
    await a.save([ALICE, 'journal'], [1]);
    expect(a.owned()).toStrictEqual([ALICE]);
    const refused = await b.load([ALICE, 'journal']).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(XcapStoreLockedError);
    expect((refused as XcapStoreLockedError).reason).toBe('held');
    expect(await b.acquire(ALICE)).toBe(false);
    await a.release(ALICE);
    expect(a.owned()).toStrictEqual([]);
    expect(await b.acquire(ALICE)).toBe(true);
    expect(await b.load([ALICE, 'journal'])).toStrictEqual([1]);
    // Now a is the one refused.
    expect(await a.acquire(ALICE)).toBe(false);
  });

  it('frees the account at once when the owner closes', async () => {
    const table = freshTable();
    const a = open(table);
    await a.save([ALICE, 'journal'], 'a');
    await a.close();
    const b = open(table);
    expect(await b.load([ALICE, 'journal'])).toBe('a');
  });

  it('loses every account when its lock session ends, and a successor takes them over', async () => {
    const table = freshTable();
    const a = open(table);
    const lost: OwnershipLost[] = [];
    a.lost$.subscribe((l) => lost.push(l));
    await a.save([ALICE, 'journal'], 'from a');
    // Kill a's lock session from the server side, as a network failure would.
    await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
         AND granted AND (classid::bigint << 32 | objid::bigint) = ($1::bigint & x'FFFFFFFFFFFFFFFF'::bigint)`,
      [(await import('../../src/store/postgres-storage.js')).lockKey(table, ALICE)],
    );
    const b = open(table);
    const deadline = Date.now() + 5000;
    while (!(await b.acquire(ALICE)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(b.owned()).toStrictEqual([ALICE]);
    await b.save([ALICE, 'journal'], 'from b');
    const stale = await a.save([ALICE, 'journal'], 'stale a').catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(XcapStoreLockedError);
    expect((stale as XcapStoreLockedError).reason).toBe('compromised');
    expect(await b.load([ALICE, 'journal'])).toBe('from b');
    expect(lost.map((l) => l.account)).toStrictEqual([ALICE]);
  });

  it('a failed acquire statement leaves no lock behind', async () => {
    const table = freshTable();
    const a = open(table);
    await a.save(['sip:other@example.com', 'journal'], 1); // creates the tables
    // A real failure inside the acquire statement, after pg_try_advisory_lock took the lock:
    // the fence bump is refused for this account.
    await pool.query(`CREATE FUNCTION ${table}_refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'fake: fence bump refused'; END $$`);
    await pool.query(`CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ${table}_owners
      FOR EACH ROW WHEN (NEW.account = '${ALICE}') EXECUTE FUNCTION ${table}_refuse()`);
    const failed = await a.acquire(ALICE).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(XcapStoreIoError);
    expect(a.owned()).toStrictEqual(['sip:other@example.com']);
    await pool.query(`DROP TRIGGER refuse ON ${table}_owners`);
    await pool.query(`DROP FUNCTION ${table}_refuse()`);
    // Before: a's session kept the lock nobody counted, and b was refused until a's session
    // ended.
    const b = open(table);
    expect(await b.acquire(ALICE)).toBe(true);
    await b.release(ALICE);
    // And a takes it once and gives it up once: b can take it again after a's release.
    expect(await a.acquire(ALICE)).toBe(true);
    await a.release(ALICE);
    expect(await b.acquire(ALICE)).toBe(true);
    expect(a.owned()).toStrictEqual(['sip:other@example.com']);
  });

  it('a failed unlock ends the lock session, so the lock is not kept', async () => {
    const table = freshTable();
    // The lock session's pg_advisory_unlock fails once (injected in the client, before the
    // statement is sent), as a cancelled statement or a broken query would.
    let failUnlock = false;
    const injecting = {
      query: (text: string, values?: unknown[]) => pool.query(text, values),
      connect: async () => {
        const client = await pool.connect();
        const query = client.query.bind(client) as (
          t: string,
          v?: unknown[],
        ) => Promise<pg.QueryResult>;
        return Object.assign(client, {
          query: (text: string, values?: unknown[]) => {
            if (failUnlock && text.includes('pg_advisory_unlock')) {
              failUnlock = false;
              return Promise.reject(new Error('fake: unlock failed'));
            }
            return query(text, values);
          },
        });
      },
    };
    const a = postgresStorage(injecting, { table, heartbeatMs: 500 });
    opened.push(a);
    const lost: OwnershipLost[] = [];
    a.lost$.subscribe((l) => lost.push(l));
    await a.save([ALICE, 'journal'], 'a');
    await a.save(['sip:other@example.com', 'journal'], 'a');
    failUnlock = true;
    await a.release(ALICE);
    expect(failUnlock).toBe(false);
    // Before: the lock stayed with a's session and b was refused until that session ended.
    const b = open(table);
    expect(await b.acquire(ALICE)).toBe(true);
    // Ending the session freed a's other lock too, and says so.
    expect(lost.map((l) => [l.account, l.reason])).toStrictEqual([
      ['sip:other@example.com', 'session'],
    ]);
    expect(await b.acquire('sip:other@example.com')).toBe(true);
  });

  it('a write carrying a superseded fence changes nothing (the SQL checks the fence, not only the session)', async () => {
    const table = freshTable();
    const a = open(table);
    await a.save([ALICE, 'journal'], 'first');
    await a.release(ALICE);
    const b = open(table);
    expect(await b.acquire(ALICE)).toBe(true);
    await b.save([ALICE, 'journal'], 'second');
    // a's fence was 1, b's is 2: replay a's save statement as a's lost write would run.
    const sql = statements(table);
    const stale = await pool.query(sql.save, [ALICE, '1', ['journal'], '"stale"']);
    expect(Number(stale.rows[0]?.owned)).toBe(0);
    const purge = await pool.query(sql.purge, [ALICE, '1', [], 0]);
    expect(Number(purge.rows[0]?.owned)).toBe(0);
    expect(await b.load([ALICE, 'journal'])).toBe('second');
    const current = await pool.query(sql.save, [ALICE, '2', ['journal'], '"third"']);
    expect(Number(current.rows[0]?.owned)).toBe(1);
    expect(await b.load([ALICE, 'journal'])).toBe('third');
  });

  it('reports an unreachable PostgreSQL as XcapStoreIoError, and refuses a table name that is not an identifier', async () => {
    const nowhere = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:9/rxcap' });
    try {
      const s = postgresStorage(nowhere, { table: freshTable() });
      const error = await s.save([ALICE, 'journal'], 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(XcapStoreIoError);
      expect((error as XcapStoreIoError).syscallCode).toBe('ECONNREFUSED');
      await s.close();
    } finally {
      await nowhere.end();
    }
    for (const table of ['Rxcap', 'a-b', 'x; DROP TABLE y', '', 'a'.repeat(42)]) {
      expect(() => postgresStorage(pool, { table })).toThrow(XcapValidationError);
    }
  });

  it('stores a large document compactly (TOAST compression)', async () => {
    const table = freshTable();
    const s = open(table);
    const content = `<list>${Array.from({ length: 20_000 }, (_, i) => `<entry uri="sip:u${i}@example.com"><display-name>User ${i}</display-name></entry>`).join('')}</list>`;
    await s.save([ALICE, 'documents'], { 'resource-lists': { content, etag: '"1"' } });
    const { rows } = await pool.query(
      `SELECT octet_length(value) AS raw, pg_column_size(value) AS stored FROM ${table}_values`,
    );
    const { raw, stored } = rows[0] as { raw: number; stored: number };
    expect(raw).toBeGreaterThan(1_500_000);
    expect(stored).toBeLessThan(raw / 4);
  });
});
