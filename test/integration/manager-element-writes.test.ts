/**
 * The manager's edits as element writes (RFC 4825 §7.4–7.6), end to end: against the real
 * Kamailio test server (learned from its `Server` header; pool users u022–u025) and against a
 * FAKE RFC 4825-strict server (fakeRfc4825XcapServer, `elementWrites: RFC4825_SERVER`).
 *
 * After the edits, the server's documents are what the manager cached (text and ETag), a fresh
 * manager reads the same addressbook, and normalize has nothing to change. A foreign write
 * between two writes of one chain (a 412 in the middle) is repaired and loses nothing. With
 * xcap-diff, the NOTIFYs Kamailio sends after each write of a chain cost no GET.
 */
import { filter, firstValueFrom, lastValueFrom, Observable, tap, timeout } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import { auidOf, DOCUMENT_NAMES, type DocumentName } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { sameElement } from '../../src/codecs/xml/tree.js';
import { RFC4825_SERVER } from '../../src/element-writes/index.js';
import { applyOperation, type Documents, operations } from '../../src/journal/index.js';
import {
  createXcapManager,
  type ElementWritesSetting,
  type XcapManager,
} from '../../src/manager.js';
import type { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { Group } from '../../src/model/group.js';
import { nodeSipDiffPort } from '../../src/sip/node.js';
import { xmlDocumentChangeLog } from '../../src/store/document-change-log.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import type { Connection, TraceEntry, XcapHttp } from '../../src/streams/ports.js';
import {
  type FakeRfc4825XcapServer,
  fakeRfc4825XcapServer,
} from '../support/fake-rfc4825-xcap-server.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const fast = { initialDelay: 50, maxDelay: 1_000, factor: 2, jitter: 0 };
const PRES_RULES = 'org.openmobilealliance.pres-rules';

interface Target {
  readonly root: string;
  readonly id: string;
  readonly username?: string;
  readonly password?: string;
  readonly elementWrites: ElementWritesSetting;
}

const contact = (i: number): Contact =>
  new Contact({
    id: `c${i}`,
    name: `Contact ${i}`,
    uris: [new ContactURI({ id: `c${i}u`, uri: `sip:u${i}@ex.net`, type: 'SIP' })],
    defaultUri: `c${i}u`,
    presence: { policy: 'allow', subscribe: i % 2 === 0 },
    dialog: { policy: 'allow', subscribe: false },
    attributes: {},
  });

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}
const inSync = (m: XcapManager) => wait(m.state$, (s) => s.state === 'insync');
/** Waits for insync after `edit`, counting on the state going through updating first. */
async function edited(m: XcapManager, edit: () => void): Promise<void> {
  const updating = wait(m.state$, (s) => s.state === 'updating');
  edit();
  await updating;
  await inSync(m);
}

const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

function client(t: Target): XcapClient {
  return new XcapClient({
    root: t.root,
    xui: t.id,
    ...(t.password !== undefined ? { password: t.password } : {}),
  });
}

function manager(t: Target, storage: StoragePort, http?: (c: Connection) => XcapHttp): XcapManager {
  const m = createXcapManager({
    account: {
      id: t.id,
      ...(t.password !== undefined
        ? { auth: { username: t.username ?? t.id, password: t.password } }
        : {}),
      xcap: { root: t.root, xcapDiff: false },
    },
    storage,
    backoff: fast,
    pollPeriod: 600_000,
    elementWrites: t.elementWrites,
    ...(http !== undefined ? { http } : {}),
  });
  managers.push(m);
  return m;
}

/** The cached documents of the manager's account (text and ETag, as saved). */
async function cached(
  storage: StoragePort,
): Promise<Record<string, { content: string; etag: string | null }>> {
  // The cache is a base per document plus the changes confirmed since (document-change-log.ts).
  const keys = await storage.keys();
  const account = keys.find((k) => k[1] === 'documents')![0]!;
  const docs = await xmlDocumentChangeLog(storage, account).load();
  const out: Record<string, { content: string; etag: string | null }> = {};
  for (const [n, d] of Object.entries(docs)) if (d !== null) out[n] = d;
  return out;
}

/** The server's documents, parsed, with their ETags. */
async function serverDocuments(
  c: XcapClient,
): Promise<Map<DocumentName, { root: ReturnType<typeof parseXml>; etag: string | null }>> {
  const out = new Map<DocumentName, { root: ReturnType<typeof parseXml>; etag: string | null }>();
  for (const n of ['resource-lists', 'rls-services', 'pres-rules'] as const) {
    const r = await lastValueFrom(c.get(auidOf(n, PRES_RULES)));
    out.set(n, { root: parseXml(r.body), etag: r.etag });
  }
  return out;
}

