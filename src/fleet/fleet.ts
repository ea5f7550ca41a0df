/**
 * The fleet helper: run the managers of many accounts across several processes sharing one
 * PostgreSQL database. Each process runs a fleet over the same account list; PostgreSQL decides
 * who owns what (see `postgres-storage.ts`): a fleet starts managers only for the accounts it
 * owns, takes over accounts whose owner died, shares accounts fairly with the other live fleets
 * of its group, and gives its accounts up on `stop()` (and on SIGTERM).
 *
 * Exactly one live process syncs an account at a time: a manager is started only after its
 * account's lock is taken and its fence bumped; a fleet gives an account up only after its
 * manager has stopped; and a manager whose account is lost (its lock session ended, so another
 * process may take it at once) is stopped as soon as that is noticed — until then its journal
 * writes are refused by the fence and its PUTs are conditional (If-Match), so the successor's
 * edits are never overwritten.
 */
import { concat, defer, from, type Observable, Subject, type Subscription } from 'rxjs';
import { undiciTransport } from '../client/undici-transport.js';
import { nodeDns } from '../dns-node.js';
// Through the universal entry, not the manager's own modules: the fleet uses the manager as
// an application does.
import {
  type AccountSettings,
  canonicalAccount,
  createXcapManager,
  type XcapManager,
  type XcapManagerOptions,
  type XcapState,
} from '../index.js';
import { sharedSipDiffPort } from '../sip/node.js';
import {
  lockKey,
  type PgPool,
  type PostgresStorage,
  type PostgresStorageOptions,
  postgresStorage,
} from '../store/postgres-storage.js';
import { membership } from './membership.js';

/**
 * Options of {@link createFleet}.
 *
 * @example
 * ```ts
 * createFleet({ pool, accounts, managerOptions: { client: { dispatcher } } });
 * ```
 */
export interface FleetOptions {
  /** The application's node-postgres pool (not ended by `stop()`). */
  readonly pool: PgPool;
  /**
   * Every account of the group; each process of the group passes the same list. Statuses name
   * each by its canonical id (`canonicalAccount`, the key its store lives under).
   */
  readonly accounts: readonly AccountSettings[];
  /** Options of each manager, besides `account` and `storage`. */
  readonly managerOptions?: Omit<XcapManagerOptions, 'account' | 'storage'>;
  /** Storage options; `table` also names the group (fleets share accounts per table). */
  readonly storage?: PostgresStorageOptions;
  /** How often to look for free accounts and rebalance, ms; default 1000. */
  readonly scanIntervalMs?: number;
  /** At most this many managers started per scan (staggers connections); default 100. */
  readonly startsPerScan?: number;
  /** Give every account up and exit on these signals; default `['SIGTERM']`, `[]` for none. */
  readonly releaseOn?: readonly NodeJS.Signals[];
}

/**
 * The status of one account as this process sees it.
 *
 * @example { account: 'sip:alice@example.com', owned: true, state: 'insync' }
 */
export interface FleetAccountStatus {
  /** The account's id, as in its settings. */
  readonly account: string;
  /** Whether this process owns (syncs) the account now. */
  readonly owned: boolean;
  /** Its manager's state while owned, else null. */
  readonly state: XcapState | null;
}

/**
 * A running fleet.
 *
 * @example
 * ```ts
 * const fleet = createFleet({ pool, accounts });
 * fleet.status$.subscribe((s) => console.log(s.account, s.owned, s.state));
 * await fleet.start();
 * fleet.manager('sip:alice@example.com')?.addContact(bob);
 * await fleet.stop();
 * ```
 */
export interface Fleet {
  /**
   * Per-account status as one stream: a new subscriber first gets the current status of every
   * account, then each change.
   */
  readonly status$: Observable<FleetAccountStatus>;
  /** The storage the managers share (this process's ownership of accounts). */
  readonly storage: PostgresStorage;
  /** The manager of `account` while this process owns it. */
  manager(account: string): XcapManager | undefined;
  /** The accounts this process owns now. */
  owned(): string[];
  /** Join the group, wait one scan interval for fleets starting along, scan; resolves after the first scan. */
  start(): Promise<void>;
  /** Stop every manager, give every account up, leave the group. */
  stop(): Promise<void>;
}

interface Running {
  readonly manager: XcapManager;
  readonly subscription: Subscription;
  stopping: Promise<void> | null;
}

/**
 * Create a fleet over `accounts` on `pool`. Nothing happens until `start()`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createFleet } from 'rxcap';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
 * const fleet = createFleet({ pool, accounts });
 * await fleet.start(); // SIGTERM later: every account is given up before the process exits
 * ```
 */
