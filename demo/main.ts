/**
 * The rxcap demo (the README's first command: `npm run demo`, which starts the Kamailio test
 * server first). It tells one story with two devices of one user, alice:
 *
 *  1. Her laptop runs a manager with a file store; we watch its states and addressbook.
 *  2. Her phone (a second manager, its own store) edits the addressbook; the laptop learns of it
 *     at once through the xcap-diff subscription (its polling is set to one hour).
 *  3. The XCAP server goes down; the laptop keeps editing offline (the edits wait in its
 *     journal): its local view shows them at once, marked pending, the confirmed view (the
 *     server's) does not, and its status line says why; the server comes back, the edits are
 *     synced and turn confirmed, and the phone sees them.
 *  4. Everything stops cleanly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  distinctUntilChanged,
  filter,
  firstValueFrom,
  from,
  map,
  type Observable,
  timeout,
} from 'rxjs';
import {
  type AccountSettings,
  type Addressbook,
  Contact,
  ContactURI,
  createXcapManager,
  EventHandling,
  fileStorage,
  Group,
  memoryStorage,
  type XcapManager,
} from '../src/node.js';
import { testServer, wipeUserDocuments } from '../test/support/test-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '..', 'test-server');
const env = testServer();
const alice = env.users.alice;

// --- output a person can follow --------------------------------------------------------------
const t0 = Date.now();
const clock = () => `${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s`;
const say = (who: string, text: string) => console.log(`${clock()}  ${who.padEnd(7)} ${text}`);
const chapter = (title: string) => console.log(`\n=== ${title}`);
/** The contacts with their groups; those a pending edit adds or changes marked `(pending)`. */
const describeBook = (book: Addressbook, pendingIds: ReadonlySet<string> = new Set()) =>
  book.contacts.length === 0
    ? '(empty)'
    : book.contacts
        .map((c) => {
          const groups = book.groups.filter((g) => g.contacts.some((m) => m.id === c.id));
          const tag = groups.length ? ` [${groups.map((g) => g.name).join(', ')}]` : '';
          return `${c.name}${tag}${pendingIds.has(c.id) ? ' (pending)' : ''}`;
        })
        .join(', ');

/**
 * Prints what a UI of `who` would show. The local view (`manager.local.addressbook$`) is what
 * the user sees: every edit at once, also offline, marked pending until the server has it; the
 * confirmed view (`addressbook$`) is the server's, emitted when a sync completes; the status
 * (`status$`) explains the state in one line.
 */
function watch(who: string, manager: XcapManager, options: { local?: boolean } = {}): void {
  manager.state$.subscribe(({ prev, state }) => prev && say(who, `state ${prev} -> ${state}`));
  if (options.local) {
    manager.local.addressbook$.subscribe(({ value, pendingIds }) =>
      say(who, `local:     ${describeBook(value, pendingIds)}`),
    );
    manager.status$
      .pipe(
        map((s) => `${s.hint}${s.pending > 0 ? ` · ${s.pending} edit(s) not on the server` : ''}`),
        distinctUntilChanged(),
      )
      .subscribe((line) => say(who, `status:    ${line}`));
  }
  manager.addressbook$.subscribe((book) => say(who, `confirmed: ${describeBook(book)}`));
  manager.error$.subscribe((e) => say(who, `error ${e.code}: ${e.message}`));
}

function until<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 30_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}
/** `whenInSync()`: in sync with nothing pending; the demo fails instead of hanging. */
const inSync = (m: XcapManager, ms = 30_000) =>
  firstValueFrom(from(m.whenInSync()).pipe(timeout(ms)));
const hasContact = (m: XcapManager, name: string, present = true) =>
  until(m.addressbook$, (b) => b.contacts.some((c) => c.name === name) === present);