async function expectCacheIsServer(t: Target, storage: StoragePort): Promise<void> {
  const docs = await cached(storage);
  const server = await serverDocuments(client(t));
  for (const [n, s] of server) {
    expect(docs[n]?.etag, n).toBe(s.etag);
    expect(sameElement(parseXml(docs[n]!.content), s.root), n).toBe(true);
  }
  // Normalize finds nothing to repair.
  const held: Documents = {};
  for (const [n, s] of server) held[n] = s.root;
  const ctx = {
    xcapRoot: t.root,
    xui: t.id,
    presRulesAuid: PRES_RULES,
    supported: new Set<DocumentName>(DOCUMENT_NAMES.filter((n) => server.has(n))),
  };
  const normalized = applyOperation(held, operations.normalize(), ctx);
  for (const [n, s] of server) expect(sameElement(normalized.docs[n]!, s.root), n).toBe(true);
}

async function freshBook(t: Target): Promise<Addressbook> {
  const m = manager(t, memoryStorage());
  await m.start();
  await inSync(m);
  return firstValueFrom(m.addressbook$);
}

const comparable = (b: Addressbook) =>
  JSON.stringify({
    contacts: [...b.contacts]
      .map((c) => c.toJSON?.() ?? c)
      .sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
    groups: [...b.groups]
      .map((g) => g.toJSON?.() ?? g)
      .sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
  });

function suite(label: string, target: () => Promise<Target>): void {
  describe(label, () => {
    it('edits go out as element writes; the cache is the server document, ETag included', async () => {
      const t = await target();
      const storage = memoryStorage();
      const m = manager(t, storage);
      const traces: TraceEntry[] = [];
      m.trace$.subscribe((e) => traces.push(e));
      await m.start();
      await inSync(m);
      await edited(m, () => {
        for (let i = 0; i < 12; i++) m.addContact(contact(i));
      });
      const edits: [string, () => void][] = [
        ['addContact', () => m.addContact(contact(100))],
        ['updateContact (name)', () => m.updateContact('c3', { name: 'Renamed' })],
        [
          'updateContact (presence)',
          () => m.updateContact('c4', { presence: { policy: 'block' } }),
        ],
        ['addGroup', () => m.addGroup(new Group({ id: 'g1', name: 'Friends', contacts: ['c1'] }))],
        ['removeContact', () => m.removeContact('c2')],
      ];
      for (const [name, edit] of edits) {
        const from = traces.length;
        await edited(m, edit);
        const writes = traces.slice(from).filter((e) => e.method !== 'GET');
        // Every write of the edit names an element: no whole-document PUT.
        expect(writes.length, name).toBeGreaterThan(0);
        for (const w of writes) expect(w.url, name).toContain('/~~/');
        expect(
          writes.every((w) => w.status !== null && w.status < 300),
          name,
        ).toBe(true);
      }
      await expectCacheIsServer(t, storage);
      expect(comparable(await freshBook(t))).toBe(comparable(await firstValueFrom(m.addressbook$)));
    });

    // RFC 4825 §8.2.5: a <contact_id> has no attribute, so only its position names it; a
    // DELETE of `*[2]` of three is not idempotent and an RFC-strict server refuses it (409
    // cannot-delete), which used to turn this edit into a whole-document PUT and end element
    // writes to resource-lists for the session.
    it('removing a group member in the middle (selected only by position) stays element-level', async () => {
      const t = await target();
      const storage = memoryStorage();
      const m = manager(t, storage);
      const traces: TraceEntry[] = [];
      m.trace$.subscribe((e) => traces.push(e));
      await m.start();
      await inSync(m);
      await edited(m, () => {
        for (let i = 0; i < 8; i++) m.addContact(contact(i));
        m.addGroup(new Group({ id: 'g1', name: 'Friends', contacts: ['c1', 'c2', 'c3'] }));
      });
      for (const [name, edit] of [
        ['removeGroupMember (middle)', () => m.removeGroupMember('g1', 'c2')],
        ['updateContact (name), later', () => m.updateContact('c5', { name: 'Later' })],
      ] as const) {
        const from = traces.length;
        await edited(m, edit);
        const writes = traces.slice(from).filter((e) => e.method !== 'GET');
        expect(writes.length, name).toBeGreaterThan(0);
        for (const w of writes) {
          expect(w.url, name).toContain('/~~/');
          expect(w.status, `${name}: ${w.method} ${w.url}`).toBeLessThan(300);
        }
      }
      const book = await firstValueFrom(m.addressbook$);
      expect(book.groups.find((g) => g.id === 'g1')?.contacts.map((c) => c.id)).toEqual([
        'c1',
        'c3',
      ]);
      await expectCacheIsServer(t, storage);
      expect(comparable(await freshBook(t))).toBe(comparable(book));
    });

    it('a 412 in the middle of an element-write chain loses nothing', async () => {
      const t = await target();
      const storage = memoryStorage();
      const other = client(t);
      let armed = false;
      let conflicts = 0;
      // The second element write to resource-lists of the armed edit is preceded by another
      // client's write of the document (a contact of its own, whole document).
      const http = (c: Connection): XcapHttp => {
        const real = new XcapClient({
          root: c.root,
          xui: c.xui,
          ...(c.password !== undefined ? { password: c.password } : {}),
          ...(c.username !== undefined ? { username: c.username } : {}),
        });
        let seen = 0;
        const foreign = async (): Promise<void> => {
          const got = await lastValueFrom(other.get('resource-lists'));
          const docs = applyOperation(
            { 'resource-lists': parseXml(got.body) },
            operations.addContact(contact(900)),
            {
              xcapRoot: t.root,
              xui: t.id,
              presRulesAuid: PRES_RULES,
              supported: new Set<DocumentName>(['resource-lists']),
            },
          ).docs;
          await lastValueFrom(
            other.put('resource-lists', serializeXml(docs['resource-lists']!), { etag: got.etag! }),
          );
        };
        const intercept = <T>(node: string | undefined, auid: string, o: () => Observable<T>) => {
          if (!armed || node === undefined || auid !== 'resource-lists') return o();
          seen++;
          if (seen !== 2) return o();
          armed = false;
          return new Observable<T>((sub) => {
            foreign().then(
              () =>
                o()
                  .pipe(tap({ error: () => conflicts++ }))
                  .subscribe(sub),
              (e: unknown) => sub.error(e),
            );
          });
        };
        return {
          get: (auid, options) => real.get(auid, options),
          put: (auid, body, options) =>
            intercept(options?.node, auid, () => real.put(auid, body, options)),
          delete: (auid, options) =>
            intercept(options?.node, auid, () => real.delete(auid, options)),
        };
      };
      const m = manager(t, storage, http);
      await m.start();
      await inSync(m);
      await edited(m, () => {
        for (let i = 0; i < 6; i++) m.addContact(contact(i));
      });
      armed = true;
      await edited(m, () => m.addContact(contact(100)));
      // insync may be reached only after the refetch and replay.
      await wait(m.addressbook$, (b) => b.contacts.some((c) => c.id === 'c900'));
      await inSync(m);
      expect(conflicts).toBe(1);
      const book = await firstValueFrom(m.addressbook$);
      expect(book.contacts.map((c) => c.id).sort()).toEqual(
        ['c0', 'c1', 'c100', 'c2', 'c3', 'c4', 'c5', 'c900'].sort(),
      );
      await expectCacheIsServer(t, storage);
      expect(comparable(await freshBook(t))).toBe(comparable(book));
    });
  });
}

