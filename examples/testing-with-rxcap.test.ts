/**
 * How to test your own code with `rxcap/testing` (the test suite runs this file):
 * - a "presence badge" view model, marble-tested against a scripted manager;
 * - an app service, tested end to end against the in-memory XCAP server, including a change
 *   another device makes, which reaches the manager through xcap-diff.
 *
 *   npx vitest run examples/testing-with-rxcap.test.ts
 */
import {
  Addressbook,
  Contact,
  ContactURI,
  createXcapManager,
  memoryStorage,
  type XcapManager,
} from 'rxcap';
import { createInMemoryXcapServer, fakeXcapManager, stateValues } from 'rxcap/testing';
import { combineLatest, filter, firstValueFrom, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';

// --- the application code under test ---------------------------------------------------------

/** "3 contacts" once in sync, "syncing…" before. */
function badge$(manager: XcapManager): Observable<string> {
  return combineLatest([manager.state$, manager.addressbook$]).pipe(
    map(([s, book]) => (s.state === 'insync' ? `${book.contacts.length} contacts` : 'syncing…')),
  );
}

/** Adds a buddy by SIP URI. */
function addBuddy(manager: XcapManager, name: string, uri: string): void {
  manager.addContact(
    new Contact({
      name,
      uris: [new ContactURI({ uri })],
      presence: { policy: 'allow', subscribe: true },
    }),
  );
}

// --- the tests --------------------------------------------------------------------------------

describe('badge$ (marble test against a scripted manager)', () => {
  it('says syncing until in sync, then counts the contacts', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const bob = new Contact({
          name: 'Bob',
          uris: [new ContactURI({ uri: 'sip:bob@example.com' })],
        });
        const manager = fakeXcapManager({
          state$: cold('a--b', stateValues('fetching', 'insync')),
          addressbook$: cold('x----y', { x: new Addressbook(), y: new Addressbook([bob]) }),
        });
        expectObservable(badge$(manager)).toBe('s--z-o', {
          s: 'syncing…',
          z: '0 contacts',
          o: '1 contacts',
        });
      },
    );
  });

  it('addBuddy journals one contact that subscribes to presence', () => {
    const manager = fakeXcapManager();
    addBuddy(manager, 'Bob', 'sip:bob@example.com');
    expect(manager.calls.map((c) => c.method)).toEqual(['addContact']);
    const contact = manager.calls[0]?.args[0] as Contact | undefined;
    expect(contact?.presence).toMatchObject({ policy: 'allow', subscribe: true });
  });
});

describe('an app against the in-memory XCAP server', () => {
  const managers: XcapManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('syncs the buddy it adds, and sees the one another device adds', async () => {
    const server = createInMemoryXcapServer({ users: { 'sip:alice@example.com': 's3cret' } });
    const account = {
      id: 'alice@example.com',
      auth: { password: 's3cret' },
      xcap: { root: server.root },
    };
    const ports = { storage: memoryStorage(), http: server.http, sip: server.diff };
    const app = createXcapManager({ account, ...ports });
    managers.push(app);
    await app.load();
    await app.start();
    addBuddy(app, 'Bob', 'sip:bob@example.com');
    await firstValueFrom(badge$(app).pipe(filter((b) => b === '1 contacts')));
    expect(server.document('sip:alice@example.com', 'resource-lists')?.body).toContain(
      'sip:bob@example.com',
    );

    const phone = createXcapManager({ account, storage: memoryStorage(), http: server.http });
    managers.push(phone);
    await phone.load();
    await phone.start();
    await firstValueFrom(badge$(phone).pipe(filter((b) => b === '1 contacts')));
    addBuddy(phone, 'Carol', 'sip:carol@example.com');
    expect(await firstValueFrom(badge$(app).pipe(filter((b) => b === '2 contacts')))).toBe(
      '2 contacts',
    );
  });
});
