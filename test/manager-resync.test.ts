/**
 * A resync with nothing changed, through the whole manager and its store, against rxcap's own
 * in-memory XCAP server (src/testing): after a restart only conditional GETs go out, all
 * answered 304, and no document the cache knows to be absent is asked for; xcap-caps is
 * revalidated by its ETag. And the NOTIFY of the manager's own PUT costs no GET.
 */
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import { Contact, ContactURI } from '../src/model/index.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import { createInMemoryXcapServer } from '../src/testing/index.js';

const XUI = 'sip:alice@example.com';
const account = (root: string) => ({
  id: 'alice@example.com',
  auth: { password: 's3cret' },
  xcap: { root },
});
const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});
const wait = <T>(o: Observable<T>, pred: (v: T) => boolean) =>
  firstValueFrom(o.pipe(filter(pred), timeout(10_000)));

describe('manager: a resync with nothing changed', () => {
  it('a restart on the same store asks for no absent document; a stop and start makes only conditional requests, all 304', async () => {
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' } });
    const storage = memoryStorage();
    const first = createXcapManager({ account: account(server.root), storage, http: server.http });
    managers.push(first);
    await first.load();
    await first.start();
    await wait(first.state$, (s) => s.state === 'insync');
    first.addContact(
      new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }),
    );
    await wait(first.addressbook$, (b) => b.contacts.length === 1);
    await wait(first.state$, (s) => s.state === 'insync');
    await first.flush();
    await first.close();
    managers.splice(managers.indexOf(first), 1);
    // Documents the first sync found absent and that are still absent (no one wrote them).
    const absent = new Set(
      server.requests
        .filter((r) => r.method === 'GET' && r.status === 404)
        .map((r) => r.auid)
        .filter((auid) => server.document(XUI, auid) === undefined),
    );
    expect(absent.size).toBeGreaterThan(0);

    const seen = server.requests.length;
    const second = createXcapManager({ account: account(server.root), storage, http: server.http });
    managers.push(second);
    await second.load();
    await second.start();
    await wait(second.state$, (s) => s.state === 'insync');
    // The documents: conditional, 304, none known to be absent. xcap-caps is read in full once
    // (capabilities are not stored); a stop and start of the same manager revalidates it too.
    const documents = server.requests.slice(seen).filter((r) => r.auid !== 'xcap-caps');
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.every((r) => r.method === 'GET' && r.ifNoneMatch !== undefined)).toBe(true);
    expect(documents.map((r) => r.status).every((s) => s === 304)).toBe(true);
    expect(documents.filter((r) => absent.has(r.auid))).toEqual([]);
    await second.stop();
    const stopped = server.requests.length;
    await second.start();
    await wait(second.state$, (s) => s.state === 'insync');
    const resync = server.requests.slice(stopped);
    expect(resync.map((r) => r.auid)).toContain('xcap-caps');
    expect(resync.every((r) => r.method === 'GET' && r.ifNoneMatch !== undefined)).toBe(true);
    expect(resync.map((r) => r.status).every((s) => s === 304)).toBe(true);
    expect(resync.filter((r) => absent.has(r.auid))).toEqual([]);
    expect(
      (await wait(second.addressbook$, (b) => b.contacts.length === 1)).contacts[0]?.name,
    ).toBe('Bob');
  });

  it('the xcap-diff NOTIFY of its own PUT costs no GET', async () => {
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' } });
    const m = createXcapManager({
      account: account(server.root),
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
      pollPeriod: 3_600_000,
    });
    managers.push(m);
    await m.load();
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    await new Promise((r) => setTimeout(r, 100));
    const seen = server.requests.length;
    m.addContact(
      new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }),
    );
    await wait(m.addressbook$, (b) => b.contacts.length === 1);
    await wait(m.state$, (s) => s.state === 'insync');
    // Let the NOTIFYs of the PUTs arrive and be handled.
    await new Promise((r) => setTimeout(r, 200));
    const after = server.requests.slice(seen);
    expect(after.filter((r) => r.method === 'PUT').length).toBeGreaterThan(0);
    expect(after.filter((r) => r.method === 'GET')).toEqual([]);
  });
});
