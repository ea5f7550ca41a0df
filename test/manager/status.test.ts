/**
 * status$, error$ without floods, and whenInSync(), on virtual time (TestScheduler): each
 * observed failure of "a status that explains itself" has a test here. The XCAP server is the
 * in-memory one of rxcap/testing or a fake HTTP port that fails on purpose (a refused
 * connection, a 404 on xcap-caps), the xcap-diff side a fake port.
 */
import { BehaviorSubject, concat, from, NEVER, type Observable, takeUntil, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { XcapNetworkError } from '../../src/client/errors.js';
import type { XcapError } from '../../src/errors.js';
import { createXcapManager, type XcapManager, type XcapStatus } from '../../src/manager.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { DiffEvent, DiffPort, HttpFactory, XcapHttp } from '../../src/streams/ports.js';
import type { AccountSettings } from '../../src/streams/settings.js';
import { createInMemoryXcapServer } from '../../src/testing/index.js';

const XUI = 'sip:alice@example.com';
const ROOT = 'http://xcap.test/xcap-root';
const account: AccountSettings = {
  id: 'alice@example.com',
  auth: { password: 's3cret' },
  xcap: { root: ROOT },
};
const backoff = { initialDelay: 1_000, maxDelay: 60_000, factor: 2, jitter: 0 };
const POLL = 30_000;

function scheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

/** Runs virtual time up to `ms` from now, letting the store's promises settle in between. */
async function advance(ts: TestScheduler, ms: number): Promise<void> {
  const target = ts.now() + ms;
  for (let i = 0; i < 30; i++) {
    ts.maxFrames = target;
    ts.flush();
    await new Promise((r) => setTimeout(r, 0));
  }
  ts.frame = Math.max(ts.frame, target);
}

function record(m: XcapManager) {
  const errors: XcapError[] = [];
  const statuses: XcapStatus[] = [];
  m.error$.subscribe((e) => errors.push(e));
  m.status$.subscribe((s) => statuses.push(s));
  return { errors, statuses, last: () => statuses[statuses.length - 1]! };
}

/** A fake HTTP port whose every request fails like a refused connection to 127.0.0.1:1. */
const refusedHttp: HttpFactory = () => {
  const fail = (): Observable<never> =>
    throwError(
      () =>
        new XcapNetworkError({
          url: 'http://127.0.0.1:1/xcap-root/xcap-caps/global/index',
          method: 'GET',
          cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
            code: 'ECONNREFUSED',
          }),
        }),
    );
  return { get: fail, put: fail, delete: fail } satisfies XcapHttp;
};

/** A diff port that fails like an outbound proxy nobody listens on. */
const brokenProxy: DiffPort = {
  // Like the SIP port, it keeps retrying by itself until it is terminated.
  watch: (_settings, control) =>
    concat(
      from<DiffEvent[]>([
        { type: 'state', state: 'pending' },
        { type: 'state', state: 'failed', reason: 'transport: connect ECONNREFUSED 127.0.0.1:1' },
      ]),
      NEVER,
    ).pipe(takeUntil(control.terminate$)),
};

