/**
 * Connection facts of the real Kamailio test server for integration tests: `bash
 * test-server/start.sh` writes them to `test-server/run/env.json` (see test-server/README.md),
 * this module reads them once and hands out typed accounts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One test account. `id` is the XCAP user id (XUI) and SIP AOR, e.g. `sip:alice@example.com`. */
export interface TestUser {
  /** `sip:<username>@<domain>`: the XUI in document URIs and the SIP AOR (DESIGN §3 accepts it as AccountSettings.id). */
  readonly id: string;
  /** Digest username (the user part; `<user>@<domain>` works as well, see README). */
  readonly username: string;
  readonly password: string;
}

/** The pool of numbered accounts `u001` … `uNNN` with passwords `u001-secret` …. */
export interface TestUserPool {
  readonly prefix: string;
  readonly count: number;
  readonly passwordSuffix: string;
}

/** What `test-server/run/env.json` holds. */
export interface TestServerEnv {
  /** XCAP root URI without trailing slash, e.g. `http://127.0.0.1:5080/xcap-root`. */
  readonly xcapRoot: string;
  readonly domain: string;
  readonly sip: {
    readonly host: string;
    /** `host:port` of SIP over UDP. */
    readonly udp: string;
    /** `host:port` of SIP over TCP. */
    readonly tcp: string;
    /** WebSocket URL of SIP over WebSocket, e.g. `ws://127.0.0.1:5066/ws`. */
    readonly ws: string;
  };
  readonly users: {
    readonly alice: TestUser;
    readonly bob: TestUser;
    readonly pool: TestUserPool;
  };
  readonly dbFile: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** Path of the env file `start.sh` writes. */
export const TEST_SERVER_ENV_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'test-server',
  'run',
  'env.json',
);

let cached: TestServerEnv | undefined;

/**
 * The running test server's connection facts; throws a clear error when it was not started.
 *
 * @example
 * const { xcapRoot, users } = testServer();
 * const url = `${xcapRoot}/resource-lists/users/${users.alice.id}/index`;
 */
export function testServer(): TestServerEnv {
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(TEST_SERVER_ENV_FILE, 'utf8');
  } catch {
    throw new Error(
      `Kamailio test server is not running (no ${TEST_SERVER_ENV_FILE}): run \`bash test-server/install.sh && bash test-server/start.sh\``,
    );
  }
  cached = JSON.parse(text) as TestServerEnv;
  return cached;
}

/**
 * Pool account number `n` (1-based): `poolUser(1)` is `u001` with password `u001-secret`.
 *
 * @example
 * const { id, username, password } = poolUser(7); // 'sip:u007@example.com', 'u007', 'u007-secret'
 */
export function poolUser(n: number): TestUser {
  const env = testServer();
  const { prefix, count, passwordSuffix } = env.users.pool;
  if (!Number.isInteger(n) || n < 1 || n > count) {
    throw new RangeError(`pool user number must be an integer in 1..${count}, got ${n}`);
  }
  const username = `${prefix}${String(n).padStart(3, '0')}`;
  return {
    id: `sip:${username}@${env.domain}`,
    username,
    password: `${username}${passwordSuffix}`,
  };
}

/**
 * URI of a user's document: `<root>/<auid>/users/<xui>/<filename>`. The XUI is written plain
 * (`sip:alice@example.com`), as the test server and the reference implementation use it.
 *
 * @example
 * documentUrl(testServer().users.alice, 'resource-lists'); // …/resource-lists/users/sip:alice@example.com/index
 */
export function documentUrl(user: TestUser, auid: string, filename = 'index'): string {
  return `${testServer().xcapRoot}/${auid}/users/${user.id}/${filename}`;
}

/**
 * Deletes every XCAP document of a user, and the user's stored xcap-diff body, straight from
 * the server's sqlite database (no HTTP, so it needs no Digest client, and no NOTIFY is sent);
 * use it in `beforeEach` to start from an empty account.
 *
 * @example
 * beforeEach(() => wipeUserDocuments(testServer().users.alice));
 */
export function wipeUserDocuments(user: TestUser): void {
  const env = testServer();
  // The username and domain come from env.json and the pool naming, never from test input,
  // but keep them quoted safely all the same.
  const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  execFileSync('sqlite3', [
    '-cmd',
    '.timeout 5000',
    env.dbFile,
    `DELETE FROM xcap WHERE username = ${quote(user.username)} AND domain = ${quote(env.domain)};` +
      ` DELETE FROM presentity WHERE username = ${quote(user.username)} AND domain = ${quote(env.domain)} AND event = 'xcap-diff';`,
  ]);
}
