/**
 * A child process for the crash test (test/integration/robustness-crash.test.ts): one manager
 * with `fileStorage` for one account against Kamailio, performing the operations of a planned
 * workload and printing an acknowledgement line once each is durably journaled. The parent
 * SIGKILLs it at random moments and restarts it on the same store.
 *
 * Run: `node --import tsx test/support/manager-child.ts '<json ChildConfig>'` (or the bundled
 * form the test builds). Output, one line each:
 * - `READY` — the store is locked and loaded;
 * - `ACK <index>` — operation `index` of the plan is in the journal on disk;
 * - `STATE <state>` — the manager's state changed;
 * - `INSYNC <json>` — (final mode) insync with an empty journal; the canonical addressbook;
 * - `LOADERRORS <json>` — (final mode) codes of the errors reported while loading;
 * - `STOPPED` — (final mode) stopped, writes flushed, store closed.
 *
 * How it knows an operation is journaled: the manager has no "journal saved" signal, so the
 * child wraps the storage port and watches the saves of the journal key: the first save that
 * resolves with a new record id after an operation was issued holds that operation (the
 * manager saves the whole journal after every append, in order, and awaits each write).
 */
import { readFileSync } from 'node:fs';
import { filter, firstValueFrom } from 'rxjs';
import { undiciTransport } from '../../src/client/undici-transport.js';
import type { XcapError } from '../../src/errors.js';
import { XcapUnknownIdError } from '../../src/journal/known-ids.js';
import type { AccountSettings } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import {
  fileStorage,
  journalKey,
  type StorageKey,
  type StoragePort,
} from '../../src/store/node.js';
import { seededRandom } from './fault-proxy.js';
import { canonicalBook, performOp, type WorkOp } from './fault-workload.js';

/** What the parent passes (argv[2], JSON). */
export interface ChildConfig {
  readonly dir: string;
  readonly account: AccountSettings;
  /** Path of a JSON file with the WorkOp[] plan. */
  readonly planFile: string;
  /** First plan index to perform. */
  readonly from: number;
  /** 'work': perform operations until killed; 'final': perform `count` and run to insync. */
  readonly mode: 'work' | 'final';
  readonly count?: number;
  readonly seed: number;
  /** proper-lockfile staleness, ms (at least 2000). */
  readonly staleMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The storage port, watched: resolves waiters when a journal save containing a new id is durable. */
function watchedStorage(inner: StoragePort, journal: StorageKey) {
  const known = new Set<string>();
  let waiter: ((id: string) => void) | null = null;
  const same = (a: StorageKey, b: StorageKey) =>
    a.length === b.length && a.every((s, i) => s === b[i]);
  const port: StoragePort = {
    load: async (key) => {
      const v = await inner.load(key);
      if (same(key, journal) && Array.isArray(v))
        for (const r of v as { id: string }[]) known.add(r.id);
      return v;
    },
    save: async (key, value) => {
      await inner.save(key, value);
      if (!same(key, journal) || !Array.isArray(value)) return;
      for (const r of value as { id: string }[]) {
        if (known.has(r.id)) continue;
        known.add(r.id);
        const w = waiter;
        waiter = null;
        w?.(r.id);
      }
    },
    delete: (key) => inner.delete(key),
    purge: (prefix) => inner.purge(prefix),
    keys: (prefix) => inner.keys(prefix),
    close: () => inner.close(),
  };
  /** Resolves when the next new journal record is durably saved. */
  const nextSaved = () =>
    new Promise<string>((resolve) => {
      waiter = resolve;
    });
  return { port, nextSaved };
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(config.planFile, 'utf8')) as WorkOp[];
  const random = seededRandom(config.seed);
  const inner = fileStorage(config.dir, { staleMs: config.staleMs ?? 2_000 });
  const { port, nextSaved } = watchedStorage(inner, journalKey(config.account.id));
  // Take the account lock first; a SIGKILLed predecessor's lock goes stale after staleMs.
  for (let attempt = 0; ; attempt++) {
    try {
      await port.keys([config.account.id]);
      await port.load(journalKey(config.account.id));
      break;
    } catch (e) {
      if ((e as XcapError).code !== 'RXCAP_STORE_LOCKED' || attempt > 100) throw e;
      await sleep(100);
    }
  }
  const manager = createXcapManager({
    account: config.account,
    storage: port,
    backoff: { initialDelay: 50, maxDelay: 500, factor: 2, jitter: 0.5 },
    pollPeriod: 1_000,
    random,
    // A Node process: undici, as the Node entry chooses. The core's default, fetch, compiles
    // Node's bundled fetch on the first request (~150 ms of blocked event loop, more under
    // load), right inside the kill window after READY, and far fewer operations were
    // acknowledged per run.
    client: { transport: undiciTransport },
  });
  const errors: XcapError[] = [];
  manager.error$.subscribe((e) => errors.push(e));
  manager.state$.subscribe((s) => out(`STATE ${s.state}`));
  await manager.load();
  const loadErrors = errors.map((e) => e.code);
  out('READY');
  await manager.start();

  const end = config.mode === 'final' ? config.from + (config.count ?? 0) : plan.length;
  for (let i = config.from; i < Math.min(end, plan.length); i++) {
    const saved = nextSaved();
    try {
      performOp(manager, plan[i]!);
    } catch (e) {
      // The first operation of a run repeats one the last run may have journaled without
      // acknowledging it: the manager then refuses to add an id it already has (or to remove
      // one it no longer has), which means the operation is in the journal or applied.
      if (!(i === config.from && e instanceof XcapUnknownIdError)) throw e;
      out(`ACK ${i}`);
      continue;
    }
    await saved;
    out(`ACK ${i}`);
    if (config.mode === 'work') await sleep(Math.floor(random() * 12));
  }
  if (config.mode === 'work') {
    // The plan is exhausted: idle until killed.
    await sleep(60_000);
    return;
  }
  if (manager.state !== 'insync')
    await firstValueFrom(manager.state$.pipe(filter((s) => s.state === 'insync')));
  out(`LOADERRORS ${JSON.stringify(loadErrors)}`);
  out(`INSYNC ${JSON.stringify(canonicalBook(await firstValueFrom(manager.addressbook$)))}`);
  await manager.stop();
  await port.close();
  out('STOPPED');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`manager-child failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
