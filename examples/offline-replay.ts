/**
 * Offline edits replayed after a restart: a manager with a file store edits while it cannot
 * reach the server (the edits wait in the journal on disk), the process "restarts" (a new
 * manager on the same store), reaches the server, and the journal is applied.
 *
 *   npx tsx examples/offline-replay.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountSettings, Contact, ContactURI, createXcapManager, fileStorage } from 'rxcap';
import { filter, firstValueFrom } from 'rxjs';
import { config } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'rxcap-offline-'));
const account = (root: string): AccountSettings => ({
  id: config.id,
  auth: { username: config.username, password: config.password },
  xcap: { root, xcapDiff: false },
});
const name = `Offline ${Date.now().toString(36)}`;

// 1. No server: a root on a port where nothing listens.
let storage = fileStorage(dir);
const offline = createXcapManager({ account: account('http://127.0.0.1:9/xcap-root'), storage });
offline.error$.subscribe((e) => console.log(`[offline] ${e.code} (will retry)`));
await offline.load();
await offline.start();
offline.addContact(
  new Contact({ name, uris: [new ContactURI({ uri: 'sip:offline@example.org' })] }),
);
console.log(`[offline] added ${name}; state: ${offline.state}`);
await offline.stop(); // the journal is on disk
await storage.close();

// 2. "Restart": a new manager on the same store, now with the real server.
storage = fileStorage(dir);
const online = createXcapManager({ account: account(config.root), storage });
await online.load();
await online.start();
const book = await firstValueFrom(
  online.addressbook$.pipe(filter((b) => b.contacts.some((c) => c.name === name))),
);
await firstValueFrom(online.state$.pipe(filter((s) => s.state === 'insync')));
console.log(
  `[online] the journal was replayed: ${name} is on the server (${book.contacts.length} contacts)`,
);

// Tidy up the example's contact.
online.removeContact(book.contacts.find((c) => c.name === name)!);
await firstValueFrom(
  online.addressbook$.pipe(filter((b) => !b.contacts.some((c) => c.name === name))),
);
await firstValueFrom(online.state$.pipe(filter((s) => s.state === 'insync')));
await online.stop();
await storage.close();
rmSync(dir, { recursive: true, force: true });
console.log('done');
