/**
 * The lock session of the PostgreSQL storage: one connection taken from the application's pool
 * and kept, because session advisory locks belong to the connection that took them. When that
 * connection ends — PostgreSQL restarted, the network broke, a heartbeat went unanswered — every
 * lock it held is gone, and the storage must treat every account as lost (`onEnded`).
 */
import type { PgPool, PgSession } from './postgres-sql.js';

/** Options of {@link lockSession}. */
export interface LockSessionOptions {
  /** Check the session this often while it holds locks; a slower answer ends it. */
  heartbeatMs: number;
  /** A statement run once on each new session (its keepalive settings). */
  setup: string;
  /** Called once per session that ends while holding locks. */
  onEnded: () => void;
}

/**
 * Open the lock session lazily on `pool`, keep it alive and report its end.
 *
 * @example
 * ```ts
 * const session = lockSession(pool, { heartbeatMs: 2000, setup: 'SELECT 1', onEnded });
 * await session.run((s) => s.query('SELECT pg_try_advisory_lock($1)', [key]));
 * session.hold(1);
 * ```
 */
export function lockSession(pool: PgPool, options: LockSessionOptions) {
  let current: Promise<PgSession> | null = null;
  let held = 0;
  let closed = false;
  let checking = false;
  /** node-postgres runs one query at a time per client: queue ours (heartbeats included). */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = queue.then(fn);
    queue = result.catch(() => {});
    return result;
  };

  const end = (client: PgSession, ending: Promise<PgSession>) => {
    if (current !== ending) return;
    current = null;
    // Destroy, never return it to the pool: another user of the pool must not inherit locks.
    try {
      client.release(true);
    } catch {
      // Already released.
    }
    const hadLocks = held > 0;
    held = 0;
    if (hadLocks) options.onEnded();
  };

  const open = (): Promise<PgSession> => {
    if (current) return current;
    // Assigned before the callbacks below can run (they run after the first await).
    let opening!: Promise<PgSession>;
    opening = (async () => {
      const client = await pool.connect();
      // An idle checked-out client emits 'error' when its connection dies; without a listener
      // node-postgres would throw it from the socket callback and crash the host process.
      client.on('error', () => end(client, opening));
      try {
        await client.query(options.setup);
      } catch (e) {
        end(client, opening);
        throw e;
      }
      return client;
    })();
    current = opening;
    opening.catch(() => {
      if (current === opening) current = null;
    });
    return opening;
  };

  const heartbeat = setInterval(() => {
    if (checking || held === 0 || current === null) return;
    const checked = current;
    checking = true;
    void checked
      .then((client) =>
        // Timed from when it runs, not while it waits behind our own queries.
        serial(async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('heartbeat timeout')), options.heartbeatMs);
          });
          try {
            await Promise.race([client.query('SELECT 1'), late]);
          } catch {
            end(client, checked);
          } finally {
            clearTimeout(timer);
          }
        }),
      )
      .catch(() => {})
      .finally(() => {
        checking = false;
      });
  }, options.heartbeatMs);
  // The heartbeat must not keep a process alive that has nothing else to do.
  heartbeat.unref?.();

  return {
    /** Run `fn` on the session (opened if needed); a failure of the session ends it. */
    async run<T>(fn: (client: PgSession) => Promise<T>): Promise<T> {
      if (closed) throw new Error('lock session closed');
      // A query error that is not the connection's (a cancelled statement) leaves the session
      // usable; a broken connection also emits 'error', which ends it.
      const client = await open();
      return serial(() => fn(client));
    },
    /** Run `fn` on the session only if one is open (there are no locks to act on otherwise). */
    async runIfOpen(fn: (client: PgSession) => Promise<unknown>): Promise<void> {
      if (current === null) return;
      const client = await current;
      await serial(() => fn(client));
    },
    /**
     * End the current session (its connection destroyed), which frees every lock it holds:
     * the only sure release after a lock statement failed with the lock possibly still held.
     * Reports `onEnded` when it held locks.
     */
    async discard(): Promise<void> {
      const ending = current;
      if (ending === null) return;
      const client = await ending.catch(() => null);
      if (client !== null) end(client, ending);
    },
    /** Count locks taken (+1) and given up (-1): only a session holding locks is watched. */
    hold(delta: number): void {
      held = Math.max(0, held + delta);
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(heartbeat);
      const ending = current;
      current = null;
      held = 0;
      if (ending) {
        const client = await ending.catch(() => null);
        try {
          client?.release(true);
        } catch {
          // Already released.
        }
      }
    },
  };
}
