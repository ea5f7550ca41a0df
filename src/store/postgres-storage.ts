/**
 * The PostgreSQL storage adapter: the storage port on a node-postgres pool the application
 * passes in, with account ownership across processes. Node-only (exported from `src/node.ts`,
 * never from the browser entry); it does not import `pg` itself.
 *
 * - Durability: every write is one statement committed with `synchronous_commit = on` (see
 *   `postgres-sql.ts`), so a resolved `save()` survives a crash of this process and of
 *   PostgreSQL.
 * - Ownership: an account is owned by one storage at a time, through a PostgreSQL session
 *   advisory lock held on one dedicated connection (the lock session) and a fencing token
 *   (`fence`) bumped on every take-over. PostgreSQL frees the lock when the session ends — at
 *   once when the owning process dies (its socket is closed by the kernel), within a few seconds
 *   of TCP keepalive when its machine or network dies — so another process can take the account
 *   over without relying on anyone's clock. Every write carries the fence and is refused
 *   (`XcapStoreLockedError`, reason `compromised`) once a successor has bumped it.
 * - Like the file store, the first operation on an account takes it (`held` when another owner
 *   has it); {@link PostgresStorage.acquire} and {@link PostgresStorage.release} let a fleet
 *   take and give up accounts explicitly.
 */
import { createHash } from 'node:crypto';
import { Subject } from 'rxjs';
import { XcapError, XcapValidationError } from '../errors.js';
import {
  XcapStoreClosedError,
  XcapStoreCorruptError,
  XcapStoreIoError,
  XcapStoreLockedError,
} from './errors.js';
import { lockSession } from './postgres-session.js';
import {
  isTablePrefix,
  type PgPool,
  type PgResult,
  type PgSession,
  type Statements,
  statements,
} from './postgres-sql.js';
import {
  checkKey,
  compareKeys,
  type StorageKey,
  type StoragePort,
  toJsonText,
} from './storage-port.js';

export type { PgPool, PgQueryable, PgResult, PgSession } from './postgres-sql.js';

/**
 * Options of {@link postgresStorage}.
 *
 * @example
 * ```ts
 * postgresStorage(pool, { table: 'rxcap', heartbeatMs: 2000 });
 * ```
 */
export interface PostgresStorageOptions {
  /** Prefix of the two tables (`<table>_values`, `<table>_owners`); default `rxcap`. */
  table?: string;
  /**
   * How often the lock session is checked (a `SELECT 1`), ms; default 2000. A check that fails,
   * or takes longer than this, ends the session: every account is then reported lost.
   */
  heartbeatMs?: number;
  /**
   * TCP keepalive of the lock session on the server side, s (idle time and probe count); default
   * 3: PostgreSQL ends the session of a vanished client, freeing its accounts, within about
   * 2 × this many seconds.
   */
  keepaliveSeconds?: number;
}

/**
 * An account this storage owned and lost: its lock session ended (PostgreSQL restarted, the
 * connection broke) or a write found another owner's fence.
 *
 * @example storage.lost$.subscribe((l: OwnershipLost) => stopManagerOf(l.account, l.reason));
 */
export interface OwnershipLost {
  readonly account: string;
  readonly reason: 'session' | 'fenced';
}

/**
 * The storage port on PostgreSQL, plus explicit ownership of accounts.
 *
 * @example
 * ```ts
 * const storage = postgresStorage(pool);
 * // The manager keys its store by the canonical account ('sip:alice@example.com').
 * const id = canonicalAccount(account.id);
 * if (await storage.acquire(id)) {
 *   const manager = createXcapManager({ account, storage });
 *   // ...
 *   await manager.stop();
 *   await storage.release(id);
 * }
 * ```
 */
export interface PostgresStorage extends StoragePort {
  /**
   * Take `account` if no other owner holds it: resolves `true` when this storage owns it (it
   * may already have), `false` when another owner does. A new owner gets a new fence, so writes
   * of any earlier owner are refused from now on.
   */
  acquire(account: string): Promise<boolean>;
  /** Give `account` up after its writes in flight; another process may take it at once. */
  release(account: string): Promise<void>;
  /** The accounts this storage owns now. */
  owned(): string[];
  /** Accounts lost while owned (not those given up with `release`). */
  readonly lost$: import('rxjs').Observable<OwnershipLost>;
}

interface AccountState {
  /** Serializes the account's operations, so saves to one key land in call order. */
  queue: Promise<unknown>;
  /** The fence this storage owns the account with; undefined: not owned. */
  fence: string | undefined;
  /** Lost while owned: refuse every operation until acquired again. */
  lost: boolean;
}

/**
 * Open a storage on `pool` (the application's node-postgres pool; it is not ended by
 * `close()`). The tables are created on first use. One extra connection of the pool is held
 * as the lock session while the storage owns accounts.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createXcapManager, postgresStorage } from 'rxcap';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
 * const storage = postgresStorage(pool);
 * const manager = createXcapManager({ account, storage });
 * ```
 */
