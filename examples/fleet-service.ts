/**
 * A service that keeps many accounts in sync from several processes sharing one PostgreSQL
 * database: run this program on as many machines as you like with the same account list; each
 * account is synced by exactly one of them, a process that dies has its accounts taken over by
 * the others within seconds, and SIGTERM hands this process's accounts over at once.
 *
 *   DATABASE_URL=postgres://… npx tsx examples/fleet-service.ts
 *
 * Accounts come from XCAP_ACCOUNTS ("user:password,user:password", in the domain of XCAP_ID),
 * defaulting to alice and bob on the test server; DATABASE_URL defaults to the test cluster
 * (`bash test-server/postgres/start.sh`). With EXIT_WHEN_SYNCED=1 it stops once all are in sync.
 */

import pg from 'pg';
import { type AccountSettings, Contact, createFleet } from 'rxcap';
import { filter, firstValueFrom, scan } from 'rxjs';
import { Agent } from 'undici';
import { config } from './config.js';

const domain = config.id.split('@')[1];
const accounts: AccountSettings[] = (
  process.env.XCAP_ACCOUNTS ?? 'alice:alice-secret,bob:bob-secret'
)
  .split(',')
  .map((pair) => {
    const [user, password] = pair.split(':') as [string, string];
    return {
      id: `sip:${user}@${domain}`,
      auth: { username: user, password },
      xcap: { root: config.root },
      sip: { outboundProxy: config.sipProxy },
    };
  });

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:54329/rxcap',
  max: 10,
});
pool.on('error', (e) => console.error(`[pool] ${e.message}`)); // a dropped idle connection
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 16 });

// Every process of the service runs the same fleet over the same list of accounts.
const fleet = createFleet({ pool, accounts, managerOptions: { client: { dispatcher } } });

// One stream of per-account status: print each change.
fleet.status$.subscribe((s) =>
  console.log(`[status] ${s.account} ${s.owned ? `owned, ${s.state}` : 'not owned here'}`),
);

await fleet.start();
console.log(`owning ${fleet.owned().length} of ${accounts.length} accounts`);

// Edits go through the manager of an account this process owns.
const mine = fleet.owned()[0];
if (mine !== undefined) {
  const manager = fleet.manager(mine)!;
  await firstValueFrom(manager.state$.pipe(filter((s) => s.state === 'insync')));
  manager.addContact(new Contact({ name: `Fleet ${Date.now().toString(36)}` }));
  await manager.flush(); // journaled in PostgreSQL: survives a crash of this process
  console.log(`[edit] added a contact to ${mine}`);
}

if (process.env.EXIT_WHEN_SYNCED === '1') {
  const owned = new Set(fleet.owned());
  await firstValueFrom(
    fleet.status$.pipe(
      scan((insync, s) => {
        if (s.owned && s.state === 'insync') insync.add(s.account);
        else insync.delete(s.account);
        return insync;
      }, new Set<string>()),
      filter((insync) => [...owned].every((a) => insync.has(a))),
    ),
  );
  console.log(`all ${owned.size} owned accounts in sync`);
  await fleet.stop(); // gives every account up: another process takes them at once
  await dispatcher.close();
  await pool.end();
  console.log('done');
}
// Otherwise it runs until SIGTERM, which hands the accounts over and exits.
