/**
 * The incremental document cache (document-change-log.ts): an edit writes its tree changes, a
 * reload rebuilds the same documents, compaction writes a new base, stale changes (a crash
 * between a new base and the purge) are ignored, and a cache written by older versions loads.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { sameElement, type XmlElement } from '../../src/codecs/xml/tree.js';
import { applyOperation, operations } from '../../src/journal/index.js';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { documentCache } from '../../src/store/document-cache.js';
import { xmlDocumentChangeLog } from '../../src/store/document-change-log.js';
import { fileStorage } from '../../src/store/file-storage.js';
import { indexedDbStorage } from '../../src/store/indexeddb-storage.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { StorageKey, StoragePort } from '../../src/store/storage-port.js';
import { createInMemoryXcapServer } from '../../src/testing/index.js';
import { ctx } from '../journal/fixture-helpers.js';
import { fakeWebLocks } from './fake-web-locks.js';

const ACCOUNT = 'alice@example.com';

/** A storage that records the bytes of every save, by key. */
function counting(inner: StoragePort) {
  const saves: { key: string; bytes: number }[] = [];
  const storage: StoragePort = {
    ...inner,
    load: (k) => inner.load(k),
    save: (k: StorageKey, v: unknown) => {
      saves.push({ key: k.join('/'), bytes: JSON.stringify(v).length });
      return inner.save(k, v);
    },
    delete: (k) => inner.delete(k),
    purge: (k) => inner.purge(k),
    keys: (k) => inner.keys(k),
    close: () => inner.close(),
  };
  return { storage, saves };
}

function book(n: number): XmlElement {
  let docs = {};
  for (let i = 0; i < n; i++)
    docs = applyOperation(
      docs,
      operations.addContact(
        new Contact({
          id: `c${i}`,
          name: `Contact ${i}`,
          uris: [new ContactURI({ uri: `sip:c${i}@example.com` })],
        }),
      ),
      ctx,
    ).docs;
  return (docs as { 'resource-lists': XmlElement })['resource-lists'];
}

const doc = (root: XmlElement, etag: string) => ({ content: serializeXml(root), etag, root });

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

let databases = 0;
const stores: [string, () => Promise<StoragePort>][] = [
  ['memory', async () => memoryStorage()],
  [
    'IndexedDB (fake-indexeddb)',
    async () =>
      indexedDbStorage({ databaseName: `rxcap-changelog-${databases++}`, locks: fakeWebLocks() }),
  ],
  [
    'file',
    async () => {
      const d = await mkdtemp(join(tmpdir(), 'rxcap-changelog-'));
      dirs.push(d);
      return fileStorage(d);
    },
  ],
];