describe('against the Kamailio test server, with xcap-diff', () => {
  it("the NOTIFYs of our own chain's writes cost no GET", async () => {
    const u = poolUser(25);
    wipeUserDocuments(u);
    const env = testServer();
    const m = createXcapManager({
      account: {
        id: u.id,
        auth: { username: u.username, password: u.password },
        xcap: { root: env.xcapRoot },
        sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp' as const] },
      },
      storage: memoryStorage(),
      backoff: fast,
      pollPeriod: 600_000,
      sip: nodeSipDiffPort(),
    });
    managers.push(m);
    const traces: TraceEntry[] = [];
    m.trace$.subscribe((e) => traces.push(e));
    await m.start();
    await inSync(m);
    await edited(m, () => {
      for (let i = 0; i < 6; i++) m.addContact(contact(i));
    });
    // The NOTIFYs of the whole-document PUTs above are done with.
    await new Promise((r) => setTimeout(r, 1500));
    const from = traces.length;
    await edited(m, () => m.addContact(contact(100)));
    // Kamailio NOTIFYs after every write of the chain; give the last ones time to land.
    await new Promise((r) => setTimeout(r, 2000));
    const sent = traces.slice(from);
    expect(sent.filter((e) => e.method === 'PUT').length).toBeGreaterThan(1);
    expect(sent.filter((e) => e.method === 'GET')).toEqual([]);
    expect((await firstValueFrom(m.state$)).state).toBe('insync');
  });
});

let user = 22;
suite('against the Kamailio test server (learned from its Server header)', async () => {
  const u = poolUser(user++);
  wipeUserDocuments(u);
  return {
    root: testServer().xcapRoot,
    id: u.id,
    username: u.username,
    password: u.password,
    elementWrites: 'auto',
  };
});

let fake: FakeRfc4825XcapServer | undefined;
afterAll(async () => {
  await fake?.close();
});
let alice = 0;
suite('against a fake RFC 4825-strict server (elementWrites: RFC4825_SERVER)', async () => {
  fake ??= await fakeRfc4825XcapServer();
  const caps = await fetch(`${testServer().xcapRoot}/xcap-caps/global/index`).then((r) => r.text());
  await fetch(`${fake.root}/xcap-caps/global/index`, { method: 'PUT', body: caps });
  return {
    root: fake.root,
    id: `sip:alice${alice++}@example.com`,
    elementWrites: RFC4825_SERVER,
  };
});