export function createFleet(options: FleetOptions): Fleet {
  const table = options.storage?.table ?? 'rxcap';
  const storage = postgresStorage(options.pool, options.storage);
  const member = membership(options.pool, table);
  const scanIntervalMs = options.scanIntervalMs ?? 1000;
  const startsPerScan = options.startsPerScan ?? 100;
  // Accounts by their canonical id: the key a manager's store lives under, so the account the
  // fleet acquires is the one the manager writes (`alice@example.com` and
  // `sip:alice@example.com` are one account).
  const accounts = options.accounts.map((a) => ({ ...a, id: canonicalAccount(a.id) }));
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const keys = new Map(accounts.map((a) => [a.id, lockKey(table, a.id)]));
  const running = new Map<string, Running>();
  const statuses = new Map<string, FleetAccountStatus>(
    accounts.map((a) => [a.id, { account: a.id, owned: false, state: null }]),
  );
  const changes$ = new Subject<FleetAccountStatus>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let scanning: Promise<void> = Promise.resolve();

  const publish = (status: FleetAccountStatus) => {
    statuses.set(status.account, status);
    changes$.next(status);
  };

  // One diff port for all the fleet's managers: their xcap-diff subscriptions share SIP
  // connections instead of opening one per account.
  const sip = options.managerOptions?.sip ?? sharedSipDiffPort();
  const newManager = (account: AccountSettings): XcapManager =>
    createXcapManager({
      dns: nodeDns(),
      sip,
      ...options.managerOptions,
      // HTTP through undici, as the Node entry's managers (`client.dispatcher` applies).
      client: { transport: undiciTransport, ...options.managerOptions?.client },
      account,
      storage,
    });

  /** Start the manager of an account we just acquired. */
  const run = async (id: string): Promise<void> => {
    const manager = newManager(byId.get(id)!);
    const subscription = manager.state$.subscribe(({ state }) => {
      if (running.get(id)?.manager === manager) publish({ account: id, owned: true, state });
    });
    running.set(id, { manager, subscription, stopping: null });
    publish({ account: id, owned: true, state: manager.state });
    await manager.start().catch(() => {
      // Lost in between (reported through lost$) or a storage failure: give it up; the next
      // scan may take it again.
      return giveUp(id);
    });
  };

  /** Stop the account's manager; then release the account unless it is already lost. */
  const giveUp = (id: string, release = true): Promise<void> => {
    const r = running.get(id);
    if (r === undefined) return release ? storage.release(id).catch(() => {}) : Promise.resolve();
    r.stopping ??= (async () => {
      await r.manager.close().catch(() => {});
      r.subscription.unsubscribe();
      running.delete(id);
      publish({ account: id, owned: false, state: null });
      if (release) await storage.release(id).catch(() => {});
    })();
    return r.stopping;
  };

  // An account lost while owned: stop syncing it at once (another process may own it now).
  const lostSubscription = storage.lost$.subscribe(({ account }) => {
    void giveUp(account, false);
  });

  const scan = async (): Promise<void> => {
    await member.join();
    const { members, locked } = await member.look();
    const total = byId.size;
    const target = Math.ceil(total / members);
    const mine = [...running.keys()].filter((id) => running.get(id)?.stopping === null);
    if (mine.length > target) {
      // Others joined: give the surplus back (they take it at their next scan).
      await Promise.all(mine.slice(target).map((id) => giveUp(id)));
      return;
    }
    const free = [...byId.keys()].filter((id) => !running.has(id) && !locked.has(keys.get(id)!));
    shuffle(free); // fleets scanning at once mostly try different accounts
    let budget = Math.min(target - mine.length, startsPerScan);
    const starts: Promise<void>[] = [];
    for (const id of free) {
      if (budget <= 0 || stopped) break;
      if (await storage.acquire(id).catch(() => false)) {
        budget--;
        starts.push(run(id));
      }
    }
    await Promise.all(starts);
  };

  const loop = () => {
    if (stopped) return;
    scanning = scan()
      .catch(() => {
        // PostgreSQL unreachable: keep what we run (fenced if lost), try again next time.
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, scanIntervalMs);
      });
  };

  const signals = options.releaseOn ?? ['SIGTERM'];
  const onSignal = (signal: NodeJS.Signals) => {
    void fleet.stop().finally(() => {
      removeSignalHandlers();
      // Let the signal do what it would have done without us, unless the app listens too.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const removeSignalHandlers = () => {
    for (const s of signals) process.off(s, onSignal);
  };

  const fleet: Fleet = {
    status$: defer(() => concat(from([...statuses.values()]), changes$)),
    storage,
    manager: (id) => {
      const r = running.get(id);
      return r && r.stopping === null ? r.manager : undefined;
    },
    owned: () => [...running].filter(([, r]) => r.stopping === null).map(([id]) => id),
    async start() {
      for (const s of signals) process.on(s, onSignal);
      await member.join();
      // Fleets deployed together join within moments of each other: one scan interval lets
      // the first scan see them all, instead of taking every account and handing most back.
      await new Promise((resolve) => setTimeout(resolve, scanIntervalMs));
      loop();
      await scanning;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      removeSignalHandlers();
      await scanning;
      await Promise.all([...running.keys()].map((id) => giveUp(id)));
      lostSubscription.unsubscribe();
      await storage.close();
      member.leave();
      changes$.complete();
    },
  };
  return fleet;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
