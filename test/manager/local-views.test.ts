/**
 * manager.local and manager.pending$ on virtual time: the manager's scheduler is a
 * TestScheduler, the XCAP server the in-memory one behind a switch that makes every request a
 * network error (offline), and time moves only when the test advances it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BehaviorSubject, type Observable, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapNetworkError } from '../../src/client/errors.js';
import type { XcapError } from '../../src/errors.js';
import type { PendingEdit, XcapManager } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import { defaultEngine } from '../../src/manager-defaults.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { Group } from '../../src/model/group.js';
import { documentCache } from '../../src/store/document-cache.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import { XcapOperationDroppedError, XcapOperationRejectedError } from '../../src/streams/errors.js';
import type { DocumentEngine, HttpFactory, XcapHttp } from '../../src/streams/ports.js';
import type { AccountSettings } from '../../src/streams/settings.js';
import { createInMemoryXcapServer } from '../../src/testing/in-memory-xcap-server.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

const ID = 'sip:alice@example.com';
const ROOT = 'http://xcap.test/xcap-root';
const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });

/** The latest value a replaying stream holds now (synchronously), or undefined. */
function latest<T>(o: Observable<T>): T | undefined {
  let v: T | undefined;
  o.subscribe((x) => {
    v = x;
  }).unsubscribe();
  return v;
}

/** Every value of a stream, from now on. */
function record<T>(o: Observable<T>): T[] {
  const out: T[] = [];
  o.subscribe((x) => out.push(x));
  return out;
}

/** Lets the store's promises (memoryStorage answers asynchronously) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Every request fails with a network error (retried quietly with backoff). */
const offlineHttp: HttpFactory = () => {
  const fail = (method: string) =>
    throwError(() => new XcapNetworkError({ url: ROOT, method, cause: new Error('refused') }));
  return { get: () => fail('GET'), put: () => fail('PUT'), delete: () => fail('DELETE') };
};

const managers: XcapManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
});

/** A manager on virtual time against the in-memory server, offline until `online = true`. */
function setup(options: { storage?: StoragePort; engine?: DocumentEngine; latency?: number } = {}) {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  const server = createInMemoryXcapServer({ latency: options.latency ?? 0, scheduler });
  const net = { online: false };
  const offline = (method: string): Observable<never> =>
    throwError(
      () =>
        new XcapNetworkError({
          url: ROOT,
          method,
          cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        }),
    );
  const http: HttpFactory = (c) => {
    const inner = server.http(c);
    const guarded: XcapHttp = {
      get: (...a) => (net.online ? inner.get(...a) : offline('GET')),
      put: (...a) => (net.online ? inner.put(...a) : offline('PUT')),
      delete: (...a) => (net.online ? inner.delete(...a) : offline('DELETE')),
    };
    return guarded;
  };
  const storage = options.storage ?? memoryStorage();
  const m = createXcapManager({
    account: { id: ID, auth: { password: 'pw' }, xcap: { root: ROOT } },
    storage,
    http,
    sip: server.diff,
    scheduler,
    random: () => 0,
    backoff: { initialDelay: 1_000, maxDelay: 8_000, factor: 2, jitter: 0 },
    ...(options.engine ? { engine: options.engine } : {}),
  });
  managers.push(m);
  const errors = record<XcapError>(m.error$);
  /** Moves virtual time forward by `ms`, running every timer due meanwhile. */
  const advance = async (ms: number) => {
    const until = scheduler.now() + ms;
    while (scheduler.now() < until) {
      scheduler.maxFrames = Math.min(until, scheduler.now() + 100);
      scheduler.flush();
      if (scheduler.now() < scheduler.maxFrames) scheduler.frame = scheduler.maxFrames;
      await settle();
    }
  };
  return { m, server, net, scheduler, storage, errors, advance };
}

/** An engine that counts its apply calls. */
function countingEngine(): DocumentEngine & { applies: number } {
  const engine = {
    ...defaultEngine,
    applies: 0,
    apply: (...a: Parameters<DocumentEngine['apply']>) => {
      engine.applies++;
      return defaultEngine.apply(...a);
    },
  };
  return engine;
}