describe.each(stores)('documentChangeLog on %s storage', (_, open) => {
  it('an edit writes its change only; a reload rebuilds the edited document and its ETag', async () => {
    const { storage, saves } = counting(await open());
    const cache = xmlDocumentChangeLog(storage, ACCOUNT);
    const v1 = book(200);
    await cache.save({ 'resource-lists': doc(v1, '"1"') });
    const base = saves.reduce((a, s) => a + s.bytes, 0);
    saves.length = 0;
    const v2 = applyOperation(
      { 'resource-lists': v1 },
      operations.updateContact('c7', { name: 'Renamed' }),
      ctx,
    ).docs['resource-lists']!;
    const written = await cache.save({ 'resource-lists': doc(v2, '"2"') });
    expect(saves.map((s) => s.key)).toEqual([
      `${ACCOUNT}/document-changes/resource-lists/0000000000`,
    ]);
    expect(written).toBeLessThan(base / 50);
    // Nothing changed: nothing written.
    saves.length = 0;
    await cache.save({ 'resource-lists': doc(v2, '"2"') });
    expect(saves).toEqual([]);

    const loaded = await xmlDocumentChangeLog(storage, ACCOUNT).load();
    expect(loaded['resource-lists']?.etag).toBe('"2"');
    expect(sameElement(loaded['resource-lists']!.root!, v2)).toBe(true);
    expect(loaded['resource-lists']?.content).toBe(serializeXml(v2));
    await storage.close();
  });

  it('compacts into a new base past the limits, and a reload still gives the last version', async () => {
    const inner = await open();
    const { storage, saves } = counting(inner);
    const cache = xmlDocumentChangeLog(storage, ACCOUNT, {
      maxChanges: 16,
      minBytes: 1024,
      baseRatio: 0.25,
    });
    let cur = book(20);
    await cache.save({ 'resource-lists': doc(cur, '"0"') });
    for (let i = 1; i <= 60; i++) {
      cur = applyOperation(
        { 'resource-lists': cur },
        operations.updateContact(`c${i % 20}`, { name: `n${i}` }),
        ctx,
      ).docs['resource-lists']!;
      await cache.save({ 'resource-lists': { ...doc(cur, `"${i}"`) } });
    }
    const bases = saves.filter((s) => s.key === `${ACCOUNT}/documents/resource-lists`).length;
    expect(bases).toBeGreaterThan(1);
    expect(bases).toBeLessThan(60 / 3);
    const keys = await inner.keys([ACCOUNT, 'document-changes']);
    expect(keys.length).toBeLessThanOrEqual(16);
    const loaded = await xmlDocumentChangeLog(inner, ACCOUNT).load();
    expect(loaded['resource-lists']?.etag).toBe('"60"');
    expect(sameElement(loaded['resource-lists']!.root!, cur)).toBe(true);
    await storage.close();
  });

  it('ignores changes of an older base (a crash between a new base and the purge)', async () => {
    const storage = await open();
    const v1 = book(3);
    await storage.save([ACCOUNT, 'documents', 'resource-lists'], {
      content: serializeXml(v1),
      etag: '"5"',
      gen: 'new',
    });
    await storage.save([ACCOUNT, 'document-changes', 'resource-lists', '0000000000'], {
      gen: 'old',
      changes: [{ path: [], from: 0, to: 99, nodes: [] }],
      etag: '"4"',
    });
    const loaded = await xmlDocumentChangeLog(storage, ACCOUNT).load();
    expect(loaded['resource-lists']?.etag).toBe('"5"');
    expect(sameElement(loaded['resource-lists']!.root!, v1)).toBe(true);
    await storage.close();
  });

  it('loads a cache older versions wrote, and the first save moves it to the new layout', async () => {
    const storage = await open();
    const v1 = book(3);
    await documentCache(storage, ACCOUNT).save({
      'resource-lists': { content: serializeXml(v1), etag: '"1"' },
      'pres-rules': {
        content: '<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"/>',
        etag: 'p',
      },
    });
    const cache = xmlDocumentChangeLog(storage, ACCOUNT);
    const loaded = await cache.load();
    expect(loaded['resource-lists']?.etag).toBe('"1"');
    expect(loaded['pres-rules']?.etag).toBe('p');
    const v2 = applyOperation({ 'resource-lists': v1 }, operations.removeContact('c1'), ctx).docs[
      'resource-lists'
    ]!;
    await cache.save({ 'resource-lists': doc(v2, '"2"') });
    expect(await storage.load([ACCOUNT, 'documents'])).toBeUndefined();
    const again = await xmlDocumentChangeLog(storage, ACCOUNT).load();
    expect(Object.keys(again)).toEqual(['resource-lists']);
    expect(sameElement(again['resource-lists']!.root!, v2)).toBe(true);
    await storage.close();
  });

  it('a malformed change is a corrupt store, and a change that does not fit its base too', async () => {
    const storage = await open();
    await storage.save([ACCOUNT, 'documents', 'resource-lists'], {
      content: serializeXml(book(1)),
      etag: '"1"',
      gen: 'g',
    });
    await storage.save([ACCOUNT, 'document-changes', 'resource-lists', '0000000000'], {
      gen: 'g',
      changes: [{ path: [42], from: 0, to: 0, nodes: [] }],
      etag: '"2"',
    });
    await expect(xmlDocumentChangeLog(storage, ACCOUNT).load()).rejects.toMatchObject({
      code: 'RXCAP_STORE_CORRUPT',
    });
    await storage.save([ACCOUNT, 'document-changes', 'resource-lists', '0000000000'], {
      gen: 'g',
      changes: 'x',
    });
    await expect(xmlDocumentChangeLog(storage, ACCOUNT).load()).rejects.toMatchObject({
      code: 'RXCAP_STORE_CORRUPT',
    });
    await storage.close();
  });
});

describe('the manager saves its cache at the cost of the change', () => {
  const managers: XcapManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('an edit of a 300-contact addressbook writes well under a tenth of the document to the cache', async () => {
    const XUI = 'sip:alice@example.com';
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' } });
    const { storage, saves } = counting(memoryStorage());
    const m = createXcapManager({
      account: { id: ACCOUNT, auth: { password: 's3cret' }, xcap: { root: server.root } },
      storage,
      http: server.http,
      sip: server.diff,
      pollPeriod: 3_600_000,
    });
    managers.push(m);
    const wait = <T>(o: import('rxjs').Observable<T>, p: (v: T) => boolean) =>
      firstValueFrom(o.pipe(filter(p), timeout(20_000)));
    await m.load();
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    m.transaction(() => {
      for (let i = 0; i < 300; i++)
        m.addContact(
          new Contact({
            id: `c${i}`,
            name: `C ${i}`,
            uris: [new ContactURI({ uri: `sip:c${i}@x.org` })],
          }),
        );
    });
    await wait(m.addressbook$, (b) => b.contacts.length === 300);
    await wait(m.state$, (s) => s.state === 'insync');
    await m.flush();
    const size = server.document(XUI, 'resource-lists')!.body.length;
    const cacheBytes = () =>
      saves.filter((s) => s.key.includes('/document')).reduce((a, s) => a + s.bytes, 0);
    // Let the cache write after the sync land.
    await new Promise((r) => setTimeout(r, 50));
    const before = cacheBytes();
    m.updateContact('c7', { name: 'Renamed' });
    await wait(m.addressbook$, (b) => b.contact('c7')?.name === 'Renamed');
    await wait(m.state$, (s) => s.state === 'insync');
    await new Promise((r) => setTimeout(r, 50));
    const edit = cacheBytes() - before;
    expect(edit).toBeGreaterThan(0);
    expect(edit).toBeLessThan(size / 10);
  });
});
