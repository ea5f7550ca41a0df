/**
 * Who else is there: the fleet's view of PostgreSQL's lock table. Each fleet process holds one
 * session advisory lock in its group's namespace on a connection of its own (its membership),
 * so the number of live members is the number of such locks — PostgreSQL drops a member's lock
 * with its session, as it drops the accounts it owned. The same table tells which accounts are
 * owned by someone, so a scan tries only the free ones.
 */
import { createHash, randomInt } from 'node:crypto';
import type { PgPool, PgSession } from '../store/postgres-sql.js';

const MEMBERS = `SELECT count(*) AS members FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::int4::oid
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
// A bigint advisory key is stored as its high (classid) and low (objid) 32 bits, objsubid 1.
const LOCKED = `SELECT classid::text AS hi, objid::text AS lo FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/**
 * This process's membership of a fleet group.
 *
 * @example
 * ```ts
 * const member = membership(pool, 'rxcap');
 * await member.join();
 * const { members, locked } = await member.look(); // 3, Set { '-8371...' }
 * ```
 */
export function membership(pool: PgPool, group: string) {
  const namespace =
    createHash('sha256').update(`rxcap-fleet:${group}`).digest().readInt32BE(0) & 0x7fffffff;
  const id = randomInt(1, 0x7fffffff);
  let session: PgSession | null = null;
  let joining: Promise<void> | null = null;

  const drop = (s: PgSession) => {
    if (session !== s) return;
    session = null;
    try {
      s.release(true);
    } catch {
      // Already released.
    }
  };

  return {
    /** Hold this member's lock (again, after its session ended). */
    join(): Promise<void> {
      if (session) return Promise.resolve();
      joining ??= (async () => {
        const s = await pool.connect();
        s.on('error', () => drop(s));
        try {
          await s.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [namespace, id]);
        } catch (e) {
          s.release(true);
          throw e;
        }
        session = s;
      })().finally(() => {
        joining = null;
      });
      return joining;
    },
    /** The number of live members (at least 1: us) and the advisory keys held by anyone. */
    async look(): Promise<{ members: number; locked: Set<string> }> {
      const [m, l] = await Promise.all([pool.query(MEMBERS, [namespace]), pool.query(LOCKED)]);
      const locked = new Set<string>();
      for (const r of l.rows) {
        const key = BigInt.asIntN(64, (BigInt(String(r.hi)) << 32n) | BigInt(String(r.lo)));
        locked.add(key.toString());
      }
      return { members: Math.max(1, Number(m.rows[0]?.members ?? 1)), locked };
    },
    /** Leave the group (our lock goes with the session). */
    leave(): void {
      if (session) drop(session);
    },
  };
}
