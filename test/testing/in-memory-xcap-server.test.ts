import { filter, firstValueFrom, lastValueFrom, map, timeout } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapHttpError } from '../../src/client/errors.js';
import { XcapClient } from '../../src/client/xcap-client.js';
import { createXcapManager, type XcapManager, type XcapStatus } from '../../src/manager.js';
import { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import {
  createInMemoryXcapServer,
  fakeXcapManager,
  stateValues,
  type XcapHttpListener,
} from '../../src/testing/index.js';

const XUI = 'sip:alice@example.com';
const users = { [XUI]: 's3cret' };
const DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>';

const managers: XcapManager[] = [];
const listeners: XcapHttpListener[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

const wait = <T>(o: import('rxjs').Observable<T>, pred: (v: T) => boolean) =>
  firstValueFrom(o.pipe(filter(pred), timeout(10_000)));

describe('createInMemoryXcapServer: conditional requests (RFC 4825 §7.11) through the port', () => {
  const server = createInMemoryXcapServer({ users });
  const http = server.http({ root: server.root, xui: XUI, password: 's3cret' });
  const status = (o: import('rxjs').Observable<{ status: number }>) =>
    lastValueFrom(o.pipe(map((r) => r.status))).catch((e: unknown) => (e as XcapHttpError).status);

  it('creates, refuses a second create, answers 304 and 412, deletes', async () => {
    expect(await status(http.get('resource-lists'))).toBe(404);
    const created = await lastValueFrom(http.put('resource-lists', DOC, { ifNoneMatch: '*' }));
    expect(created.status).toBe(201);
    expect(await status(http.put('resource-lists', DOC, { ifNoneMatch: '*' }))).toBe(412);
    expect(await status(http.get('resource-lists', { ifNoneMatch: created.etag ?? '' }))).toBe(304);
    expect(await status(http.put('resource-lists', DOC, { etag: 'stale' }))).toBe(412);
    expect(await status(http.put('resource-lists', '<not xml', { etag: created.etag ?? '' }))).toBe(
      409,
    );
    expect(await status(http.delete('resource-lists', { etag: created.etag ?? '' }))).toBe(200);
    expect(await status(http.delete('resource-lists'))).toBe(404);
    expect(server.requests.map((r) => r.status)).toEqual([404, 201, 412, 304, 412, 409, 200, 404]);
  });

  it('refuses a wrong password, serves xcap-caps, and fails on demand', async () => {
    const wrong = server.http({ root: server.root, xui: XUI, password: 'nope' });
    expect(await status(wrong.get('resource-lists'))).toBe(401);
    const caps = await lastValueFrom(http.get('xcap-caps', { global: true }));
    expect(caps.body).toContain('<auid>resource-lists</auid>');
    server.failNext(503, 2);
    expect(await status(http.get('xcap-caps', { global: true }))).toBe(503);
    expect(await status(http.get('xcap-caps', { global: true }))).toBe(503);
    expect(await status(http.get('xcap-caps', { global: true }))).toBe(200);
  });
});

describe('createInMemoryXcapServer with the manager', () => {
  it('syncs a manager through the ports and pushes another device’s change through xcap-diff', async () => {
    const server = createInMemoryXcapServer({ users });
    const account = {
      id: 'alice@example.com',
      auth: { password: 's3cret' },
      xcap: { root: server.root },
    };
    const laptop = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
      pollPeriod: 3_600_000,
    });
    managers.push(laptop);
    await laptop.load();
    await laptop.start();
    await wait(laptop.state$, (s) => s.state === 'insync');
    laptop.addContact(
      new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }),
    );
    await wait(laptop.addressbook$, (b) => b.contacts.length === 1);
    expect(server.document(XUI, 'resource-lists')?.body).toContain('Bob');

    // Another device writes: only xcap-diff can tell the laptop (polling is once an hour).
    const phone = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      pollPeriod: 3_600_000,
    });
    managers.push(phone);
    await phone.load();
    await phone.start();
    await wait(phone.addressbook$, (b) => b.contacts.length === 1);
    phone.addContact(
      new Contact({ name: 'Carol', uris: [new ContactURI({ uri: 'sip:carol@example.com' })] }),
    );
    const seen = await wait(laptop.addressbook$, (b) => b.contacts.length === 2);
    expect(seen.contacts.map((c) => c.name).sort()).toEqual(['Bob', 'Carol']);
  });

  it('serves the documents over HTTP with Digest: XcapClient and the manager’s default HTTP port', async () => {
    const server = createInMemoryXcapServer({ users });
    const listener = await server.listen();
    listeners.push(listener);
    const client = new XcapClient({ root: listener.root, xui: XUI, password: 's3cret' });
    const put = await lastValueFrom(client.put('resource-lists', DOC, { ifNoneMatch: '*' }));
    expect(put.status).toBe(201);
    const got = await lastValueFrom(client.get('resource-lists'));
    expect(got).toMatchObject({ status: 200, etag: put.etag, body: DOC });

    const wrong = new XcapClient({ root: listener.root, xui: XUI, password: 'nope' });
    const error = await lastValueFrom(wrong.get('resource-lists')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapHttpError);
    expect((error as XcapHttpError).status).toBe(401);
    // Before: node selectors answered 501.
    const selector = await lastValueFrom(client.get('resource-lists', { node: 'resource-lists' }));
    expect(selector).toMatchObject({ status: 200, etag: put.etag });
    expect(selector.body).toBe('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>');

    const manager = createXcapManager({
      account: {
        id: 'alice@example.com',
        auth: { password: 's3cret' },
        xcap: { root: listener.root },
      },
      storage: memoryStorage(),
      sip: server.diff,
    });
    managers.push(manager);
    await manager.load();
    await manager.start();
    await wait(manager.state$, (s) => s.state === 'insync');
    expect(server.requests.filter((r) => r.method === 'PUT').length).toBeGreaterThan(1);
  });
});