const names = (edits: readonly PendingEdit[] | undefined) =>
  edits?.map((e) => `${e.operation.type}:${e.state}`);

describe('manager.local: the confirmed data with every pending edit applied', () => {
  it('addContact, then a synchronous read of local.addressbook$ holds Bob, marked pending (offline, nothing cached)', async () => {
    const { m } = setup();
    await m.load();
    await m.start();
    const b = bob();
    m.addContact(b);
    const local = latest(m.local.addressbook$);
    expect(local?.value.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect(local?.pending).toBe(true);
    expect([...(local?.pendingIds ?? [])]).toEqual([b.id]);
    // The confirmed stream keeps its contract: nothing synced, nothing emitted.
    expect(latest(m.addressbook$)).toBeUndefined();
  });

  it('an account with nothing cached shows as empty once loaded, before any edit', async () => {
    const { m } = setup();
    expect(latest(m.local.addressbook$)).toBeUndefined();
    await m.load();
    const local = latest(m.local.addressbook$);
    expect(local?.value.contacts).toEqual([]);
    expect(local?.pending).toBe(false);
    expect(latest(m.local.presenceRules$)?.value.defaultPolicy).toBeNull();
    expect(latest(m.local.icon$)).toEqual({ value: null, pending: false });
  });

  it('edits made before load() show at once (applied to an empty account), then on the cache once loaded', async () => {
    const storage = memoryStorage();
    const xml = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'e1' } });
    const { m } = setup({ storage });
    const seen = record(m.local.addressbook$);
    m.addContact(bob());
    expect(seen.map((v) => v.value.contacts.length)).toEqual([1]);
    await m.load();
    expect(seen.map((v) => v.value.contacts.length)).toEqual([1, 9]);
    expect(seen[1]?.value.contacts.filter((c) => seen[1]?.pendingIds.has(c.id))).toHaveLength(1);
  });

  it('a cached addressbook with an offline edit: every cached contact, plus the edit marked pending', async () => {
    const storage = memoryStorage();
    const xml = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'e1' } });
    const { m } = setup({ storage });
    await m.load();
    const confirmed = record(m.addressbook$);
    expect(confirmed.map((b) => b.contacts.length)).toEqual([8]);
    const first = latest(m.local.addressbook$)!.value.contacts[0]!;
    m.updateContact(first, { name: 'Renamed' });
    m.setDefaultPresencePolicy('block');
    const local = latest(m.local.addressbook$)!;
    expect(local.value.contacts).toHaveLength(8);
    expect(local.value.contact(first.id)?.name).toBe('Renamed');
    expect([...local.pendingIds]).toEqual([first.id]);
    expect(latest(m.local.presenceRules$)).toMatchObject({
      value: { defaultPolicy: 'block' },
      pending: true,
    });
    expect(latest(m.local.dialogRules$)?.pending).toBe(false);
    // The confirmed streams did not move.
    expect(confirmed.map((b) => b.contacts.length)).toEqual([8]);
    expect(latest(m.addressbook$)?.contact(first.id)?.name).toBe(first.name);
  });

  it('a transaction of three edits: one apply and one value, at the commit', async () => {
    const engine = countingEngine();
    const { m } = setup({ engine });
    await m.load();
    const seen = record(m.local.addressbook$);
    const before = engine.applies;
    const friends = new Group({ name: 'Friends' });
    const b = bob();
    m.transaction(() => {
      m.addGroup(friends);
      m.addContact(b);
      m.addGroupMember(friends, b);
      expect(seen).toHaveLength(1); // nothing before the commit
    });
    expect(engine.applies - before).toBe(1);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.value.group(friends.id)?.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect([...(seen[1]?.pendingIds ?? [])].sort()).toEqual([friends.id, b.id].sort());
  });

  it('nothing is computed while nobody watches; a late subscriber gets the latest value', async () => {
    const engine = countingEngine();
    const { m } = setup({ engine });
    await m.load();
    m.addContact(bob());
    m.addContact(new Contact({ name: 'Carol', uris: [] }));
    m.addGroup(new Group({ name: 'Work' }));
    expect(engine.applies).toBe(0);
    const late = latest(m.local.addressbook$);
    expect(engine.applies).toBe(1);
    expect(late?.value.contacts.map((c) => c.name)).toEqual(['Bob', 'Carol']);
    expect(late?.value.groups.map((g) => g.name)).toEqual(['Work']);
    // Replaying: another subscriber gets the same value without another computation.
    expect(latest(m.local.addressbook$)).toBe(late);
    expect(engine.applies).toBe(1);
  });

  it('the edit turns confirmed when the server is back: pendingIds empty, addressbook$ has it, pending$ empties', async () => {
    const { m, net, advance } = setup();
    await m.load();
    await m.start();
    const pending = record(m.pending$);
    const b = bob();
    m.addContact(b);
    expect(names(latest(m.pending$))).toEqual(['addContact:waiting']);
    await advance(2_000);
    expect(m.state).toBe('initializing');
    net.online = true;
    await advance(20_000);
    expect(m.state).toBe('insync');
    expect(latest(m.pending$)).toEqual([]);
    const local = latest(m.local.addressbook$)!;
    expect(local.value.contact(b.id)?.name).toBe('Bob');
    expect(local.pendingIds.size).toBe(0);
    expect(local.pending).toBe(false);
    expect(latest(m.addressbook$)?.contact(b.id)?.name).toBe('Bob');
    expect(pending.map(names)).toContainEqual(['addContact:sending']);
    expect(pending.at(-1)).toEqual([]);
  });
});

