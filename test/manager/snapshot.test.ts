/**
 * manager.getSnapshot() / manager.subscribe() on a real manager, synced with the in-memory
 * XCAP server of rxcap/testing: what a UI bound through React's useSyncExternalStore sees.
 */
import { BehaviorSubject, filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { XcapSnapshot } from '../../src/manager/snapshot.js';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { AccountSettings } from '../../src/streams/settings.js';
import { createInMemoryXcapServer } from '../../src/testing/index.js';

const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });

/** Resolves with the first snapshot (current or later) that satisfies `pred`. */
function snapshotWhere(m: XcapManager, pred: (s: XcapSnapshot) => boolean): Promise<XcapSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such snapshot within 5 s')), 5_000);
    const check = (): boolean => {
      const s = m.getSnapshot();
      if (!pred(s)) return false;
      clearTimeout(timer);
      stop();
      resolve(s);
      return true;
    };
    const stop = m.subscribe(check);
    check();
  });
}

describe('manager.getSnapshot()', () => {
  it('is the same object until a stream changes, and shows the synced data and state', async () => {
    const server = createInMemoryXcapServer({ users: { 'sip:alice@example.com': 's3cret' } });
    const m = createXcapManager({
      account: {
        id: 'alice@example.com',
        auth: { password: 's3cret' },
        xcap: { root: server.root },
      },
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
    });
    managers.push(m);
    const first = m.getSnapshot();
    expect(first).toMatchObject({ state: 'stopped', addressbook: undefined, icon: undefined });
    expect(m.getSnapshot()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);

    await m.load();
    await m.start();
    const synced = await snapshotWhere(m, (s) => s.state === 'insync');
    expect(synced.addressbook?.contacts).toEqual([]);
    expect(synced.capabilities).toBeDefined();
    expect(m.getSnapshot()).toBe(synced);

    m.addContact(bob());
    const withBob = await snapshotWhere(m, (s) => s.addressbook?.contacts.length === 1);
    expect(withBob.addressbook?.contacts[0]?.name).toBe('Bob');
    // Parts that did not change keep their reference: a UI re-renders only what changed.
    expect(withBob.capabilities).toBe(synced.capabilities);
  });

  it('forgets the data of the previous account on an account switch (undefined until the new one has)', async () => {
    const server = createInMemoryXcapServer({
      users: { 'sip:alice@example.com': 'a', 'sip:carol@example.com': 'c' },
    });
    const alice: AccountSettings = {
      id: 'alice@example.com',
      auth: { password: 'a' },
      xcap: { root: server.root },
    };
    const account$ = new BehaviorSubject(alice);
    const m = createXcapManager({
      account: account$,
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
    });
    managers.push(m);
    await m.load();
    await m.start();
    m.addContact(bob());
    await snapshotWhere(m, (s) => s.state === 'insync' && s.addressbook?.contacts.length === 1);

    const seen: (number | undefined)[] = [];
    const seenLocal: (number | undefined)[] = [];
    m.subscribe(() => {
      seen.push(m.getSnapshot().addressbook?.contacts.length);
      seenLocal.push(m.getSnapshot().local.addressbook?.value.contacts.length);
    });
    account$.next({
      id: 'carol@example.com',
      auth: { password: 'c' },
      xcap: { root: server.root },
    });
    await firstValueFrom(
      m.state$.pipe(
        filter((s) => s.state === 'insync'),
        timeout(5_000),
      ),
    );
    await snapshotWhere(m, (s) => s.state === 'insync' && s.addressbook?.contacts.length === 0);
    // alice's Bob is gone before carol's empty book arrives: never shown as carol's.
    expect(seen).toContain(undefined);
    expect(seen.indexOf(undefined)).toBeLessThan(seen.lastIndexOf(0));
    // The local view too: alice's local addressbook is never shown as carol's.
    expect(seenLocal).toContain(undefined);
    expect(seenLocal.indexOf(undefined)).toBeLessThan(seenLocal.lastIndexOf(0));
    expect(seenLocal.slice(seenLocal.indexOf(undefined))).not.toContain(1);
  });

  it('shows an edit at once in local, pending and status, and confirmed once on the server', async () => {
    const server = createInMemoryXcapServer({ users: { 'sip:alice@example.com': 's3cret' } });
    const m = createXcapManager({
      account: {
        id: 'alice@example.com',
        auth: { password: 's3cret' },
        xcap: { root: server.root },
      },
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
    });
    managers.push(m);
    await m.load();
    let changes = 0;
    m.subscribe(() => changes++);
    const before = changes;
    const contact = bob();
    m.addContact(contact);
    // Synchronously: the method returned and the snapshot already shows the edit, pending.
    expect(changes).toBeGreaterThan(before);
    const offline = m.getSnapshot();
    expect(offline.local.addressbook?.value.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect(offline.local.addressbook?.pendingIds.has(contact.id)).toBe(true);
    expect(offline.pending.map((e) => e.state)).toEqual(['waiting']);
    expect(offline.addressbook?.contacts ?? []).toEqual([]);

    expect(offline.status).toMatchObject({ state: 'stopped', pending: 1 });

    await m.start();
    await m.whenInSync();
    const synced = m.getSnapshot();
    expect(synced.addressbook?.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect(synced.local.addressbook?.pendingIds.size).toBe(0);
    expect(synced.pending).toEqual([]);
    expect(synced.status).toMatchObject({ state: 'insync', pending: 0, connectivity: 'reachable' });
    // The local group kept its reference while only other fields changed.
    expect(m.getSnapshot().local).toBe(synced.local);
  });
});
