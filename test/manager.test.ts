import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BehaviorSubject,
  filter,
  firstValueFrom,
  NEVER,
  type Observable,
  of,
  takeUntil,
  throwError,
  timeout,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { XcapHttpError } from '../src/client/errors.js';
import { XcapValidationError } from '../src/errors.js';
import { XcapUnknownIdError } from '../src/journal/known-ids.js';
import { createXcapManager } from '../src/manager.js';
import { Contact } from '../src/model/contact.js';
import { Group } from '../src/model/group.js';
import { documentCache } from '../src/store/document-cache.js';
import { journalStore } from '../src/store/journal-store.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { StoragePort } from '../src/store/storage-port.js';
import type { Connection, DiffPort, XcapHttp } from '../src/streams/ports.js';
import type { AccountSettings } from '../src/streams/settings.js';
import { REFERENCE_LAYOUT_DIR } from './support/fixtures.js';

const FIXTURES = REFERENCE_LAYOUT_DIR;
const ID = 'sip:alice@example.com';
/** Nothing listens on port 9: every request fails with a real network error. */
const UNREACHABLE = 'http://127.0.0.1:9/xcap-root';
const account: AccountSettings = { id: ID, auth: { password: 'pw' }, xcap: { root: UNREACHABLE } };
const fast = { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 0 };

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 5_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}
const group = (name: string) => new Group({ name });

