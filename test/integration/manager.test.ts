import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BehaviorSubject,
  filter,
  firstValueFrom,
  lastValueFrom,
  type Observable,
  timeout,
} from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import type { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { Group } from '../../src/model/group.js';
import { nodeSipDiffPort } from '../../src/sip/node.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { fileStorage } from '../../src/store/node.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import type { TraceEntry } from '../../src/streams/ports.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const FIXTURES = REFERENCE_LAYOUT_DIR;
const fast = { initialDelay: 200, maxDelay: 2_000, factor: 2, jitter: 0 };

function account(user: TestUser) {
  return {
    id: user.id,
    auth: { username: user.username, password: user.password },
    xcap: { root: testServer().xcapRoot },
  };
}

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}
const inSync = (m: XcapManager) => wait(m.state$, (s) => s.state === 'insync');
const hasContact = (name: string) => (ab: Addressbook) => ab.contacts.some((c) => c.name === name);
const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' })] });

const managers: XcapManager[] = [];
const dirs: string[] = [];
const storages: StoragePort[] = [];
function make(
  user: TestUser,
  storage: StoragePort = memoryStorage(),
  pollPeriod = 120_000,
): XcapManager {
  const m = createXcapManager({ account: account(user), storage, backoff: fast, pollPeriod });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await Promise.all(storages.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('XcapManager against Kamailio', () => {
  const user = poolUser(101);
  beforeEach(() => wipeUserDocuments(user));

  it('starts on an empty account, creates the documents, and syncs a new contact', async () => {
    const m = make(user);
    const traces: TraceEntry[] = [];
    m.trace$.subscribe((t) => traces.push(t));
    const states: string[] = [];
    m.state$.subscribe((s) => states.push(s.state));
    await m.start();
    await inSync(m);
    expect(states).toEqual(['stopped', 'initializing', 'fetching', 'updating', 'insync']);
    const caps = await firstValueFrom(m.capabilities$);
    expect(caps.auids).toContain('resource-lists');

    m.addContact(bob());
    const ab = await wait(m.addressbook$, hasContact('Bob'));
    expect(ab.contacts[0]?.uris.map((u) => u.uri)).toEqual(['sip:bob@example.com']);
    await inSync(m);

    // The server holds it: a plain client reads the contact back.
    const client = new XcapClient({
      root: testServer().xcapRoot,
      xui: user.id,
      password: user.password,
    });
    const doc = await firstValueFrom(client.get('resource-lists'));
    expect(doc.body).toContain('sip:bob@example.com');
    // Traces name requests but never the password.
    expect(traces.some((t) => t.method === 'PUT' && t.auid === 'resource-lists')).toBe(true);
    expect(JSON.stringify(traces)).not.toContain(user.password);
  });

  it('polls with conditional GETs (304) and emits data only when it changed', async () => {
    const m = make(user, memoryStorage(), 200);
    await m.start();
    await inSync(m);
    m.addContact(bob());
    await wait(m.addressbook$, hasContact('Bob'));
    await inSync(m);
    let emissions = 0;
    m.addressbook$.subscribe(() => emissions++);
    expect(emissions).toBe(1); // the replayed latest value
    const traces: TraceEntry[] = [];
    m.trace$.subscribe((t) => traces.push(t));
    await new Promise((r) => setTimeout(r, 1_000));
    // Several polls went by: every GET was answered 304, nothing was written, nothing emitted.
    const gets = traces.filter((t) => t.method === 'GET' && t.auid === 'resource-lists');
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(new Set(gets.map((t) => t.status))).toEqual(new Set([304]));
    expect(traces.filter((t) => t.method !== 'GET')).toEqual([]);
    expect(emissions).toBe(1);
  });

  it('a wrong password: 401 on error$, no hammering; the right one syncs', async () => {
    const wrong = {
      ...account(user),
      auth: { username: user.username, password: 'not-the-password' },
    };
    const settings$ = new BehaviorSubject<ReturnType<typeof account>>(wrong);
    const m = createXcapManager({ account: settings$, backoff: fast, pollPeriod: 200 });
    managers.push(m);
    const traces: TraceEntry[] = [];
    m.trace$.subscribe((t) => traces.push(t));
    await m.start();
    const error = await wait(m.error$, () => true);
    expect((error as unknown as { status: number }).status).toBe(401);
    expect(JSON.stringify(error)).not.toContain('not-the-password');
    expect(error.message).not.toContain('not-the-password');
    // A second of poll periods later: still the one refused request (xcap-caps is public).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(traces.map((t) => `${t.auid} ${t.status}`)).toEqual([
      'xcap-caps 200',
      'resource-lists 401',
    ]);
    settings$.next(account(user));
    await inSync(m);
    expect(m.state).toBe('insync');
  });

  it('two managers on one account editing concurrently end with both sets of edits', async () => {
    // No xcap-diff here: each manager learns of the other's edits by polling (every 300 ms
    // instead of 2 minutes) or by a 412 on its own PUT, then refetches and replays.
    const a = make(user, memoryStorage(), 300);
    const b = make(user, memoryStorage(), 300);
    await a.start();
    await inSync(a);
    await b.start();
    await inSync(b);
    a.transaction(() => {
      a.addContact(
        new Contact({ name: 'From A1', uris: [new ContactURI({ uri: 'sip:a1@example.com' })] }),
      );
      a.addGroup(new Group({ name: 'Group A' }));
    });
    b.transaction(() => {
      b.addContact(
        new Contact({ name: 'From B1', uris: [new ContactURI({ uri: 'sip:b1@example.com' })] }),
      );
      b.addContact(
        new Contact({ name: 'From B2', uris: [new ContactURI({ uri: 'sip:b2@example.com' })] }),
      );
    });
    const names = (ab: Addressbook) => ab.contacts.map((c) => c.name).sort();
    const all = ['From A1', 'From B1', 'From B2'];
    const abA = await wait(a.addressbook$, (ab) => all.every((n) => hasContact(n)(ab)));
    const abB = await wait(b.addressbook$, (ab) => all.every((n) => hasContact(n)(ab)));
    expect(names(abA)).toEqual(all);
    expect(abB.toJSON()).toEqual(abA.toJSON());
    expect(abA.groups.map((g) => g.name)).toEqual(['Group A']);
  });

  it('a manager stopped with pending operations applies them after a restart from its file store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxcap-manager-'));
    dirs.push(dir);
    const s1 = fileStorage(dir);
    // Offline: the server is unreachable (nothing listens on port 9), so the operation stays
    // in the journal.
    const offline = createXcapManager({
      account: { ...account(user), xcap: { root: 'http://127.0.0.1:9/xcap-root' } },
      storage: s1,
      backoff: fast,
    });
    await offline.start();
    offline.addContact(bob());
    await wait(offline.state$, (s) => s.state === 'initializing');
    await offline.stop();
    await s1.close();

    const s2 = fileStorage(dir);
    storages.push(s2);
    const m = make(user, s2);
    await m.start();
    const ab = await wait(m.addressbook$, hasContact('Bob'));
    expect(ab.contacts).toHaveLength(1);
    await inSync(m);
    const client = new XcapClient({
      root: testServer().xcapRoot,
      xui: user.id,
      password: user.password,
    });
    expect((await firstValueFrom(client.get('resource-lists'))).body).toContain(
      'sip:bob@example.com',
    );
  });

  it('the reference-layout documents decode into expected.json’s addressbook', async () => {
    const client = new XcapClient({
      root: testServer().xcapRoot,
      xui: user.id,
      password: user.password,
    });
    const files: [string, string, string?][] = [
      ['resource-lists', 'resource-lists.xml'],
      ['rls-services', 'rls-services.xml'],
      ['org.openmobilealliance.pres-rules', 'org.openmobilealliance.pres-rules.xml'],
      ['org.openxcap.dialog-rules', 'org.openxcap.dialog-rules.xml'],
      ['pidf-manipulation', 'pidf-manipulation.xml'],
      [
        'org.openmobilealliance.pres-content',
        'org.openmobilealliance.pres-content.xml',
        'oma_status-icon/index',
      ],
    ];
    const xui = user.id;
    for (const [auid, file, filename] of files) {
      const raw = readFileSync(join(FIXTURES, file), 'utf8')
        .replaceAll('http://127.0.0.1:5080/xcap-root', testServer().xcapRoot)
        // sipsimple also writes the root percent-encoded (':' as %3A) in some anchors.
        .replaceAll(
          'http%3A//127.0.0.1%3A5080/xcap-root',
          testServer().xcapRoot.replaceAll(':', '%3A'),
        )
        .replaceAll('sip%3Aalice%40example.com', encodeURIComponent(xui))
        .replaceAll('sip:alice@example.com', xui)
        .replaceAll('alice%40example.com', encodeURIComponent(xui.slice(4)))
        .replaceAll('sip:alice+', `sip:${user.username}+`)
        .replaceAll('sip%3Aalice%2B', `sip%3A${user.username}%2B`);
      await lastValueFrom(client.put(auid, raw, filename ? { filename } : {}));
    }
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));
    const m = make(user);
    const traces: TraceEntry[] = [];
    m.trace$.subscribe((t) => traces.push(t));
    await m.start();
    await inSync(m);
    // Normalizing documents the reference implementation wrote changes nothing: no write.
    expect(traces.filter((t) => t.method !== 'GET')).toEqual([]);
    const ab = await firstValueFrom(m.addressbook$);
    expect(ab.contacts.map((c) => c.id)).toEqual(
      expected.addressbook.contacts.map((c: { id: string }) => c.id),
    );
    expect(ab.contacts.map((c) => c.name)).toEqual(
      expected.addressbook.contacts.map((c: { name: string }) => c.name),
    );
    expect(ab.groups.map((g) => [g.id, g.name, [...g.contactIds]])).toEqual(
      expected.addressbook.groups.map((g: { id: string; name: string; contacts: string[] }) => [
        g.id,
        g.name,
        g.contacts,
      ]),
    );
    expect(ab.policies.map((p) => [p.id, p.uri])).toEqual(
      expected.addressbook.policies.map((p: { id: string; uri: string }) => [p.id, p.uri]),
    );
    const pr = await firstValueFrom(m.presenceRules$);
    expect(pr.defaultPolicy).toBe(expected.default_presence_policy);
    const dr = await firstValueFrom(m.dialogRules$);
    expect(dr.defaultPolicy).toBe(expected.default_dialog_policy);
    const icon = await firstValueFrom(m.icon$);
    expect(icon?.mimeType).toBe(expected.status_icon.mime_type);
  });
});