export function postgresStorage(
  pool: PgPool,
  options: PostgresStorageOptions = {},
): PostgresStorage {
  const prefix = options.table ?? 'rxcap';
  if (!isTablePrefix(prefix)) {
    throw new XcapValidationError(
      'table must be a lower-case SQL identifier of at most 41 characters',
      'table',
    );
  }
  const sql = statements(prefix);
  const accounts = new Map<string, AccountState>();
  const lost$ = new Subject<OwnershipLost>();
  let closed = false;
  let schema: Promise<void> | null = null;

  const ensureSchema = (): Promise<void> => {
    schema ??= createSchema(pool, sql).catch((e: unknown) => {
      schema = null;
      throw e;
    });
    return schema;
  };

  const loseAll = (reason: OwnershipLost['reason']) => {
    for (const [account, state] of accounts) {
      if (state.fence === undefined) continue;
      state.fence = undefined;
      state.lost = true;
      lost$.next({ account, reason });
    }
  };
  const session = lockSession(pool, {
    heartbeatMs: boundedOption('heartbeatMs', options.heartbeatMs ?? 2000, 100, 600_000),
    // An integer checked here: the keepalive setting is written into the SQL text.
    setup: sql.keepalive(boundedOption('keepaliveSeconds', options.keepaliveSeconds ?? 3, 1, 3600)),
    // Its advisory locks died with it: whoever takes an account next bumps its fence.
    onEnded: () => loseAll('session'),
  });

  const stateOf = (account: string): AccountState => {
    let state = accounts.get(account);
    if (state === undefined) {
      state = { queue: Promise.resolve(), fence: undefined, lost: false };
      accounts.set(account, state);
    }
    return state;
  };

  /** Run `fn` in the account's queue; `own`: take the account first if it is not ours. */
  const withAccount = <T>(
    account: string,
    own: boolean,
    fn: (state: AccountState) => Promise<T>,
  ): Promise<T> => {
    if (closed) return Promise.reject(new XcapStoreClosedError());
    const state = stateOf(account);
    const result = state.queue.then(async () => {
      await ensureSchema();
      if (own && state.fence === undefined) {
        if (state.lost) throw new XcapStoreLockedError(account, 'compromised');
        if (!(await take(account, state))) throw new XcapStoreLockedError(account, 'held');
      }
      return fn(state);
    });
    state.queue = result.catch(() => {});
    return result;
  };

  const take = async (account: string, state: AccountState): Promise<boolean> => {
    const key = lockKey(prefix, account);
    let result: PgResult;
    try {
      result = await session.run((s: PgSession) => s.query(sql.acquire, [account, key]));
    } catch (e) {
      // A session advisory lock outlives the rollback of the statement that took it: a failed
      // acquire (the fence bump refused, the statement cancelled) may have left the lock held
      // by this session with nobody counting it, so that no process could take the account
      // until the session ended (regression test "a failed acquire statement leaves no lock
      // behind"). Give it back (false when it was not taken), or end the session.
      await session.runIfOpen((s) => s.query(sql.unlock, [key])).catch(() => session.discard());
      throw e;
    }
    const fence = result.rows[0]?.fence;
    if (fence === null || fence === undefined) return false;
    state.fence = String(fence);
    state.lost = false;
    session.hold(1);
    return true;
  };

  /** Run a fenced write; a write that finds another fence loses the account. */
  const write = async (account: string, state: AccountState, text: string, args: unknown[]) => {
    const result = await pool.query(text, [account, state.fence, ...args]);
    if (Number(result.rows[0]?.owned) === 1) return;
    if (state.fence !== undefined) {
      state.fence = undefined;
      state.lost = true;
      await unlock(account).catch(() => {});
      lost$.next({ account, reason: 'fenced' });
    }
    throw new XcapStoreLockedError(account, 'compromised');
  };

  const ioError = (key: StorageKey, action: string) => (e: unknown) => {
    throw e instanceof XcapError ? e : new XcapStoreIoError(key, action, e);
  };

  // Arguments are checked and the operation queued synchronously, so that a value mutated by
  // the caller after save() returns, or a close() right after, cannot change what happens.
  const start = <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return fn();
    } catch (e) {
      return Promise.reject(e);
    }
  };

  return {
    lost$: lost$.asObservable(),

    load: (key) =>
      start(() => {
        const k = checkKey(key);
        return withAccount(k[0]!, true, async () => {
          const result = await pool.query(sql.load, [k[0], k.slice(1)]);
          const text = result.rows[0]?.value;
          if (text === undefined) return undefined;
          try {
            return JSON.parse(String(text));
          } catch (cause) {
            throw new XcapStoreCorruptError(k, 'the stored value is not JSON', undefined, {
              cause,
            });
          }
        }).catch(ioError(k, 'load'));
      }),

    save: (key, value) =>
      start(() => {
        const k = checkKey(key);
        const text = toJsonText(value); // a snapshot: the caller may mutate `value` now
        return withAccount(k[0]!, true, (state) =>
          write(k[0]!, state, sql.save, [k.slice(1), text]),
        ).catch(ioError(k, 'save'));
      }),

    delete: (key) =>
      start(() => {
        const k = checkKey(key);
        return withAccount(k[0]!, true, (state) =>
          write(k[0]!, state, sql.delete, [k.slice(1)]),
        ).catch(ioError(k, 'delete'));
      }),

    purge: (prefixKey) =>
      start(() => {
        const p = checkKey(prefixKey, 1, 'prefix');
        const rest = p.slice(1);
        return withAccount(p[0]!, true, (state) =>
          write(p[0]!, state, sql.purge, [rest, rest.length]),
        ).catch(ioError(p, 'purge'));
      }),

    keys: (prefixKey) =>
      start(async () => {
        const p = prefixKey === undefined ? [] : checkKey(prefixKey, 0, 'prefix');
        if (closed) throw new XcapStoreClosedError();
        const rows =
          p.length === 0
            ? // Listing everything reads across accounts without owning them: a snapshot.
              await ensureSchema()
                .then(() => pool.query(sql.keysAll))
                .then((r) => r.rows)
                .catch(ioError(p, 'list'))
            : await withAccount(p[0]!, true, async () => {
                const rest = p.slice(1);
                return (await pool.query(sql.keysOf, [p[0], rest, rest.length])).rows;
              }).catch(ioError(p, 'list'));
        return rows
          .map((r) => [String(r.account), ...(r.path as string[])] as StorageKey)
          .sort(compareKeys);
      }),

    acquire: (account) =>
      start(() => {
        const a = checkKey([account], 1, 'account')[0]!;
        return withAccount(a, false, async (state) => {
          if (state.fence !== undefined) return true;
          return take(a, state);
        }).catch(ioError([a], 'acquire'));
      }),

    release: (account) =>
      start(() => {
        const a = checkKey([account], 1, 'account')[0]!;
        return withAccount(a, false, async (state) => {
          state.lost = false;
          if (state.fence === undefined) return;
          state.fence = undefined;
          await unlock(a);
        }).catch(ioError([a], 'release'));
      }),

    owned: () => [...accounts].filter(([, s]) => s.fence !== undefined).map(([a]) => a),

    async close() {
      if (closed) return;
      closed = true;
      for (const [account, state] of accounts) {
        await state.queue;
        if (state.fence === undefined) continue;
        state.fence = undefined;
        // An unlock that fails means the session is gone, and its locks with it.
        await unlock(account).catch(() => {});
      }
      accounts.clear();
      await session.close();
      lost$.complete();
    },
  };

  /**
   * Give up the account's lock, taken once by `take`. `pg_advisory_unlock` answers false when
   * this session does not hold it (the session that took it ended, and the lock with it). An
   * unlock that fails may leave the lock held, and another process could then never take the
   * account: the session is ended instead, which frees it for sure (its other accounts are
   * reported lost; regression test "a failed unlock ends the lock session").
   */
  async function unlock(account: string): Promise<void> {
    session.hold(-1);
    try {
      await session.runIfOpen(async (s) => {
        const r = await s.query(sql.unlock, [lockKey(prefix, account)]);
        if (r.rows[0]?.unlocked !== true && r.rows[0]?.unlocked !== false)
          throw new Error('pg_advisory_unlock gave no answer');
      });
    } catch {
      await session.discard();
    }
  }
}