describe('fakeXcapManager: marble tests of code that uses the manager', () => {
  it('scripts the local views and pending$ too; pending$ defaults to nothing pending', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const bob = new Contact({ name: 'Bob', uris: [] });
      const manager = fakeXcapManager({
        local: {
          addressbook$: cold('a', {
            a: { value: new Addressbook([bob]), pending: true, pendingIds: new Set([bob.id]) },
          }),
        },
      });
      expectObservable(
        manager.local.addressbook$.pipe(
          map((b) => b.value.contacts.filter((c) => b.pendingIds.has(c.id)).length),
        ),
      ).toBe('n', { n: 1 });
      expectObservable(manager.pending$).toBe('(a|)', { a: [] });
      expectObservable(manager.local.icon$).toBe('');
    });
  });

  it('scripts the streams with cold() and records the operations called', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const bob = new Contact({
        name: 'Bob',
        uris: [new ContactURI({ uri: 'sip:bob@example.com' })],
      });
      const manager = fakeXcapManager({
        state$: cold('a-b-c', stateValues('stopped', 'initializing', 'insync')),
        addressbook$: cold('----x', { x: new Addressbook([bob]) }),
      });
      const label$ = manager.state$.pipe(map((s) => (s.state === 'insync' ? 'ready' : 'busy')));
      expectObservable(label$).toBe('a-a-b', { a: 'busy', b: 'ready' });
      expectObservable(manager.addressbook$.pipe(map((b) => b.contacts.length))).toBe('----n', {
        n: 1,
      });
      manager.removeContact(bob);
      expect(manager.calls).toEqual([{ method: 'removeContact', args: [bob] }]);
      expect(manager.state).toBe('stopped');
    });
  });

  it('scripts status$ and records whenInSync() (which resolves at once)', async () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    const offline: XcapStatus = {
      state: 'initializing',
      connectivity: 'unreachable',
      lastError: null,
      failures: 2,
      nextRetryAt: 3_000,
      xcapDiff: { state: 'off', reason: null, pollPeriod: null, failures: 0, nextRetryAt: null },
      pending: 1,
      lastSyncAt: null,
      hint: 'connection refused by 127.0.0.1:1; retrying',
    };
    let manager: ReturnType<typeof fakeXcapManager> | undefined;
    scheduler.run(({ cold, expectObservable }) => {
      manager = fakeXcapManager({ status$: cold('a', { a: offline }) });
      expectObservable(manager.status$.pipe(map((s) => s.hint))).toBe('h', { h: offline.hint });
    });
    await expect(manager!.whenInSync()).resolves.toBeUndefined();
    expect(manager!.calls).toEqual([{ method: 'whenInSync', args: [] }]);
  });
});