describe('XcapManager operations made from its own callbacks, against Kamailio', () => {
  const user = poolUser(580);
  beforeEach(() => wipeUserDocuments(user));

  it('a group added from a state$ insync callback can be named by the next operation', async () => {
    // Regression: state$ emitted insync before the step's emitData rebuilt the known ids from
    // the synced data, so a group added from that callback was forgotten and the next
    // operation naming it threw XcapUnknownIdError.
    const m = make(user);
    const g = new Group({ name: 'From the callback' });
    let added = false;
    m.state$.subscribe(({ state }) => {
      if (state === 'insync' && !added) {
        added = true;
        m.addGroup(g);
      }
    });
    await m.start();
    await inSync(m);
    expect(added).toBe(true);
    expect(() => m.updateGroup(g, { name: 'Renamed' })).not.toThrow();
    const book = await wait(m.addressbook$, (ab) => ab.groups.some((x) => x.name === 'Renamed'));
    expect(book.groups.map((x) => x.name)).toEqual(['Renamed']);
  });
});

describe('XcapManager switching accounts, against Kamailio', () => {
  const user = poolUser(581);
  const other = poolUser(582);
  beforeEach(() => {
    wipeUserDocuments(user);
    wipeUserDocuments(other);
  });

  it('stop() right after a switch to another account id: the manager stays stopped', async () => {
    // Regression: the switch restarted the manager once the new account's store was loaded,
    // undoing a stop() the application called meanwhile (say, logout then quit).
    const env = testServer();
    const withSip = (u: TestUser) => ({
      ...account(u),
      sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp' as const] },
    });
    const settings$ = new BehaviorSubject(withSip(user));
    const m = createXcapManager({ account: settings$, backoff: fast, sip: nodeSipDiffPort() });
    managers.push(m);
    await m.start();
    await inSync(m);
    settings$.next(withSip(other));
    await m.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(m.state).toBe('stopped');
  });
});

