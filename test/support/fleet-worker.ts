/**
 * A worker process for the failover test (test/integration/fleet-failover.test.ts): one fleet
 * (createFleet) over the shared account list on the test PostgreSQL and Kamailio, making edits
 * on the accounts it owns and reporting, one line each, after the time it was written (ms):
 * - `OWN <account>` / `DROP <account>` — this worker took / gave up the account;
 * - `PUT <account> <status>` — its manager sent a PUT (from trace$);
 * - `ACK <account> <name>` — a contact named `<name>` was added and `flush()` resolved with no
 *   storage error meanwhile: the edit is durable and must reach the server exactly once;
 * - `INSYNC <account>` — its manager reached insync (nothing left to send);
 * - `READY` after the first scan.
 * SIGUSR1 stops making edits. On SIGTERM the fleet gives every account up (DROP lines) and the process exits.
 *
 * Run: `node --import tsx test/support/fleet-worker.ts '<json WorkerConfig>'`.
 */
import pg from 'pg';
import { Agent } from 'undici';
import { createFleet } from '../../src/fleet/fleet.js';
import type { AccountSettings } from '../../src/index.js';
import { Contact } from '../../src/model/contact.js';

/** What the parent passes (argv[2], JSON). */
export interface WorkerConfig {
  readonly name: string;
  readonly pgUrl: string;
  readonly table: string;
  readonly accounts: AccountSettings[];
  /** Pause between two edits of this worker, ms. */
  readonly editEveryMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
// Each line carries the time it was written: the parent reads three pipes under load, and its
// own read times reordered a DROP and the next owner's OWN by ~100 ms (a false overlap).
const out = (line: string) => process.stdout.write(`${Date.now()} ${line}\n`);

const pool = new pg.Pool({ connectionString: config.pgUrl, max: 8 });
pool.on('error', () => {});
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
const fleet = createFleet({
  pool,
  accounts: config.accounts,
  scanIntervalMs: 500,
  managerOptions: {
    client: { dispatcher },
    pollPeriod: 3_600_000,
    backoff: { initialDelay: 200, maxDelay: 2000 },
  },
});

const traced = new Set<string>();
fleet.status$.subscribe((s) => {
  if (s.owned && !traced.has(s.account)) {
    traced.add(s.account);
    out(`OWN ${s.account}`);
    fleet
      .manager(s.account)
      ?.trace$.subscribe((t) =>
        out(
          t.method === 'PUT'
            ? `PUT ${s.account} ${t.status}`
            : `HTTP ${s.account} ${t.method}:${t.auid}:${t.status}`,
        ),
      );
    fleet.manager(s.account)?.state$.subscribe(({ state }) => out(`STATE ${s.account} ${state}`));
    fleet
      .manager(s.account)
      ?.error$.subscribe((e) => out(`ERROR ${s.account} ${e.code} ${e.message}`));
  } else if (!s.owned && traced.delete(s.account)) {
    out(`DROP ${s.account}`);
  }
  if (s.owned && s.state === 'insync') out(`INSYNC ${s.account}`);
});

let seq = 0;
const edit = async () => {
  const owned = fleet.owned();
  if (owned.length === 0) return;
  const account = owned[Math.floor(Math.random() * owned.length)]!;
  const manager = fleet.manager(account);
  if (manager === undefined) return;
  const name = `${config.name}-${seq++}`;
  let storeError = false;
  const errors = manager.error$.subscribe((e) => {
    if (e.code.startsWith('RXCAP_STORE')) storeError = true;
  });
  try {
    manager.addContact(new Contact({ name }));
    await manager.flush();
    if (!storeError && fleet.manager(account) === manager) out(`ACK ${account} ${name}`);
  } catch {
    // Not journaled: not acknowledged.
  } finally {
    errors.unsubscribe();
  }
};

await fleet.start();
out('READY');
let editing = true;
process.on('SIGUSR1', () => {
  editing = false;
});
const loop = async () => {
  while (editing) {
    await edit();
    await new Promise((r) => setTimeout(r, config.editEveryMs));
  }
};
void loop();
