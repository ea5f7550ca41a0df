/**
 * The manager's observed lifecycle failures, one test each (none crashes the host, every
 * rejection is a typed XcapError). No server: the fake HTTP port answers nothing, time is the
 * virtual scheduler's where a timer matters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BehaviorSubject,
  config,
  defer,
  EMPTY,
  firstValueFrom,
  NEVER,
  type Observable,
  of,
  Subject,
  throwError,
  toArray,
  VirtualTimeScheduler,
} from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcapError, XcapValidationError } from '../../src/errors.js';
import { XcapNotDurableError } from '../../src/manager/errors.js';
import { createXcapManager } from '../../src/manager.js';
import { Group } from '../../src/model/group.js';
import { documentCacheKey } from '../../src/store/document-cache.js';
import { XcapStoreIoError, XcapStoreLockedError } from '../../src/store/errors.js';
import { journalKey, journalStore } from '../../src/store/journal-store.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import type { XcapHttp } from '../../src/streams/ports.js';
import type { AccountSettings } from '../../src/streams/settings.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

const ID = 'sip:alice@example.com';
const account: AccountSettings = {
  id: ID,
  auth: { password: 'pw' },
  xcap: { root: 'http://xcap.test/xcap-root' },
};
/** A fake server that never answers: the manager stays initializing. */
const silentHttp = (): XcapHttp => ({ get: () => NEVER, put: () => NEVER, delete: () => NEVER });
const group = (name: string) => new Group({ name });
const types = async (storage: StoragePort, id = ID) =>
  (await journalStore<{ type: string }>(storage, id).load()).map((r) => r.operation.type);
const codeOf = (e: unknown) => (e instanceof XcapError ? e.code : `not an XcapError: ${e}`);
const resourceLists = () => readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');

/** Collects error$ codes. */
function errorsOf(m: { error$: Observable<XcapError> }): string[] {
  const codes: string[] = [];
  m.error$.subscribe((e) => codes.push(e.code));
  return codes;
}

