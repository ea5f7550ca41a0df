/**
 * A Node service managing several accounts in one process with ONE shared undici Agent (one
 * connection pool), composing their streams into a single health view.
 *
 *   npx tsx examples/multi-account-service.ts
 *
 * Accounts come from XCAP_ACCOUNTS ("user:password,user:password", in the domain of XCAP_ID),
 * defaulting to alice and bob on the test server.
 */

import { type AccountSettings, createXcapManager, memoryStorage } from 'rxcap';
import { combineLatest, filter, firstValueFrom, map } from 'rxjs';
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

const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
// One store holds many accounts, each locked separately (use fileStorage(dir) in production).
const storage = memoryStorage();
const managers = accounts.map((account) =>
  createXcapManager({ account, storage, client: { dispatcher } }),
);

// One stream for the whole service: how many accounts are in sync, and how many contacts.
const health$ = combineLatest(managers.map((m) => combineLatest([m.state$, m.addressbook$]))).pipe(
  map((all) => ({
    insync: all.filter(([s]) => s.state === 'insync').length,
    contacts: all.reduce((n, [, book]) => n + book.contacts.length, 0),
  })),
);
health$.subscribe((h) =>
  console.log(`[health] ${h.insync}/${managers.length} in sync, ${h.contacts} contacts`),
);
// Errors of every account on one stream, tagged with the account.
managers.forEach((m, i) => {
  m.error$.subscribe((e) => console.log(`[${accounts[i]!.id}] ${e.code}: ${e.message}`));
});

await Promise.all(managers.map((m) => m.load().then(() => m.start())));
await firstValueFrom(health$.pipe(filter((h) => h.insync === managers.length)));
console.log(`all ${managers.length} accounts in sync over one connection pool`);

await Promise.all(managers.map((m) => m.stop()));
await dispatcher.close();
console.log('done');
