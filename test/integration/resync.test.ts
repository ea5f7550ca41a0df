/**
 * A resync with nothing changed, against Kamailio, counted through `trace$`: only conditional
 * requests (xcap-caps revalidated by its ETag), no body, and no request for a document rxcap
 * knows to be absent; with xcap-diff, neither the first NOTIFY's full state nor the NOTIFY of
 * the manager's own PUT costs a GET.
 */
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { nodeSipDiffPort } from '../../src/sip/node.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { TraceEntry } from '../../src/streams/ports.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const fast = { initialDelay: 200, maxDelay: 2_000, factor: 2, jitter: 0 };
const wait = <T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> =>
  firstValueFrom(o.pipe(filter(pred), timeout(ms)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

function manager(user: TestUser, sip: boolean): { m: XcapManager; traces: TraceEntry[] } {
  const env = testServer();
  const m = createXcapManager({
    account: {
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root: env.xcapRoot, xcapDiff: sip },
      ...(sip
        ? {
            sip: {
              outboundProxy: `sip:${env.sip.tcp};transport=tcp`,
              transports: ['tcp' as const],
            },
          }
        : {}),
    },
    storage: memoryStorage(),
    backoff: fast,
    pollPeriod: 600_000,
    ...(sip ? { sip: nodeSipDiffPort() } : {}),
  });
  managers.push(m);
  const traces: TraceEntry[] = [];
  m.trace$.subscribe((t) => traces.push(t));
  return { m, traces };
}

const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' })] });
const show = (ts: readonly TraceEntry[]) => ts.map((t) => `${t.method} ${t.auid} ${t.status}`);

describe('resync with nothing changed, against Kamailio', () => {
  const user = poolUser(44);
  const diffUser = poolUser(45);
  beforeEach(() => {
    wipeUserDocuments(user);
    wipeUserDocuments(diffUser);
  });

  it('a stop and start makes only conditional requests (all 304), reads no body and asks for no absent document', async () => {
    const { m, traces } = manager(user, false);
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    m.addContact(bob());
    await wait(m.addressbook$, (b) => b.contacts.length === 1);
    await wait(m.state$, (s) => s.state === 'insync');
    await m.stop();
    const absent = new Set(traces.filter((t) => t.status === 404).map((t) => t.auid));
    for (const t of traces.filter((x) => x.method === 'PUT')) absent.delete(t.auid);
    expect(absent.size).toBeGreaterThan(0);

    const seen = traces.length;
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    const resync = traces.slice(seen);
    console.log(
      `resync with nothing changed: ${resync.length} requests (${show(resync).join(', ')}), ${resync.reduce((a, t) => a + t.size, 0)} body bytes`,
    );
    expect(resync.map((t) => t.auid)).toContain('xcap-caps');
    expect(resync.every((t) => t.method === 'GET' && t.status === 304)).toBe(true);
    expect(resync.reduce((a, t) => a + t.size, 0)).toBe(0);
    expect(resync.filter((t) => absent.has(t.auid))).toEqual([]);
  });

  it('with xcap-diff: the NOTIFY of its own PUT and the full state after a restart cost no GET', async () => {
    const { m, traces } = manager(diffUser, true);
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    await sleep(1_000); // the first NOTIFY (full state) comes and goes
    const beforeEdit = traces.length;
    m.addContact(bob());
    await wait(m.addressbook$, (b) => b.contacts.length === 1);
    await wait(m.state$, (s) => s.state === 'insync');
    await sleep(1_500); // the NOTIFYs of the PUTs
    const edit = traces.slice(beforeEdit);
    console.log(`an edit with xcap-diff: ${show(edit).join(', ')}`);
    expect(edit.filter((t) => t.method === 'PUT').length).toBeGreaterThan(0);
    expect(edit.filter((t) => t.method === 'GET')).toEqual([]);

    await m.stop();
    const seen = traces.length;
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    await sleep(1_500); // the first NOTIFY of the new subscription, with the full state
    const resync = traces.slice(seen);
    console.log(`resync with xcap-diff: ${show(resync).join(', ')}`);
    expect(resync.every((t) => t.method === 'GET' && t.status === 304)).toBe(true);
  });
});