describe('status$ and error$: a failure explains itself once', () => {
  it('a refused connection reaches error$ once across its retries; status$ counts them and says when the next retry is due', async () => {
    const ts = scheduler();
    const m = createXcapManager({
      account: { ...account, xcap: { root: 'http://127.0.0.1:1/xcap-root' } },
      storage: memoryStorage(),
      http: refusedHttp,
      scheduler: ts,
      backoff,
      pollPeriod: POLL,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    // Attempts at 0, 1 s, 3 s, 7 s, 15 s: the fifth failure waits 16 s.
    await advance(ts, 20_000);
    expect(r.errors.map((e) => e.code)).toEqual(['RXCAP_NETWORK']);
    const s = r.last();
    expect(s).toMatchObject({
      state: 'initializing',
      connectivity: 'unreachable',
      failures: 5,
      nextRetryAt: 15_000 + 16_000,
      hint: 'connection refused by 127.0.0.1:1; retrying',
    });
    // The last attempt's error (error$ got the first one).
    expect(s.lastError).toMatchObject({ code: 'RXCAP_NETWORK', causeCode: 'ECONNREFUSED' });
    await m.close();
  });

  it('a recovery, then the same failure again, reaches error$ again; a different failure too', async () => {
    const ts = scheduler();
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' }, scheduler: ts });
    const m = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      scheduler: ts,
      backoff,
      pollPeriod: POLL,
    });
    const r = record(m);
    server.failNext(503, 3);
    const started = m.start();
    await advance(ts, 0);
    await started;
    expect(r.last()).toMatchObject({ connectivity: 'unreachable', failures: 1 });
    await advance(ts, 10_000);
    expect(r.statuses.map((s) => s.failures)).toContain(3);
    expect(r.last()).toMatchObject({
      state: 'insync',
      connectivity: 'reachable',
      failures: 0,
      nextRetryAt: null,
      lastError: null,
      // Discovery failed at 0, 1 s and 3 s; it succeeded at 7 s.
      lastSyncAt: 7_000,
      hint: 'in sync; xcap-diff is down (no xcap-diff transport), polling every 30 s',
    });
    expect(r.errors.map((e) => (e as { status?: number }).status)).toEqual([503]);
    // Recovered: the next 503 is news again, and a 500 after it is another kind.
    server.failNext(503, 1);
    await advance(ts, POLL);
    server.failNext(500, 1);
    await advance(ts, POLL);
    expect(r.errors.map((e) => (e as { status?: number }).status)).toEqual([503, 503, 500]);
    expect(r.last()).toMatchObject({ state: 'insync', connectivity: 'reachable' });
    await m.close();
  });

  it('a wrong password: error$ says once that the credentials for the account were refused; status$ waits for credentials', async () => {
    const ts = scheduler();
    const server = createInMemoryXcapServer({ users: { [XUI]: 'other' }, scheduler: ts });
    const m = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      scheduler: ts,
      backoff,
      pollPeriod: POLL,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    await advance(ts, 5 * POLL);
    expect(r.errors.map((e) => (e as { status?: number }).status)).toEqual([401]);
    expect(r.last()).toMatchObject({
      connectivity: 'waiting-for-credentials',
      hint: 'the server refused the credentials for alice@example.com',
      failures: 1,
    });
    await expect(m.whenInSync()).rejects.toBe(r.errors[0]);
    await m.close();
  });

  it('a 404 on xcap-caps says there is no XCAP server at the root, once, and waits for new settings', async () => {
    const ts = scheduler();
    let gets = 0;
    const http: HttpFactory = () => ({
      get: () => {
        gets++;
        return throwError(() =>
          Object.assign(new Error('fake 404'), {
            code: 'RXCAP_HTTP',
            status: 404,
            url: `${ROOT}/xcap-caps/global/index`,
          }),
        );
      },
      put: () => NEVER,
      delete: () => NEVER,
    });
    const m = createXcapManager({
      account,
      storage: memoryStorage(),
      http,
      scheduler: ts,
      backoff,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    const waiting = m.whenInSync().catch((e: unknown) => e);
    await advance(ts, 600_000);
    expect(gets).toBe(1);
    expect(r.errors.map((e) => [e.code, e.message])).toEqual([
      ['RXCAP_CAPABILITIES', `no XCAP server at ${ROOT}: xcap-caps answered 404 (check xcap.root)`],
    ]);
    expect(r.last()).toMatchObject({
      connectivity: 'missing-capabilities',
      hint: `no XCAP server at ${ROOT}: xcap-caps answered 404 (check xcap.root)`,
    });
    expect(await waiting).toMatchObject({ code: 'RXCAP_CAPABILITIES' });
    await m.close();
  });

  it('a broken outbound proxy: status$ says xcap-diff is down with the SIP side’s reason and the polling period in force', async () => {
    const ts = scheduler();
    const server = createInMemoryXcapServer({ scheduler: ts });
    const m = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      sip: brokenProxy,
      scheduler: ts,
      pollPeriod: POLL,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    await advance(ts, 1_000);
    expect(r.last()).toMatchObject({
      state: 'insync',
      connectivity: 'reachable',
      xcapDiff: {
        state: 'down',
        reason: 'transport: connect ECONNREFUSED 127.0.0.1:1',
        pollPeriod: POLL,
      },
      hint: 'in sync; xcap-diff is down (transport: connect ECONNREFUSED 127.0.0.1:1), polling every 30 s',
    });
    await m.close();
  });
});

describe('status$: the manager’s own resubscriptions of xcap-diff', () => {
  it('a diff port that fails every time: failures counted, the next resubscription due, one error on error$', async () => {
    const ts = scheduler();
    const server = createInMemoryXcapServer({ scheduler: ts });
    let watches = 0;
    const failing: DiffPort = {
      watch: () => {
        watches++;
        return throwError(() => new Error('fake: SIP server gone'));
      },
    };
    const m = createXcapManager({
      account,
      storage: memoryStorage(),
      http: server.http,
      sip: failing,
      scheduler: ts,
      backoff,
      pollPeriod: POLL,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    // Subscriptions at 0, 1 s, 3 s and 7 s: the fourth failure waits 8 s.
    await advance(ts, 10_000);
    expect(watches).toBe(4);
    expect(r.last().xcapDiff).toEqual({
      state: 'down',
      reason: 'diff failed: fake: SIP server gone',
      pollPeriod: POLL,
      failures: 4,
      nextRetryAt: 7_000 + 8_000,
    });
    expect(r.errors.map((e) => e.message)).toEqual(['diff failed: fake: SIP server gone']);
    await m.close();
  });
});

describe('settings are checked synchronously where they can be', () => {
  it.each([
    ['an account id without a domain', { ...account, id: 'alice' }, 'account.id'],
    ['a SIP URI without a domain', { ...account, id: 'sip:alice' }, 'account.id'],
    [
      'a root without a scheme',
      { ...account, xcap: { root: 'xcap.test/xcap-root' } },
      'account.xcap.root',
    ],
    [
      'a root without a host',
      { ...account, xcap: { root: 'http://:80/xcap-root' } },
      'account.xcap.root',
    ],
    [
      'a garbage outbound proxy',
      { ...account, sip: { outboundProxy: 'not a proxy at all' } },
      'account.sip.outboundProxy',
    ],
    [
      'an outbound proxy port past 65535',
      { ...account, sip: { outboundProxy: 'sip:proxy.example.com:70000' } },
      'account.sip.outboundProxy',
    ],
  ] as [string, AccountSettings, string][])(
    '%s: createXcapManager throws XcapValidationError for the first value',
    (_name, bad, field) => {
      expect(() => createXcapManager({ account: bad, storage: memoryStorage() })).toThrow(
        expect.objectContaining({ code: 'RXCAP_INVALID_ARGUMENT', field }),
      );
      const settings$ = new BehaviorSubject<AccountSettings>(bad);
      expect(() => createXcapManager({ account: settings$, storage: memoryStorage() })).toThrow(
        expect.objectContaining({ code: 'RXCAP_INVALID_ARGUMENT', field }),
      );
    },
  );

  it.each([
    ['sip:proxy.example.com:5060;transport=tcp'],
    ['<sips:proxy.example.com>'],
    ['wss://sip.example.com:8443/ws'],
    ['ws://127.0.0.1:5066/ws'],
    ['127.0.0.1:5060'],
    ['[::1]:5060'],
    ['sip:alice@[2001:db8::1]:5061;transport=tls'],
  ])('an outbound proxy %s is accepted', (outboundProxy) => {
    expect(() =>
      createXcapManager({
        account: { ...account, sip: { outboundProxy } },
        storage: memoryStorage(),
      }),
    ).not.toThrow();
  });

  it('a later id without a domain goes to error$ once and the last good settings stay', async () => {
    const ts = scheduler();
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' }, scheduler: ts });
    const settings$ = new BehaviorSubject<AccountSettings>(account);
    const m = createXcapManager({
      account: settings$,
      storage: memoryStorage(),
      http: server.http,
      scheduler: ts,
    });
    const r = record(m);
    const started = m.start();
    await advance(ts, 0);
    await started;
    settings$.next({ ...account, id: 'alice' });
    await advance(ts, 1_000);
    expect(r.errors.map((e) => [e.code, (e as { field?: string }).field])).toEqual([
      ['RXCAP_INVALID_ARGUMENT', 'account.id'],
    ]);
    expect(r.last()).toMatchObject({ state: 'insync', connectivity: 'reachable' });
    expect(server.requests.filter((q) => q.status === 401 || q.status === 403)).toEqual([]);
    await m.close();
  });
});