describe('manager lifecycle failures', () => {
  // An error thrown inside a subscriber is rethrown by RxJS on a timer: it would kill the host.
  let unhandled: unknown[] = [];
  beforeEach(() => {
    unhandled = [];
    config.onUnhandledError = (e) => unhandled.push(e);
  });
  afterEach(async () => {
    // RxJS reports them on a timer: let it fire.
    await new Promise((r) => setTimeout(r, 0));
    config.onUnhandledError = null;
    expect(unhandled).toEqual([]);
  });

  it('account Observable of(a, b): no ReferenceError, the manager ends on account b', async () => {
    const storage = memoryStorage();
    const B = 'sip:bob@example.com';
    const m = createXcapManager({ account: of(account, { ...account, id: B }), storage });
    await m.load();
    m.addGroup(group('for bob'));
    await m.flush();
    expect(await types(storage, B)).toEqual(['addGroup']);
    expect(await types(storage, ID)).toEqual([]);
    await m.close();
  });

  it('close() is final: streams complete, the settings subscription ends, later calls reject typed', async () => {
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const storage = memoryStorage();
    const m = createXcapManager({ account: settings$, storage, http: silentHttp });
    const errors = errorsOf(m);
    const states = firstValueFrom(m.state$.pipe(toArray()));
    await m.start();
    await m.close();
    // Every state streams completes (toArray resolves only on completion).
    expect((await states).map((s) => s.state)).toEqual([
      'stopped',
      'initializing',
      'stopping',
      'stopped',
    ]);
    expect(settings$.observed).toBe(false);
    settings$.next({ ...account, id: 'sip:bob@example.com' });
    expect(errors).toEqual([]);
    await expect(m.start()).rejects.toMatchObject({ code: 'RXCAP_MANAGER_CLOSED' });
    await expect(m.load()).rejects.toMatchObject({ code: 'RXCAP_MANAGER_CLOSED' });
    await expect(m.flush()).rejects.toMatchObject({ code: 'RXCAP_MANAGER_CLOSED' });
    expect(() => m.addGroup(group('late'))).toThrow(
      expect.objectContaining({ code: 'RXCAP_MANAGER_CLOSED' }),
    );
    await expect(m.close()).rejects.toMatchObject({ code: 'RXCAP_MANAGER_CLOSED' });
    expect(m.state).toBe('stopped');
  });

  it('malformed later account values go to error$ as XcapValidationError; the last good settings stay', async () => {
    const settings$ = new Subject<unknown>();
    const storage = memoryStorage();
    const m = createXcapManager({
      account: settings$ as Observable<AccountSettings>,
      storage,
    });
    const errors: XcapError[] = [];
    m.error$.subscribe((e) => errors.push(e));
    settings$.next(account);
    for (const bad of [{}, { id: 42 }, null, { id: 'sip:a@b', sip: { subscribeInterval: -1 } }])
      settings$.next(bad);
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e).toBeInstanceOf(XcapValidationError);
    m.addGroup(group('still alice'));
    await m.flush();
    expect(await types(storage)).toEqual(['addGroup']);
    await m.close();
  });

  it('flush() before any settings rejects instead of waiting forever; the operation is saved once they arrive', async () => {
    const settings$ = new Subject<AccountSettings>();
    const storage = memoryStorage();
    const m = createXcapManager({ account: settings$, storage });
    m.addGroup(group('made early'));
    // Before: flush() never settled (no account, so no store to write the journal to).
    const settled = await Promise.race([
      m.flush().then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      // The refusal is decided on the flush request itself: a macrotask later it has settled.
      new Promise((r) => setImmediate(() => r('still waiting'))),
    ]);
    expect(settled).toBeInstanceOf(XcapNotDurableError);
    expect((settled as XcapError).code).toBe('RXCAP_NOT_DURABLE');
    expect((settled as XcapError).message).toContain('no account settings yet');
    settings$.next(account);
    await m.flush();
    expect(await types(storage)).toEqual(['addGroup']);
    await m.close();
  });

  it('a bad first account value given synchronously throws XcapValidationError at creation', () => {
    expect(() => createXcapManager({ account: { id: '' } })).toThrow(XcapValidationError);
    expect(() =>
      createXcapManager({ account: of({ id: 7 } as unknown as AccountSettings) }),
    ).toThrow(XcapValidationError);
  });

  it('start() rejects with an XcapError when the settings stream completes empty or errors', async () => {
    const empty = createXcapManager({ account: EMPTY });
    await expect(empty.start()).rejects.toSatisfy((e) => codeOf(e) === 'RXCAP_SETTINGS');
    const failing = createXcapManager({ account: throwError(() => new Error('fake: no config')) });
    await expect(failing.start()).rejects.toSatisfy((e) => codeOf(e) === 'RXCAP_SETTINGS');
    await expect(failing.load()).rejects.toSatisfy((e) => codeOf(e) === 'RXCAP_SETTINGS');
  });

  it('stop() and close() resolve while the settings stream has not emitted (a start() waits for it)', async () => {
    const m = createXcapManager({ account: NEVER });
    const started = m.start();
    await expect(m.stop()).resolves.toBeUndefined();
    await expect(m.close()).resolves.toBeUndefined();
    await expect(started).rejects.toMatchObject({ code: 'RXCAP_MANAGER_CLOSED' });
  });

  it('the settings stream is subscribed once', async () => {
    let subscriptions = 0;
    const settings$ = defer(() => {
      subscriptions++;
      return of(account);
    });
    const m = createXcapManager({ account: settings$ });
    await m.load();
    await m.stop();
    expect(subscriptions).toBe(1);
    await m.close();
  });

  it('journal records of an unexpected shape are refused by name and kept aside; the others load', async () => {
    const storage = memoryStorage();
    await storage.save(documentCacheKey(ID), {
      'resource-lists': { content: resourceLists(), etag: 'e1' },
    });
    await storage.save(journalKey(ID), [
      { id: 'bad-contact', operation: { type: 'addContact', contact: null } },
      { id: 'good', operation: { type: 'removeGroup', groupId: 'g1' } },
      { id: 'bad-uris', operation: { type: 'addContact', contact: { name: 'x', uris: null } } },
      { id: 'bad-group', operation: { type: 'addGroup', group: null } },
      { id: 'bad-type', operation: { type: 'launchMissiles' } },
    ]);
    const m = createXcapManager({ account, storage });
    const errors: XcapError[] = [];
    m.error$.subscribe((e) => errors.push(e));
    await m.load();
    await m.flush();
    expect(errors.map((e) => e.code)).toEqual(Array(4).fill('RXCAP_JOURNAL_RECORD'));
    expect(errors.map((e) => (e as XcapError & { recordId?: string }).recordId)).toEqual([
      'bad-contact',
      'bad-uris',
      'bad-group',
      'bad-type',
    ]);
    expect(await types(storage)).toEqual(['removeGroup']);
    const aside = (await storage.load([ID, 'journal-refused'])) as { id: string }[];
    expect(aside.map((r) => r.id)).toEqual(['bad-contact', 'bad-uris', 'bad-group', 'bad-type']);
    await m.close();
    // A restart loads cleanly: nothing refused again.
    const again = createXcapManager({ account, storage });
    const later = errorsOf(again);
    await again.load();
    expect(later).toEqual([]);
    await again.close();
  });

  it('flush() rejects typed when the disk is full (fake ENOSPC); the journal is rewritten when space returns', async () => {
    const inner = memoryStorage();
    let full = true;
    const storage: StoragePort = {
      ...inner,
      save: (k, v) =>
        full
          ? Promise.reject(
              new XcapStoreIoError(
                k,
                'write',
                Object.assign(new Error('fake'), { code: 'ENOSPC' }),
              ),
            )
          : inner.save(k, v),
    };
    const scheduler = new VirtualTimeScheduler();
    const m = createXcapManager({ account, storage, scheduler });
    await m.load();
    m.addGroup(group('kept'));
    await expect(m.flush()).rejects.toMatchObject({ code: 'RXCAP_NOT_DURABLE' });
    full = false;
    scheduler.flush(); // the store retry timer fires
    await m.flush();
    expect(await types(inner)).toEqual(['addGroup']);
    await m.close();
  });

  it('flush() rejects typed when the store is locked by another owner (fake lock)', async () => {
    const inner = memoryStorage();
    const storage: StoragePort = {
      ...inner,
      save: (k) => Promise.reject(new XcapStoreLockedError(k[0]!, 'held', '/fake.lock')),
    };
    const m = createXcapManager({ account, storage });
    await m.load();
    m.addGroup(group('x'));
    await expect(m.flush()).rejects.toMatchObject({ code: 'RXCAP_NOT_DURABLE' });
    await m.close();
  });

  it('flush() after an operation made outside an open transaction waits for that operation', async () => {
    const storage = memoryStorage();
    const m = createXcapManager({ account, storage });
    await m.load();
    const other = m.startTransaction(); // another caller's transaction, left open
    m.addGroup(group('mine'));
    await m.flush();
    expect(await types(storage)).toEqual(['addGroup']);
    other.addGroup(group('theirs'));
    other.commit();
    await m.flush();
    expect(await types(storage)).toEqual(['addGroup', 'addGroup']);
    await m.close();
  });

  it('a corrupt documents cache is dropped (reported on error$) and start() goes on', async () => {
    const storage = memoryStorage();
    await storage.save(documentCacheKey(ID), 'not a cache');
    const m = createXcapManager({ account, storage, http: silentHttp });
    const errors = errorsOf(m);
    await m.start();
    expect(m.state).toBe('initializing');
    expect(errors).toEqual(['RXCAP_STORE_CORRUPT']);
    expect(await storage.load(documentCacheKey(ID))).toBeUndefined();
    await m.close();
  });

  it('a corrupt journal is never dropped: load() rejects with RXCAP_STORE_CORRUPT and it stays', async () => {
    const storage = memoryStorage();
    await storage.save(journalKey(ID), { not: 'an array' });
    const m = createXcapManager({ account, storage });
    await expect(m.load()).rejects.toMatchObject({ code: 'RXCAP_STORE_CORRUPT' });
    expect(await storage.load(journalKey(ID))).toEqual({ not: 'an array' });
    await m.close();
  });

  it('alice@example.com and sip:alice@example.com are one store', async () => {
    const storage = memoryStorage();
    const plain = createXcapManager({ account: { ...account, id: 'alice@example.com' }, storage });
    plain.addGroup(group('typed without sip:'));
    await plain.flush();
    await plain.close();
    const m = createXcapManager({ account: { ...account, id: 'SIP:alice@Example.COM' }, storage });
    await m.load();
    m.addGroup(group('typed with sip:'));
    await m.flush();
    expect(await types(storage, 'sip:alice@example.com')).toEqual(['addGroup', 'addGroup']);
    await m.close();
  });

  it('a store written under another spelling of the account is found', async () => {
    const storage = memoryStorage();
    await journalStore(storage, 'alice@example.com').save([
      { id: 'old', operation: { type: 'removeGroup', groupId: 'g1' } },
    ]);
    const m = createXcapManager({ account, storage });
    await m.load();
    await m.flush();
    expect(await types(storage, ID)).toEqual(['removeGroup']);
    await m.close();
  });

  it('an operation made while its account was loading stays in that account’s journal after an account change', async () => {
    const inner = memoryStorage();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const storage: StoragePort = { ...inner, load: (k) => gate.then(() => inner.load(k)) };
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({ account: settings$, storage });
    m.addGroup(group('alice, before her store loaded'));
    settings$.next({ ...account, id: 'sip:bob@example.com' });
    m.addGroup(group('bob'));
    release();
    await m.flush();
    expect(await types(inner, ID)).toEqual(['addGroup']);
    expect(await types(inner, 'sip:bob@example.com')).toEqual(['addGroup']);
    const aliceGroups = (await journalStore<{ group: { name: string } }>(inner, ID).load()).map(
      (r) => r.operation.group.name,
    );
    expect(aliceGroups).toEqual(['alice, before her store loaded']);
    await m.close();
  });

  it('looking for another spelling touches no other account (a locking store would take it)', async () => {
    const inner = memoryStorage();
    const touched = new Set<string>();
    const track =
      <A extends unknown[], R>(f: (key: readonly string[], ...rest: A) => R) =>
      (key: readonly string[], ...rest: A): R => {
        touched.add(key[0]!);
        return f(key, ...rest);
      };
    const storage: StoragePort = {
      ...inner,
      load: track(inner.load),
      save: track(inner.save),
      delete: track(inner.delete),
      purge: track(inner.purge),
      // keys() without a prefix is the adapters' unlocked snapshot.
      keys: (prefix) => (prefix && prefix.length > 0 ? track(inner.keys)(prefix) : inner.keys()),
    };
    const m = createXcapManager({ account: { ...account, id: 'alice@example.com' }, storage });
    m.addGroup(group('x'));
    await m.flush();
    expect([...touched]).toEqual([ID]);
    await m.close();
  });

  it('transaction(fn) is all-or-nothing: edits made before fn throws are not journaled', async () => {
    const storage = memoryStorage();
    const m = createXcapManager({ account, storage });
    await m.load();
    expect(() =>
      m.transaction(() => {
        m.addGroup(group('half'));
        throw new Error('fake: the caller failed');
      }),
    ).toThrow('fake: the caller failed');
    await expect(
      m.transaction(async (tx) => {
        tx.addGroup(group('half, async'));
        throw new Error('fake: async failure');
      }),
    ).rejects.toThrow('fake: async failure');
    m.addGroup(group('whole'));
    await m.flush();
    expect(await types(storage)).toEqual(['addGroup']);
    await m.close();
  });
});