describe('manager.pending$', () => {
  it('replays [] at first, then lists each journaled edit as waiting while offline', async () => {
    const { m } = setup();
    expect(latest(m.pending$)).toEqual([]);
    m.addGroup(new Group({ name: 'Early' })); // before load: held
    expect(names(latest(m.pending$))).toEqual(['addGroup:waiting']);
    await m.load();
    await m.start();
    m.addContact(bob());
    m.setStatusIcon(null);
    expect(names(latest(m.pending$))).toEqual([
      'addGroup:waiting',
      'addContact:waiting',
      'setStatusIcon:waiting',
    ]);
  });

  it('an edit is sending while its update runs, and gone when the server has it', async () => {
    const { m, net, advance } = setup({ latency: 50 });
    net.online = true;
    await m.load();
    await m.start();
    await advance(2_000);
    expect(m.state).toBe('insync');
    m.addContact(bob());
    expect(names(latest(m.pending$))).toEqual(['addContact:sending']);
    await advance(1_000);
    expect(latest(m.pending$)).toEqual([]);
  });
});

describe('edits naming ids that do not exist, made before the first sync', () => {
  it('are reported on error$ with the operation when dropped, and leave pending$ and the local views', async () => {
    // Regression: such an edit was accepted (nothing to check against yet), then skipped by the
    // update and silently forgotten.
    const { m, net, errors, advance } = setup();
    await m.load();
    m.updateContact('ghost', { name: 'Nobody' });
    m.addGroupMember('nogroup', 'nocontact');
    m.removeContact('gone'); // a removal whose target is absent has reached its goal
    const b = bob();
    m.addContact(b);
    const pending = record(m.pending$);
    expect(latest(m.local.addressbook$)?.pendingIds.has('ghost')).toBe(true);
    net.online = true;
    await m.start();
    await advance(5_000);
    expect(m.state).toBe('insync');
    const dropped = errors.filter((e) => e instanceof XcapOperationDroppedError);
    expect(dropped.map((e) => [e.code, e.operation.type, e.reason])).toEqual([
      ['RXCAP_OPERATION_DROPPED', 'updateContact', 'contact ghost not found'],
      ['RXCAP_OPERATION_DROPPED', 'addGroupMember', 'group nogroup not found'],
    ]);
    expect(dropped[0]?.operation).toEqual({
      type: 'updateContact',
      contactId: 'ghost',
      changes: { name: 'Nobody' },
    });
    // Shown once as rejected with the error, then gone.
    const rejected = pending.flat().filter((e) => e.state === 'rejected');
    expect(rejected.map((e) => e.state === 'rejected' && e.error)).toEqual(dropped);
    expect(latest(m.pending$)).toEqual([]);
    const local = latest(m.local.addressbook$)!;
    expect(local.pendingIds.size).toBe(0);
    expect(local.value.contacts.map((c) => c.name)).toEqual(['Bob']);
  });
});