// --- the two devices ---------------------------------------------------------------------------
const account: AccountSettings = {
  id: alice.id,
  auth: { username: alice.username, password: alice.password },
  xcap: { root: env.xcapRoot },
  // xcap-diff over SIP/TCP to the test server (WebSocket works the same: `ws://…`).
  sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp` },
};
// Fast retries so the offline chapter does not take minutes; polling only once an hour, so
// every remote change you see below arrived through xcap-diff.
const tuning = { backoff: { initialDelay: 500, maxDelay: 2_000 }, pollPeriod: 3_600_000 };

const storeDir = mkdtempSync(join(tmpdir(), 'rxcap-demo-'));
const laptop = createXcapManager({ account, storage: fileStorage(storeDir), ...tuning });
const phone = createXcapManager({ account, storage: memoryStorage(), ...tuning });

async function main(): Promise<void> {
  chapter('1. The laptop starts and syncs (file store in ' + storeDir + ')');
  // A clean account for the story: the demo owns alice on this throw-away server.
  wipeUserDocuments(alice);
  watch('laptop', laptop, { local: true });
  await laptop.load();
  await laptop.start();
  await inSync(laptop);
  const friends = new Group({ name: 'Friends' });
  const bob = new Contact({
    name: 'Bob',
    uris: [new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' })],
    presence: new EventHandling('allow', true),
  });
  say('laptop', 'adds group Friends and contact Bob (in Friends), in one transaction');
  laptop.transaction(() => {
    laptop.addGroup(friends);
    laptop.addContact(bob);
    laptop.addGroupMember(friends, bob);
  });
  await hasContact(laptop, 'Bob');
  await inSync(laptop);

  chapter('2. The phone joins and edits; the laptop hears of it through xcap-diff');
  watch('phone', phone);
  await phone.start();
  await hasContact(phone, 'Bob');
  await inSync(phone);
  const carol = new Contact({
    name: 'Carol',
    uris: [new ContactURI({ uri: 'sip:carol@example.org', type: 'SIP' })],
  });
  const sent = Date.now();
  say('phone', 'adds contact Carol');
  phone.addContact(carol);
  await hasContact(laptop, 'Carol');
  say('laptop', `saw Carol ${Date.now() - sent} ms after the phone's edit (polling is hourly)`);
  await inSync(laptop);

  chapter('3. The XCAP server goes down; the laptop keeps working offline');
  execFileSync('bash', [join(serverDir, 'stop.sh')]);
  say('server', 'stopped');
  say('laptop', 'renames Bob to "Bob Smith" and adds Dave, while offline');
  laptop.transaction(() => {
    laptop.updateContact(bob, { name: 'Bob Smith' });
    laptop.addContact(
      new Contact({ name: 'Dave', uris: [new ContactURI({ uri: 'tel:+15551234567' })] }),
    );
  });
  await new Promise((r) => setTimeout(r, 3_000));
  // What a UI reads synchronously (React's useSyncExternalStore takes exactly this).
  const offline = laptop.getSnapshot();
  say(
    'laptop',
    `still ${offline.state}; snapshot: ${offline.pending.length} edit(s) pending in the journal on disk, ` +
      `local shows ${offline.local.addressbook?.value.contacts.length} contacts, confirmed ${offline.addressbook?.contacts.length}`,
  );
  execFileSync('bash', [join(serverDir, 'start.sh'), '--keep'], { stdio: 'ignore' });
  say('server', 'back (same database)');
  await inSync(laptop, 60_000);
  say('laptop', 'whenInSync() resolved: the server has every edit');
  await hasContact(phone, 'Dave');
  await hasContact(phone, 'Bob Smith');
  say('phone', 'has the laptop’s offline edits');

  chapter('4. Both devices agree; stopping');
  const [a, b] = await Promise.all([
    firstValueFrom(laptop.addressbook$),
    firstValueFrom(phone.addressbook$),
  ]);
  const names = (x: Addressbook) => x.contacts.map((c) => c.name).sort();
  say('demo', `laptop: ${names(a).join(', ')} | phone: ${names(b).join(', ')}`);
  if (JSON.stringify(names(a)) !== JSON.stringify(names(b))) {
    throw new Error('the two devices disagree');
  }
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error('\nThe demo failed:', e);
} finally {
  await Promise.all([laptop.stop(), phone.stop()]);
  say('demo', 'both managers stopped (xcap-diff subscriptions terminated)');
  rmSync(storeDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