describe('manager lifecycle on virtual time', () => {
  it('close() while a failed journal write waits for its retry: reported, the timer is cancelled, nothing written after', async () => {
    const inner = memoryStorage();
    const saves: string[] = [];
    const storage: StoragePort = {
      ...inner,
      save: (k) => {
        saves.push(k.join('/'));
        return Promise.reject(
          new XcapStoreIoError(k, 'write', Object.assign(new Error('fake'), { code: 'ENOSPC' })),
        );
      },
    };
    const scheduler = new VirtualTimeScheduler();
    const m = createXcapManager({ account, storage, scheduler });
    const errors = errorsOf(m);
    await m.load();
    m.addGroup(group('lost'));
    await expect(m.flush()).rejects.toMatchObject({ code: 'RXCAP_NOT_DURABLE' });
    expect(saves).toHaveLength(1);
    await m.close();
    expect(errors).toEqual(['RXCAP_STORE_IO', 'RXCAP_NOT_DURABLE']);
    scheduler.flush();
    await new Promise((r) => setTimeout(r, 0));
    expect(saves).toHaveLength(1);
  });

  it('the store retry backs off: 1 s, 2 s, 4 s of virtual time between journal writes', async () => {
    const inner = memoryStorage();
    const saves: number[] = [];
    const scheduler = new VirtualTimeScheduler();
    const storage: StoragePort = {
      ...inner,
      save: (k) => {
        saves.push(scheduler.now());
        return Promise.reject(new XcapStoreLockedError(k[0]!, 'held', '/fake.lock'));
      },
    };
    const m = createXcapManager({
      account,
      storage,
      scheduler,
      backoff: { initialDelay: 1_000, factor: 2, maxDelay: 60_000, jitter: 0 },
    });
    await m.load();
    m.addGroup(group('x'));
    await expect(m.flush()).rejects.toMatchObject({ code: 'RXCAP_NOT_DURABLE' });
    for (let i = 0; i < 3; i++) {
      // Advance to the next timer only (flush() would run every timer at once).
      const next = scheduler.actions[0];
      if (next) {
        scheduler.maxFrames = next.delay;
        scheduler.flush();
        scheduler.maxFrames = Number.POSITIVE_INFINITY;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(saves).toEqual([0, 1_000, 3_000, 7_000]);
    await m.close();
  });
});