describe('manager.pending$ and the local views around failures', () => {
  it('an edit the server refuses (409) shows once as rejected with its error, then leaves pending$ and the local views', async () => {
    const { m, server, net, errors, advance } = setup({ latency: 10 });
    net.online = true;
    await m.load();
    await m.start();
    await advance(1_000);
    expect(m.state).toBe('insync');
    const pending = record(m.pending$);
    server.failNext(409, 1);
    const b = bob();
    m.addContact(b);
    expect(latest(m.local.addressbook$)?.value.contact(b.id)?.name).toBe('Bob');
    await advance(1_000);
    const rejected = errors.filter((e) => e instanceof XcapOperationRejectedError);
    expect(rejected.map((e) => e.operation.type)).toEqual(['addContact']);
    expect(pending.map(names)).toEqual([[], ['addContact:sending'], ['addContact:rejected'], []]);
    const shown = pending[2]?.[0];
    expect(shown?.state === 'rejected' && shown.error).toBe(rejected[0]);
    const local = latest(m.local.addressbook$)!;
    expect(local.value.contact(b.id)).toBeUndefined();
    expect(local.pending).toBe(false);
  });

  it('an edit that named what a refused edit added is dropped with it (isolation after a 409)', async () => {
    const { m, server, net, errors, advance } = setup({ latency: 10 });
    net.online = true;
    await m.load();
    await m.start();
    await advance(1_000);
    const friends = new Group({ name: 'Friends' });
    m.addGroup(friends);
    await advance(1_000);
    expect(latest(m.pending$)).toEqual([]);
    server.failNext(409, 2); // the batch, then the contact's own PUT
    const b = bob();
    m.transaction(() => {
      m.addContact(b);
      m.addGroupMember(friends, b);
    });
    await advance(2_000);
    expect(
      errors
        .filter((e) => e.code.startsWith('RXCAP_OPERATION'))
        .map((e) => [e.code, (e as XcapOperationDroppedError).operation.type]),
    ).toEqual([
      ['RXCAP_OPERATION_REJECTED', 'addContact'],
      ['RXCAP_OPERATION_DROPPED', 'addGroupMember'],
    ]);
    expect(latest(m.pending$)).toEqual([]);
    expect(latest(m.local.addressbook$)?.value.group(friends.id)?.contacts).toEqual([]);
  });

  it('a sending edit whose update fails goes back to waiting, and is sent again on the retry', async () => {
    const { m, server, net, advance } = setup({ latency: 10 });
    net.online = true;
    await m.load();
    await m.start();
    await advance(1_000);
    const pending = record(m.pending$);
    server.failNext(400, 1); // not transient: the update waits for its retry timer
    m.addContact(bob());
    await advance(30_000);
    expect(pending.map(names)).toEqual([
      [],
      ['addContact:sending'],
      ['addContact:waiting'],
      ['addContact:sending'],
      [],
    ]);
  });

  it('another account: the local views forget the first account’s data; close() completes them', async () => {
    const settings$ = new BehaviorSubject<AccountSettings>({
      id: ID,
      auth: { password: 'pw' },
      xcap: { root: ROOT },
    });
    const m = createXcapManager({
      account: settings$,
      storage: memoryStorage(),
      http: offlineHttp,
    });
    managers.push(m);
    await m.load();
    m.addContact(bob());
    expect(latest(m.local.addressbook$)?.value.contacts).toHaveLength(1);
    settings$.next({ id: 'sip:carol@example.com', auth: { password: 'pw' }, xcap: { root: ROOT } });
    await settle();
    await m.flush();
    expect(latest(m.local.addressbook$)?.value.contacts).toEqual([]);
    expect(latest(m.pending$)).toEqual([]);
    let completed = 0;
    m.local.addressbook$.subscribe({ complete: () => completed++ });
    m.pending$.subscribe({ complete: () => completed++ });
    await m.close();
    expect(completed).toBe(2);
  });
});
