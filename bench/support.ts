/**
 * Shared pieces of the benchmarks: the test server (started here when it is not running), the
 * benchmark accounts, a byte-counting undici Agent, gc, timing and formatting helpers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import {
  poolUser,
  TEST_SERVER_ENV_FILE,
  type TestUser,
  testServer,
} from '../test/support/test-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One row of a result table. */
export interface Row {
  readonly name: string;
  readonly value: string;
  readonly baseline?: string;
  readonly ratio?: string;
  readonly note?: string;
}

/** One benchmark section. */
export interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

async function xcapAnswers(root: string): Promise<boolean> {
  try {
    const r = await fetch(`${root}/xcap-caps/global/index`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Makes sure the Kamailio test server answers. When it does not, runs `test-server/start.sh`
 * and returns `true` (the caller then stops it with {@link stopTestServer} at the end).
 *
 * @example const started = await ensureTestServer();
 */
export async function ensureTestServer(log: (l: string) => void): Promise<boolean> {
  if (existsSync(TEST_SERVER_ENV_FILE) && (await xcapAnswers(testServer().xcapRoot))) return false;
  log('test server not running: bash test-server/start.sh');
  execFileSync('bash', [join(ROOT, 'test-server', 'start.sh')], { stdio: 'inherit' });
  return true;
}

/** Stops the test server this run started. @example stopTestServer() */
export function stopTestServer(): void {
  execFileSync('bash', [join(ROOT, 'test-server', 'stop.sh')], { stdio: 'inherit' });
}

/**
 * Pool numbers the benchmarks use: u400–u589 first (reserved for the benchmarks), then ranges
 * no test file uses (tests take u001–u007, u101, u103, u203, u300, u590–u600).
 */
const BENCH_RANGES: readonly (readonly [number, number])[] = [
  [400, 589],
  [311, 399],
  [216, 299],
  [111, 199],
  [31, 99],
];

/**
 * `n` benchmark accounts (at most 521), never one an integration test uses.
 *
 * @example benchUsers(500).length // 500
 */
export function benchUsers(n: number): TestUser[] {
  const out: TestUser[] = [];
  for (const [a, b] of BENCH_RANGES)
    for (let i = a; i <= b && out.length < n; i++) out.push(poolUser(i));
  if (out.length < n) throw new RangeError(`only ${out.length} benchmark accounts available`);
  return out;
}

/**
 * Deletes the accounts' documents and stored xcap-diff bodies straight from sqlite, in one
 * statement (no HTTP, no NOTIFY), like `wipeUserDocuments` of test/support for many users.
 *
 * @example wipeUsers(benchUsers(10))
 */
export function wipeUsers(users: readonly TestUser[]): void {
  const env = testServer();
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  const names = users.map((u) => q(u.username)).join(',');
  execFileSync('sqlite3', [
    '-cmd',
    '.timeout 10000',
    env.dbFile,
    `DELETE FROM xcap WHERE domain = ${q(env.domain)} AND username IN (${names});` +
      ` DELETE FROM presentity WHERE domain = ${q(env.domain)} AND event = 'xcap-diff' AND username IN (${names});`,
  ]);
}

/** One request as it left the client: method, path and whether it was conditional. */
export interface SentRequest {
  readonly method: string;
  readonly path: string;
  /** `If-None-Match` or `If-Match` was sent. */
  readonly conditional: boolean;
}

/** An undici Agent that counts the bytes on its sockets (headers included). */
export interface CountingAgent {
  readonly agent: Agent;
  /** Bytes read and written on every socket opened so far, and how many were opened. */
  bytes(): { read: number; written: number; sockets: number };
  /** Every request dispatched so far (each Digest round counts). */
  readonly requests: SentRequest[];
}

function headerNames(h: unknown): string[] {
  if (h === null || h === undefined) return [];
  if (Array.isArray(h)) return h.filter((_, i) => i % 2 === 0).map((x) => String(x).toLowerCase());
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function' && !(typeof h === 'string'))
    return [...(h as Iterable<[string, unknown]>)].map(([k]) => k.toLowerCase());
  return Object.keys(h as object).map((k) => k.toLowerCase());
}

/** An Agent that records each request it dispatches (see {@link countingAgent}). */
class RecordingAgent extends Agent {
  readonly requests: SentRequest[] = [];
  override dispatch(
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const names = headerNames(opts.headers);
    this.requests.push({
      method: opts.method,
      path: opts.path,
      conditional: names.includes('if-none-match') || names.includes('if-match'),
    });
    return super.dispatch(opts, handler);
  }
}

/**
 * A keep-alive Agent whose connector records every socket, so wire bytes can be read from
 * `socket.bytesRead` / `bytesWritten` (they stay readable after close).
 *
 * @example const { agent, bytes } = countingAgent(); ...; bytes().written
 */
export function countingAgent(options: Agent.Options = {}): CountingAgent {
  const base = buildConnector({});
  const sockets: Socket[] = [];
  const agent = new RecordingAgent({
    ...options,
    connect: (opts, cb) =>
      base(opts, (err, socket) => {
        if (err === null && socket !== null) {
          sockets.push(socket as Socket);
          cb(null, socket);
        } else cb(err as Error, null);
      }),
  });
  return {
    agent,
    requests: agent.requests,
    bytes: () => {
      let read = 0;
      let written = 0;
      for (const s of sockets) {
        read += s.bytesRead;
        written += s.bytesWritten;
      }
      return { read, written, sockets: sockets.length };
    },
  };
}

let gcFn: (() => void) | undefined;
/**
 * A full garbage collection (enables `--expose-gc` at run time when node was started without it).
 *
 * @example gc(); process.memoryUsage().heapUsed
 */
export function gc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

/** Median of a list. @example median([3, 1, 2]) // 2 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Median CPU time (user + system, ms) of `fn` after `warmup` runs. CPU time rather than wall
 * time: the benchmark machine is shared, and waiting for a core is not our cost.
 *
 * @example cpuTimeMs(() => parse(xml), 5, 1)
 */
export function cpuTimeMs(fn: () => unknown, iterations: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    fn();
    xs.push(cpuMs(c0));
  }
  return median(xs);
}

/** CPU time (user + system) in ms since `start`. @example cpuMs(process.cpuUsage()) */
export function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Formats: ms, bytes, ratios. */
export const fmt = {
  ms: (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`,
  bytes: (x: number): string =>
    x >= 1e6 ? `${(x / 1e6).toFixed(2)} MB` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} kB` : `${x} B`,
  ratio: (x: number): string => `${x < 0.01 ? x.toExponential(1) : x.toFixed(x < 10 ? 2 : 0)}x`,
};

/** UTF-8 byte length. @example utf8('ø') // 2 */
export function utf8(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