async function createSchema(pool: PgPool, sql: Statements): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [hashKey(sql.schemaLockKey)]);
    await client.query(sql.createValues);
    await client.query(sql.createOwners);
    // Documents are XML in JSON: lz4 compresses them about as well as pglz at a fraction of
    // the CPU. Servers built without lz4 (or before PostgreSQL 14) keep pglz.
    if ((await client.query(sql.hasLz4)).rows.length > 0) await client.query(sql.compressLz4);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/**
 * The advisory lock key of an account: 64 bits of a hash, as a signed bigint.
 *
 * @example await pool.query('SELECT pg_try_advisory_lock($1)', [lockKey('rxcap', 'alice@example.com')]);
 */
export function lockKey(prefix: string, account: string): string {
  return hashKey(`rxcap:${prefix}:${account}`);
}

function hashKey(text: string): string {
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}

/**
 * An integer option within [min, max], else XcapValidationError: 0 or NaN as `heartbeatMs` made
 * the heartbeat spin and time out at once (every account lost), and `keepaliveSeconds` is
 * written into the SQL text (regression tests in test/store/postgres-options.test.ts).
 */
function boundedOption(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new XcapValidationError(
      `postgresStorage: ${name} must be an integer from ${min} to ${max}`,
      name,
    );
  return value;
}
