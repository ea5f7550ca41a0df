/**
 * Many managers, one SIP connection (sharedSipDiffPort) against Kamailio: 50 accounts reach
 * insync with their xcap-diff subscriptions active over a single TCP connection, and a change
 * made by another client reaches the right manager through a NOTIFY (polling is off).
 */
import { execFileSync } from 'node:child_process';
import { filter, firstValueFrom, type Observable, tap, timeout } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import type { DiffPort } from '../../src/ports/index.js';
import { sharedSipDiffPort } from '../../src/sip/node.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const N = 50;
const FIRST = 250; // u250–u299: no other test uses them
const users = Array.from({ length: N }, (_, i) => poolUser(FIRST + i));

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 60_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

/** Established TCP connections of this process to `hostPort`, as the kernel sees them. */
function connectionsTo(hostPort: string): number {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(` ${hostPort} `) && l.includes(`pid=${process.pid},`)).length;
}

const managers: XcapManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.stop()));
});

describe('sharedSipDiffPort against Kamailio', () => {
  it(`${N} managers subscribe over one TCP connection, and a NOTIFY reaches the right one`, async () => {
    const env = testServer();
    for (const u of users) wipeUserDocuments(u);
    const shared = sharedSipDiffPort();
    const active = new Set<string>();
    // The shared port, watched: which accounts' subscriptions are active.
    const sip: DiffPort = {
      watch: (settings, control) =>
        shared.watch(settings, control).pipe(
          tap((e) => {
            if (e.type === 'state' && e.state === 'active') active.add(settings.xui);
          }),
        ),
    };
    const changed: string[] = [];
    for (const u of users) {
      const m = createXcapManager({
        account: {
          id: u.id,
          auth: { username: u.username, password: u.password },
          xcap: { root: env.xcapRoot },
          sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp'] },
        },
        storage: memoryStorage(),
        sip,
        // Only a NOTIFY can bring the change below within the test.
        pollPeriod: 600_000,
        backoff: { initialDelay: 200, maxDelay: 2_000, factor: 2, jitter: 0.5 },
      });
      m.trace$.subscribe((t) => {
        if (t.method === 'GET' && t.auid === 'resource-lists' && t.status === 200)
          changed.push(u.id);
      });
      managers.push(m);
    }
    await Promise.all(managers.map((m) => m.start()));
    await Promise.all(managers.map((m) => wait(m.state$, (s) => s.state === 'insync')));
    const deadline = Date.now() + 60_000;
    while (active.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(active.size).toBe(N);
    expect(shared.connections.stats()).toEqual({
      open: 1,
      opened: 1,
      accounts: N,
      strayRequests: 0,
    });
    expect(connectionsTo(env.sip.tcp)).toBe(1);

    // Another client changes u262's address book; only u262's manager learns of it.
    const target = users[12]!;
    const before = changed.length;
    // A second client on that account: its own manager, no xcap-diff.
    const other = createXcapManager({
      account: {
        id: target.id,
        auth: { username: target.username, password: target.password },
        xcap: { root: env.xcapRoot },
      },
      storage: memoryStorage(),
      pollPeriod: 600_000,
    });
    managers.push(other);
    await other.start();
    await wait(other.state$, (s) => s.state === 'insync');
    other.addContact(
      new Contact({
        name: 'Carol',
        uris: [new ContactURI({ uri: 'sip:carol@example.com', type: 'SIP' })],
      }),
    );
    const m = managers[12]!;
    const ab = await wait(
      m.addressbook$,
      (a) => a.contacts.some((c) => c.name === 'Carol'),
      10_000,
    );
    expect(ab.contacts.map((c) => c.name)).toContain('Carol');
    await new Promise((r) => setTimeout(r, 500));
    expect(changed.slice(before)).toEqual([target.id]);
  }, 180_000);
});
