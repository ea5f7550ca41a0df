/**
 * status$, error$ and whenInSync() against the real Kamailio test server: a wrong password, a
 * refused port, a broken SIP outbound proxy, and an edit that reaches the server.
 */
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import type { XcapError } from '../../src/errors.js';
import type { XcapManager, XcapStatus } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { createXcapManager } from '../../src/node.js';
import { nodeSipDiffPort } from '../../src/sip/node.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const fast = { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 0 };

function account(user: TestUser, password = user.password) {
  return {
    id: user.id,
    auth: { username: user.username, password },
    xcap: { root: testServer().xcapRoot },
  };
}

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

const managers: XcapManager[] = [];
function make(options: Parameters<typeof createXcapManager>[0]): XcapManager {
  const m = createXcapManager({ storage: memoryStorage(), backoff: fast, ...options });
  managers.push(m);
  return m;
}
function errorsOf(m: XcapManager): XcapError[] {
  const errors: XcapError[] = [];
  m.error$.subscribe((e) => errors.push(e));
  return errors;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

describe('status$ and error$ against Kamailio', () => {
  const user = poolUser(160);
  beforeEach(() => wipeUserDocuments(user));

  it('a wrong password: one 401 on error$ across several poll periods; status$ waits for credentials and says why', async () => {
    const m = make({ account: account(user, 'wrong-password'), pollPeriod: 300 });
    const errors = errorsOf(m);
    await m.start();
    const status = await wait(m.status$, (s) => s.connectivity === 'waiting-for-credentials');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(errors.map((e) => [e.code, (e as { status?: number }).status])).toEqual([
      ['RXCAP_HTTP', 401],
    ]);
    expect(errors[0]!.message).toContain(
      `the server refused the credentials of ${JSON.stringify(user.username)}`,
    );
    expect(status.hint).toBe(`the server refused the credentials for ${user.id.slice(4)}`);
    expect(status.lastError).toBe(errors[0]);
    await expect(m.whenInSync()).rejects.toBe(errors[0]);
  });

  it('a refused port (127.0.0.1:1): one error on error$, status$ unreachable with the failures and the next retry', async () => {
    const m = make({
      account: { ...account(user), xcap: { root: 'http://127.0.0.1:1/xcap-root' } },
    });
    const errors = errorsOf(m);
    const statuses: XcapStatus[] = [];
    m.status$.subscribe((s) => statuses.push(s));
    await m.start();
    const status = await wait(m.status$, (s) => s.failures >= 4);
    // Node's entry: undici (fetch would refuse port 1 itself, a "bad port" of the Fetch standard).
    expect(errors.map((e) => [e.code, (e as { causeCode?: string }).causeCode])).toEqual([
      ['RXCAP_NETWORK', 'ECONNREFUSED'],
    ]);
    expect(status).toMatchObject({
      state: 'initializing',
      connectivity: 'unreachable',
      hint: 'connection refused by 127.0.0.1:1; retrying',
    });
    expect(status.nextRetryAt).toBeGreaterThan(Date.now() - 1_000);
    expect(status.nextRetryAt).toBeLessThan(Date.now() + 1_000);
  });

  it('an unresolvable host: one error on error$, status$ says there is no such host', async () => {
    const m = make({
      account: { ...account(user), xcap: { root: 'http://no-such-host.invalid/xcap-root' } },
    });
    const errors = errorsOf(m);
    await m.start();
    const status = await wait(m.status$, (s) => s.failures >= 3);
    expect(errors.map((e) => e.code)).toEqual(['RXCAP_NETWORK']);
    expect(status).toMatchObject({
      state: 'initializing',
      connectivity: 'unreachable',
      hint: 'no such host: no-such-host.invalid; retrying',
    });
    await m.stop();
    expect(await firstValueFrom(m.status$)).toMatchObject({
      state: 'stopped',
      connectivity: 'unknown',
      nextRetryAt: null,
      hint: 'stopped',
    });
  });

  it('a working outbound proxy: xcap-diff active, no polling in force, hint "in sync"', async () => {
    const env = testServer();
    const m = make({
      account: {
        ...account(user),
        sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp`, transports: ['tcp' as const] },
      },
      sip: nodeSipDiffPort(),
    });
    await m.start();
    await m.whenInSync();
    const status = await wait(m.status$, (s) => s.xcapDiff.state === 'active');
    expect(status).toMatchObject({
      state: 'insync',
      connectivity: 'reachable',
      xcapDiff: { state: 'active', reason: null, pollPeriod: null, failures: 0 },
      hint: 'in sync',
    });
  });

  it('a broken outbound proxy (nothing listens there): xcap-diff down with the SIP side’s reason, polling in force', async () => {
    const m = make({
      account: {
        ...account(user),
        sip: { outboundProxy: 'sip:127.0.0.1:1;transport=tcp', transports: ['tcp' as const] },
      },
      sip: nodeSipDiffPort(),
      pollPeriod: 60_000,
    });
    await m.start();
    await m.whenInSync();
    const status = await wait(m.status$, (s) => s.xcapDiff.state === 'down');
    expect(status).toMatchObject({
      state: 'insync',
      connectivity: 'reachable',
      xcapDiff: { state: 'down', pollPeriod: 60_000 },
    });
    expect(status.xcapDiff.reason).toMatch(/ECONNREFUSED|refused/i);
    expect(status.hint).toContain('xcap-diff is down');
  });

  it('an outbound proxy whose host does not resolve: xcap-diff down with the reason', async () => {
    const m = make({
      account: { ...account(user), sip: { outboundProxy: 'no-such-proxy.invalid:5060' } },
      sip: nodeSipDiffPort(),
      pollPeriod: 60_000,
    });
    await m.start();
    await m.whenInSync();
    const status = await wait(m.status$, (s) => s.xcapDiff.state === 'down');
    expect(status.xcapDiff.reason).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(status.xcapDiff.pollPeriod).toBe(60_000);
  });
});

describe('whenInSync() against Kamailio', () => {
  const user = poolUser(161);
  beforeEach(() => wipeUserDocuments(user));

  it('resolves after an addContact once the contact is on the server', async () => {
    const m = make({ account: account(user) });
    await m.start();
    await m.whenInSync();
    m.addContact(
      new Contact({
        name: 'Bob',
        uris: [new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' })],
      }),
    );
    await m.whenInSync();
    const status = await firstValueFrom(m.status$);
    expect(status).toMatchObject({ state: 'insync', pending: 0, connectivity: 'reachable' });
    expect(status.lastSyncAt).toBeGreaterThan(Date.now() - 10_000);
    const client = new XcapClient({
      root: testServer().xcapRoot,
      xui: user.id,
      username: user.username,
      password: user.password,
    });
    const doc = await firstValueFrom(client.get('resource-lists'));
    expect(doc.body).toContain('sip:bob@example.com');
  });
});
