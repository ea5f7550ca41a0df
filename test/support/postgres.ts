/**
 * Connection facts of the throw-away PostgreSQL test cluster that `test-server/postgres/start.sh`
 * starts on 127.0.0.1 (port `RXCAP_PG_PORT`, default 54329; database `rxcap`, user `postgres`,
 * trust authentication), and a helper to crash and restart it.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SCRIPTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test-server',
  'postgres',
);

/** The test cluster's connection string. */
export function postgresUrl(): string {
  const port = process.env.RXCAP_PG_PORT ?? '54329';
  return process.env.RXCAP_PG_URL ?? `postgres://postgres@127.0.0.1:${port}/rxcap`;
}

/** A pool on the test cluster; the caller ends it. */
export function testPool(options: { max?: number } = {}): pg.Pool {
  return new pg.Pool({ connectionString: postgresUrl(), max: options.max ?? 10 });
}

/**
 * Crash the cluster (`pg_ctl stop -m immediate`: no checkpoint, only WAL already on disk
 * survives) and start it again on the same data.
 */
export function restartPostgresImmediately(): void {
  execFileSync('bash', [join(SCRIPTS, 'start.sh'), '--restart-immediate'], { stdio: 'pipe' });
}
