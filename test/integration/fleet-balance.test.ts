/**
 * The fleet's ownership rules against a real PostgreSQL, with two fleets in one process (each
 * has its own storage and lock session, so they are two owners as two processes would be). The
 * accounts point at a closed port: ownership does not depend on the XCAP server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { createFleet, type Fleet, type FleetAccountStatus } from '../../src/fleet/fleet.js';
import type { AccountSettings } from '../../src/index.js';
import { restartPostgresImmediately, testPool } from '../support/postgres.js';

const pool = testPool({ max: 20 });
// The test crashes PostgreSQL: idle connections of the pool then end with an error.
pool.on('error', () => {});
const table = `b_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}_values, ${table}_owners`);
  await pool.end();
});

const accounts: AccountSettings[] = Array.from({ length: 6 }, (_, i) => ({
  id: `sip:b${i}@example.com`,
  auth: { password: 'x' },
  xcap: { root: 'http://127.0.0.1:9/xcap-root', xcapDiff: false },
}));
const fleet = (): Fleet =>
  createFleet({ pool, accounts, storage: { table }, scanIntervalMs: 200, releaseOn: [] });

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('shares the accounts between live fleets, and one that stops hands its accounts over at once', async () => {
  const a = fleet();
  const seen: FleetAccountStatus[] = [];
  a.status$.subscribe((s) => seen.push(s));
  // A new subscriber first gets every account's status.
  expect(seen.map((s) => s.account)).toStrictEqual(accounts.map((x) => x.id));
  await a.start();
  expect(a.owned().sort()).toStrictEqual(accounts.map((x) => x.id).sort());
  expect(a.manager(accounts[0]!.id)).toBeDefined();

  const b = fleet();
  await b.start();
  await until('a fair share each', () => a.owned().length === 3 && b.owned().length === 3);
  // Never both at once.
  expect(a.owned().filter((id) => b.owned().includes(id))).toStrictEqual([]);
  expect(a.manager(b.owned()[0]!)).toBeUndefined();

  const stoppedAt = Date.now();
  await a.stop();
  await until('b owning everything', () => b.owned().length === 6, 5000);
  expect(Date.now() - stoppedAt).toBeLessThan(3000);
  const last = new Map(seen.map((s) => [s.account, s]));
  expect([...last.values()].every((s) => !s.owned)).toBe(true);
  await b.stop();
});

it('after PostgreSQL crashes and restarts, a fleet loses its accounts (managers stopped) and takes them all again', async () => {
  const a = fleet();
  const lost: string[] = [];
  a.storage.lost$.subscribe((l) => lost.push(`${l.account} ${l.reason}`));
  await a.start();
  expect(a.owned()).toHaveLength(6);
  const before = a.manager(accounts[0]!.id);
  restartPostgresImmediately();
  await until('every account lost', () => lost.length === 6, 10_000);
  expect(lost.every((l) => l.endsWith(' session'))).toBe(true);
  await until('every account owned again', () => a.owned().length === 6, 15_000);
  // New managers, started on the journal in PostgreSQL; the storage writes again.
  expect(a.manager(accounts[0]!.id)).not.toBe(before);
  await a.storage.save([accounts[0]!.id, 'probe'], 1);
  expect(await a.storage.load([accounts[0]!.id, 'probe'])).toBe(1);
  await a.stop();
}, 40_000);