describe('createXcapManager (no server)', () => {
  it('state$ replays { prev: null, state: stopped } to late subscribers', async () => {
    const m = createXcapManager({ account });
    expect(await firstValueFrom(m.state$)).toEqual({ prev: null, state: 'stopped' });
    expect(m.state).toBe('stopped');
  });

  it('operation methods validate synchronously and journal nothing on bad input', async () => {
    const storage = memoryStorage();
    const m = createXcapManager({ account, storage });
    expect(() => m.removeContact('1 not an id')).toThrow(XcapValidationError);
    expect(() => m.setStatusIcon('icon.png' as never)).toThrow(XcapValidationError);
    // The parameter is typed SubHandling: tsc refuses 'maybe'; untyped callers still get the error.
    // @ts-expect-error 'maybe' is not a SubHandling
    expect(() => m.setDefaultPresencePolicy('maybe')).toThrow(XcapValidationError);
    // @ts-expect-error 'permit' is not a SubHandling
    expect(() => m.setDefaultDialogPolicy('permit')).toThrow(XcapValidationError);
    await m.load();
    await m.stop();
    expect(await journalStore(storage, ID).load()).toEqual([]);
  });

  it('only the outermost commit saves the journal (nested transactions)', async () => {
    const storage = memoryStorage();
    const m = createXcapManager({ account, storage });
    await m.load();
    const saved = async () => {
      await m.flush();
      return (await journalStore(storage, ID).load()).map(
        (r) => (r.operation as { type: string }).type,
      );
    };
    m.commitTransaction(); // without a start: no effect
    const outer = m.startTransaction();
    outer.addGroup(group('A'));
    const r = m.transaction(() => {
      m.addGroup(group('B'));
      // A nested transaction(fn) joins the running one.
      m.transaction((inner) => inner.addGroup(group('C')));
      return 42;
    });
    expect(r).toBe(42);
    expect(await saved()).toEqual(['addGroup', 'addGroup']);
    m.commitTransaction(outer);
    expect(await saved()).toEqual(['addGroup', 'addGroup', 'addGroup']);
    expect(outer.open).toBe(false);
    expect(() => outer.removeGroup('gone')).toThrow(XcapValidationError);
    await m.close();
  });

  it('transaction(fn) with an async fn commits after it settles', async () => {
    const storage = memoryStorage();
    const m = createXcapManager({ account, storage });
    await m.load();
    let release!: () => void;
    const done = m.transaction(async (tx) => {
      m.addGroup(group('A')); // synchronously inside fn: joins the transaction
      await new Promise<void>((r) => {
        release = r;
      });
      tx.addGroup(group('B')); // after an await only the handle is the caller's
    });
    await m.stop();
    expect(await journalStore(storage, ID).load()).toEqual([]);
    release();
    await done;
    await m.stop();
    expect(await journalStore(storage, ID).load()).toHaveLength(2);
  });

  it('operations before load() come after the stored journal', async () => {
    const storage = memoryStorage();
    await journalStore(storage, ID).save([
      { id: 'stored1', operation: { type: 'removeGroup', groupId: 'g1' } },
    ]);
    const m = createXcapManager({ account, storage });
    m.removeGroup('g2');
    await m.load();
    await m.stop();
    const records = await journalStore(storage, ID).load();
    expect(records.map((r) => (r.operation as { groupId: string }).groupId)).toEqual(['g1', 'g2']);
  });

  it('a load() that failed on a fake storage error can be retried, keeping operations journaled meanwhile', async () => {
    // Regression: the first load()'s rejected promise was kept forever, so a passing storage
    // failure (a lock held for a moment) left the manager unable to load, start or save.
    const inner = memoryStorage();
    let failures = 1;
    const storage: StoragePort = {
      ...inner,
      load: (key) =>
        failures-- > 0 ? Promise.reject(new Error('fake: storage busy')) : inner.load(key),
      save: (key, value) => inner.save(key, value),
    };
    const m = createXcapManager({ account, storage });
    await expect(m.load()).rejects.toThrow('fake: storage busy');
    m.addGroup(group('kept'));
    await m.load();
    await m.flush();
    const records = await journalStore(inner, ID).load();
    expect(records.map((r) => (r.operation as { type: string }).type)).toEqual(['addGroup']);
  });

  it('stop() during a start() that fails (fake storage error) resolves: the manager is stopped', async () => {
    // Regression: stop() awaited the failing start() and rejected with its storage error,
    // although there was nothing to stop.
    const inner = memoryStorage();
    const storage: StoragePort = {
      ...inner,
      load: () => Promise.reject(new Error('fake: storage broken')),
    };
    const m = createXcapManager({ account, storage });
    const started = m.start();
    const stopped = m.stop();
    await expect(started).rejects.toThrow('fake: storage broken');
    await expect(stopped).resolves.toBeUndefined();
    expect(m.state).toBe('stopped');
  });

  it('load() emits the cached data, replayed to late subscribers', async () => {
    const storage = memoryStorage();
    const xml = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');
    await documentCache(storage, ID).save({
      'resource-lists': { content: xml('resource-lists.xml'), etag: 'e1' },
      'pres-rules': { content: xml('org.openmobilealliance.pres-rules.xml'), etag: 'e2' },
    });
    const expected = JSON.parse(xml('expected.json'));
    const m = createXcapManager({ account, storage });
    await m.load();
    const ab = await firstValueFrom(m.addressbook$);
    expect(ab.contacts.map((c) => c.name)).toEqual(
      expected.addressbook.contacts.map((c: { name: string }) => c.name),
    );
    expect((await firstValueFrom(m.presenceRules$)).defaultPolicy).toBe(
      expected.default_presence_policy,
    );
  });

  it('lifecycle and states while the server is unreachable: retries, then stop() ends it', async () => {
    const m = createXcapManager({ account, backoff: fast });
    const lifecycle: string[] = [];
    m.lifecycle$.subscribe((e) => lifecycle.push(e));
    const states: string[] = [];
    m.state$.subscribe((s) => states.push(`${s.prev}->${s.state}`));
    const tries: string[] = [];
    m.trace$.subscribe((t) => tries.push(`${t.method} ${t.auid} ${t.error}`));
    await m.start();
    expect(lifecycle).toEqual(['willStart', 'didStart']);
    await wait(m.trace$, () => tries.length >= 3);
    expect(tries.slice(0, 3)).toEqual(Array(3).fill('GET xcap-caps RXCAP_NETWORK'));
    m.addGroup(group('offline'));
    await m.stop();
    expect(lifecycle).toEqual(['willStart', 'didStart', 'willEnd', 'didEnd']);
    expect(states).toEqual([
      'null->stopped',
      'stopped->initializing',
      'initializing->stopping',
      'stopping->stopped',
    ]);
    // No retry after the stop.
    const after = tries.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(tries.length).toBe(after);
  });

  it('flush() resolves once the journal holding a new operation is saved', async () => {
    // A store whose saves take 50 ms: without waiting for flush(), nothing would be stored yet.
    const inner = memoryStorage();
    const slow: StoragePort = {
      ...inner,
      load: (k) => inner.load(k),
      keys: (p) => inner.keys(p),
      delete: (k) => inner.delete(k),
      purge: (p) => inner.purge(p),
      close: () => inner.close(),
      save: (k, v) => new Promise((r) => setTimeout(r, 50)).then(() => inner.save(k, v)),
    };
    const m = createXcapManager({ account, storage: slow });
    m.addGroup(group('before load')); // journaled before load(): saved after it
    const stored = () => journalStore<{ type: string }>(inner, ID).load();
    expect(await stored()).toEqual([]);
    await m.flush();
    expect((await stored()).map((r) => r.operation.type)).toEqual(['addGroup']);
    m.addGroup(group('after load'));
    expect(await stored()).toHaveLength(1);
    await m.flush();
    expect(await stored()).toHaveLength(2);
    await m.stop();
  });

  it('an unknown id is refused synchronously and nothing is journaled (DESIGN §3)', async () => {
    const storage = memoryStorage();
    const xml = readFileSync(join(FIXTURES, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'e1' } });
    const m = createXcapManager({ account, storage });
    await m.load();
    await wait(m.addressbook$, (b) => b.contacts.length === 8);
    expect(() => m.updateContact('nobody', { name: 'x' })).toThrow(XcapUnknownIdError);
    expect(() => m.addGroupMember('id1720000000112446723539', 'nobody')).toThrow(/no contact/);
    // A contact added a moment ago (only in the journal) may be named at once.
    const carol = new Contact({ name: 'Carol', uris: [] });
    m.transaction(() => {
      m.addContact(carol);
      m.addGroupMember('id1720000000112446723539', carol);
    });
    await m.stop();
    const types = (await journalStore<{ type: string }>(storage, ID).load()).map(
      (r) => r.operation.type,
    );
    expect(types).toEqual(['addContact', 'addGroupMember']);
  });

  it('another account id: its own cache and journal, the first account’s journal is kept', async () => {
    const storage = memoryStorage();
    const B = 'sip:bob@example.com';
    const xml = readFileSync(join(FIXTURES, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, B).save({ 'resource-lists': { content: xml, etag: 'b1' } });
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({ account: settings$, storage });
    await m.load();
    m.removeGroup('fromA');
    settings$.next({ ...account, id: B });
    const ab = await wait(m.addressbook$, () => true);
    expect(ab.contacts.length).toBeGreaterThan(0);
    // A group of B's cached addressbook (an unknown id would be refused synchronously).
    const work = 'id1720000000112446723539';
    m.removeGroup(work);
    await m.stop();
    const groupIds = async (id: string) =>
      (await journalStore(storage, id).load()).map(
        (r) => (r.operation as { groupId: string }).groupId,
      );
    expect(await groupIds(ID)).toEqual(['fromA']);
    expect(await groupIds(B)).toEqual([work]);
  });

  it('another account id without a cache: late subscribers do not get the first account’s data', async () => {
    // Regression: the data streams kept replaying the previous account's addressbook after a
    // switch to an account with nothing cached, so a UI opened later showed the wrong contacts.
    const storage = memoryStorage();
    const xml = readFileSync(join(FIXTURES, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'a1' } });
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({ account: settings$, storage });
    await m.load();
    expect((await firstValueFrom(m.addressbook$)).contacts.length).toBeGreaterThan(0);
    settings$.next({ ...account, id: 'sip:bob@example.com' });
    await new Promise((r) => setTimeout(r, 50));
    await m.flush();
    const replayed: string[] = [];
    m.addressbook$
      .subscribe((ab) => replayed.push(...ab.contacts.map((c) => c.name)))
      .unsubscribe();
    expect(replayed).toEqual([]);
    await m.stop();
  });

  it('start() right after a switch to another account id runs the new account, never with the old one’s journal', async () => {
    // The start() runs before the switch has loaded the new account's store: it must not
    // run the new account with the old account's documents and journal, nor save that
    // journal into the new account's store.
    const storage = memoryStorage();
    const B = 'sip:bob@example.com';
    await journalStore(storage, ID).save([
      { id: 'a1', operation: { type: 'removeGroup', groupId: 'fromA' } },
    ]);
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({ account: settings$, storage, backoff: fast });
    await m.load();
    settings$.next({ ...account, id: B });
    await m.start();
    await new Promise((r) => setTimeout(r, 100));
    m.removeGroup('fromB');
    await m.stop();
    const groupIds = async (id: string) =>
      (await journalStore(storage, id).load()).map(
        (r) => (r.operation as { groupId: string }).groupId,
      );
    expect(await groupIds(ID)).toEqual(['fromA']);
    expect(await groupIds(B)).toEqual(['fromB']);
    expect(m.state).toBe('stopped');
  });

  it('start() during stop() starts again once the stop is done', async () => {
    const m = createXcapManager({ account, backoff: fast });
    const lifecycle: string[] = [];
    m.lifecycle$.subscribe((e) => lifecycle.push(e));
    await m.start();
    const stopped = m.stop();
    const restarted = m.start();
    await stopped;
    await restarted;
    expect(m.state).toBe('initializing');
    expect(lifecycle).toEqual([
      'willStart',
      'didStart',
      'willEnd',
      'didEnd',
      'willStart',
      'didStart',
    ]);
    await m.stop();
    expect(m.state).toBe('stopped');
  });

  it('stop() after a start() queued behind a running stop: the last call wins, it stays stopped', async () => {
    // Regression: the second stop() returned the running stop's promise, and the start()
    // queued behind that stop then started the manager although stop() was the last call.
    const m = createXcapManager({ account, backoff: fast });
    await m.start();
    const first = m.stop();
    const restarted = m.start();
    const last = m.stop();
    await Promise.all([first, restarted, last]);
    expect(m.state).toBe('stopped');
    // start() as the last call still starts.
    await m.start();
    const second = m.stop();
    m.start();
    m.stop();
    const wins = m.start();
    await Promise.all([second, wins]);
    expect(m.state).toBe('initializing');
    await m.stop();
    expect(m.state).toBe('stopped');
  });

  it('fake 401: reported on error$, no hammering; new credentials restart initializing', async () => {
    const requests: string[] = [];
    const fakeHttp = (c: Connection): XcapHttp => ({
      get: (auid) => {
        requests.push(`${auid}:${c.password}`);
        return c.password === 'wrong'
          ? throwError(
              () =>
                new XcapHttpError({
                  status: 401,
                  url: `${c.root}/${auid}`,
                  method: 'GET',
                  headers: {},
                  body: '',
                }),
            )
          : of({ status: 200, etag: 'c', body: '<bad' });
      },
      put: () => throwError(() => new Error('not used')),
      delete: () => throwError(() => new Error('not used')),
    });
    const settings$ = new BehaviorSubject<AccountSettings>({
      ...account,
      auth: { password: 'wrong' },
    });
    const m = createXcapManager({ account: settings$, http: fakeHttp, backoff: fast });
    const errors: unknown[] = [];
    m.error$.subscribe((e) => errors.push(e));
    await m.start();
    await wait(m.error$, () => true);
    await new Promise((r) => setTimeout(r, 300));
    expect(requests).toEqual(['xcap-caps:wrong']);
    expect((errors[0] as XcapHttpError).status).toBe(401);
    expect(JSON.stringify(errors[0])).not.toContain('wrong');
    settings$.next({ ...account, auth: { password: 'right' } });
    // The fake answers garbage to the right password: a typed capabilities error, once.
    await wait(m.error$, (e) => e.code !== 'RXCAP_HTTP');
    expect(requests).toEqual(['xcap-caps:wrong', 'xcap-caps:right']);
    expect(m.state).toBe('initializing');
    await m.stop();
  });

  it('capabilities$ emits only when they changed: start, stop, start with the same fake xcap-caps -> one emission', async () => {
    const caps =
      '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids><auid>resource-lists</auid>' +
      '<auid>rls-services</auid><auid>pres-rules</auid></auids><extensions/><namespaces/></xcap-caps>';
    const fetched: string[] = [];
    const documentGets$ = new BehaviorSubject(0);
    const fakeHttp = (): XcapHttp => ({
      get: (auid) => {
        fetched.push(auid);
        if (auid !== 'xcap-caps') documentGets$.next(documentGets$.value + 1);
        return auid === 'xcap-caps'
          ? of({ status: 200, etag: 'c', body: caps })
          : throwError(
              () =>
                new XcapHttpError({ status: 401, url: auid, method: 'GET', headers: {}, body: '' }),
            );
      },
      put: () => throwError(() => new Error('not used')),
      delete: () => throwError(() => new Error('not used')),
    });
    const m = createXcapManager({ account, http: fakeHttp, backoff: fast });
    const emitted: unknown[] = [];
    m.capabilities$.subscribe((c) => emitted.push(c));
    const fetchedDocuments = (n: number) => wait(documentGets$, (k) => k >= n);
    await m.start();
    await fetchedDocuments(1);
    await m.stop();
    await m.start();
    // The document fetch follows the capabilities: once it ran, the second ones were handled.
    await fetchedDocuments(2);
    expect(fetched.filter((a) => a === 'xcap-caps')).toHaveLength(2);
    expect(emitted).toEqual([
      { auids: ['resource-lists', 'rls-services', 'pres-rules'], extensions: [], namespaces: [] },
    ]);
    await m.stop();
  });

  it('fake 401 on fetch: subscription settings renew only the subscription, a new root re-initializes', async () => {
    const caps =
      '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids><auid>resource-lists</auid>' +
      '<auid>rls-services</auid><auid>pres-rules</auid></auids><extensions/><namespaces/></xcap-caps>';
    const requests: string[] = [];
    const fakeHttp = (c: Connection): XcapHttp => ({
      get: (auid) => {
        requests.push(`${c.root} ${auid}`);
        return auid === 'xcap-caps'
          ? of({ status: 200, etag: 'c', body: caps })
          : throwError(
              () =>
                new XcapHttpError({ status: 401, url: auid, method: 'GET', headers: {}, body: '' }),
            );
      },
      put: () => throwError(() => new Error('not used')),
      delete: () => throwError(() => new Error('not used')),
    });
    const watched: number[] = [];
    const sip: DiffPort = {
      watch: (s, control) => {
        watched.push(s.subscribeInterval);
        return NEVER.pipe(takeUntil(control.terminate$));
      },
    };
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({ account: settings$, http: fakeHttp, sip, backoff: fast });
    await m.start();
    await wait(m.error$, () => true);
    expect(m.state).toBe('fetching');
    expect(requests).toEqual([`${UNREACHABLE} xcap-caps`, `${UNREACHABLE} resource-lists`]);
    settings$.next({ ...account, sip: { subscribeInterval: 300 } });
    expect(watched).toEqual([600, 300]);
    expect(requests).toHaveLength(2);
    const other = 'http://127.0.0.1:9/other';
    settings$.next({ ...account, sip: { subscribeInterval: 300 }, xcap: { root: other } });
    await wait(m.state$, (s) => s.state === 'fetching' && requests.length > 2);
    expect(requests.slice(2)).toEqual([`${other} xcap-caps`, `${other} resource-lists`]);
    expect(watched).toEqual([600, 300, 300]);
    await m.stop();
  });
});
