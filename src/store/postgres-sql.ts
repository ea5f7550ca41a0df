/**
 * The SQL of the PostgreSQL storage adapter, and the minimal shape of node-postgres it needs.
 * Node-only by use (node-postgres is), but it imports nothing: the application passes its own
 * `pg.Pool`, so rxcap never loads `pg` itself (an optional peer dependency).
 *
 * Two tables, named `<table>_values` and `<table>_owners`:
 * - `values (account text, path text[], value text)`: one row per storage key (`[account,
 *   ...path]`), the value's JSON text. Large values (the document cache) are TOASTed and
 *   compressed by PostgreSQL itself (lz4 where the server has it, else pglz).
 * - `owners (account text, fence bigint)`: the fencing token of each account. An owner takes an
 *   account by bumping its fence (holding the account's session advisory lock); every write
 *   carries the owner's fence and is a no-op when it is not the current one, so a former owner
 *   that lost its lock without noticing can never overwrite its successor's journal.
 */

/** The part of node-postgres's `QueryResult` the adapter reads. */
export interface PgResult {
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number | null;
}

/** Something that runs a parameterized query: a `pg.Pool` or a `pg.PoolClient`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResult>;
}

/** The part of a checked-out `pg.PoolClient` the adapter uses (its lock session). */
export interface PgSession extends PgQueryable {
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The part of a `pg.Pool` the adapter uses. Structural, so that any node-postgres 8 pool (or a
 * compatible one) can be passed without rxcap importing `pg`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgSession>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** Whether `name` is a safe table-name prefix (lower-case identifier, at most 41 characters). */
export function isTablePrefix(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Every statement of the adapter for one table prefix. Writes are single statements (one
 * implicit transaction each) that:
 * - check the owner's fence with `FOR SHARE` on the owner row, so a concurrent take-over (an
 *   `UPDATE` of that row) waits for the write to commit, and a write after the take-over finds
 *   no row and changes nothing (`owned = 0`);
 * - turn `synchronous_commit` on for their own transaction (`set_config(..., true)`), so an
 *   acknowledged write is in the WAL on disk whatever the server's or role's default: a crash
 *   of PostgreSQL right after cannot lose it.
 */
export function statements(prefix: string) {
  const values = `${prefix}_values`;
  const owners = `${prefix}_owners`;
  const durable = `(SELECT set_config('synchronous_commit', 'on', true)) AS durable`;
  const owner = `o AS (SELECT account FROM ${owners} WHERE account = $1 AND fence = $2 FOR SHARE)`;
  // path[1:n] of a shorter path is the shorter path itself, so it never equals an n-long prefix.
  const under = (n: string, p: string) => `(${n} = 0 OR (path[1:${n}] = ${p}::text[]))`;
  return {
    /** Serializes schema creation between processes (CREATE ... IF NOT EXISTS races). */
    schemaLockKey: `rxcap-schema:${prefix}`,
    createValues: `CREATE TABLE IF NOT EXISTS ${values} (
      account text NOT NULL,
      path text[] NOT NULL,
      value text NOT NULL,
      PRIMARY KEY (account, path))`,
    createOwners: `CREATE TABLE IF NOT EXISTS ${owners} (
      account text PRIMARY KEY,
      fence bigint NOT NULL)`,
    compressLz4: `ALTER TABLE ${values} ALTER COLUMN value SET COMPRESSION lz4`,
    hasLz4: `SELECT 1 FROM pg_settings
      WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
    /** $1 account, $2 lock key: take the lock and, if taken, bump the fence; null when held. */
    acquire: `WITH l AS (SELECT pg_try_advisory_lock($2::bigint) AS locked),
      f AS (INSERT INTO ${owners} (account, fence) SELECT $1, 1 FROM l WHERE l.locked
        ON CONFLICT (account) DO UPDATE SET fence = ${owners}.fence + 1 RETURNING fence)
      SELECT (SELECT fence FROM f) AS fence, ${durable}`,
    unlock: 'SELECT pg_advisory_unlock($1::bigint) AS unlocked',
    ping: 'SELECT 1',
    keepalive: (seconds: number) =>
      `SELECT set_config('tcp_keepalives_idle', '${seconds}', false),
        set_config('tcp_keepalives_interval', '1', false),
        set_config('tcp_keepalives_count', '${seconds}', false)`,
    /** $1 account, $2 path. */
    load: `SELECT value FROM ${values} WHERE account = $1 AND path = $2::text[]`,
    /** $1 account, $2 fence, $3 path, $4 value. */
    save: `WITH ${owner},
      w AS (INSERT INTO ${values} (account, path, value) SELECT account, $3::text[], $4 FROM o
        ON CONFLICT (account, path) DO UPDATE SET value = excluded.value RETURNING 1)
      SELECT (SELECT count(*) FROM o) AS owned, (SELECT count(*) FROM w) AS written, ${durable}`,
    /** $1 account, $2 fence, $3 path. */
    delete: `WITH ${owner},
      d AS (DELETE FROM ${values} v USING o WHERE v.account = o.account AND v.path = $3::text[]
        RETURNING 1)
      SELECT (SELECT count(*) FROM o) AS owned, (SELECT count(*) FROM d) AS written, ${durable}`,
    /** $1 account, $2 fence, $3 path prefix, $4 its length. */
    purge: `WITH ${owner},
      d AS (DELETE FROM ${values} v USING o WHERE v.account = o.account AND ${under('$4', '$3')}
        RETURNING 1)
      SELECT (SELECT count(*) FROM o) AS owned, (SELECT count(*) FROM d) AS written, ${durable}`,
    /** $1 account, $2 path prefix, $3 its length. */
    keysOf: `SELECT account, path FROM ${values} WHERE account = $1 AND ${under('$3', '$2')}`,
    keysAll: `SELECT account, path FROM ${values}`,
  };
}

/** The statements for one prefix. */
export type Statements = ReturnType<typeof statements>;