describe('XcapManager with xcap-diff (SIP over TCP) against Kamailio', () => {
  const user = poolUser(103);
  beforeEach(() => wipeUserDocuments(user));

  it("learns of another manager's edit from the NOTIFY, without polling", async () => {
    const env = testServer();
    const withSip = {
      ...account(user),
      sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp' as const] },
    };
    // Polling every 10 minutes: only a NOTIFY can bring the change within the test.
    const a = createXcapManager({
      account: withSip,
      backoff: fast,
      pollPeriod: 600_000,
      sip: nodeSipDiffPort(),
    });
    const b = createXcapManager({
      account: withSip,
      backoff: fast,
      pollPeriod: 600_000,
      sip: nodeSipDiffPort(),
    });
    managers.push(a, b);
    await a.start();
    await inSync(a);
    await b.start();
    await inSync(b);
    const traces: TraceEntry[] = [];
    b.trace$.subscribe((t) => traces.push(t));
    a.addContact(bob());
    const ab = await wait(b.addressbook$, hasContact('Bob'), 10_000);
    expect(ab.contacts.map((c) => c.name)).toEqual(['Bob']);
    // b fetched what the NOTIFY named and wrote nothing.
    expect(traces.filter((t) => t.method !== 'GET')).toEqual([]);
    expect(traces.some((t) => t.auid === 'resource-lists')).toBe(true);
  });
});
