import { NEVER, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { NotifyRequest, SubscribeRequest } from '../../src/sip/dialog-port.js';
import { xcapDiffSubscription } from '../../src/sip/xcap-diff-subscription.js';
import type { DiffEvent, DiffSettings } from '../../src/streams/ports.js';
import { ACTIVE, type FakeStep, fakeSipPort, OK } from './fake-sip-port.js';

const XUI = 'sip:u200@example.com';
const SETTINGS: DiffSettings = {
  aor: XUI,
  xui: XUI,
  xcapRoot: 'http://127.0.0.1/xcap-root',
  subscribeInterval: 600,
  documents: [`resource-lists/users/${XUI}/index`],
};
const BACKOFF = { initialDelay: 5000, maxDelay: 300_000, factor: 2, jitter: 0 };
const DIFF = `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://127.0.0.1/xcap-root/"><document sel="resource-lists/users/${XUI}/index" previous-etag="e1" new-etag="e2"/></xcap-diff>`;

const ev = {
  p: { type: 'state', state: 'pending' },
  a: { type: 'state', state: 'active' },
  r: { type: 'resync' },
  t: { type: 'state', state: 'terminated' },
} satisfies Record<string, DiffEvent>;

function scheduler() {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

/** Runs a subscription against a fake port scripted with `script`; returns the fake. */
function watch(
  ts: TestScheduler,
  script: (n: number, cold: TestScheduler['createColdObservable']) => FakeStep,
  terminate$ = NEVER as import('rxjs').Observable<unknown>,
) {
  const fake = fakeSipPort(
    (_r, n) => script(n, ts.createColdObservable.bind(ts)),
    () => ts.now(),
  );
  const events$ = xcapDiffSubscription(
    () => of(fake.port),
    SETTINGS,
    { terminate$ },
    {
      scheduler: ts,
      random: () => 0,
      backoff: BACKOFF,
    },
  );
  return { fake, events$ };
}

/** 200 after 1 ms and an active NOTIFY after 2 ms. */
const accepted = (
  cold: TestScheduler['createColdObservable'],
  notify: NotifyRequest = ACTIVE,
): FakeStep => ({
  response: cold('-(r|)', { r: OK }),
  notifies: cold('--n', { n: notify }),
});

describe('xcapDiffSubscription (fake SIP port)', () => {
  it('starts: SUBSCRIBE with Event, Accept, Expires and the resource-lists body, then pending, resync, active', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (_n, cold) => accepted(cold));
      expectObservable(events$, '^ 10ms !').toBe('p-(ra)', ev);
      ts.flush();
      const [first] = fake.requests;
      expect(first).toMatchObject({
        kind: 'initial',
        event: 'xcap-diff',
        accept: 'application/xcap-diff+xml',
        expires: 600,
        body: { contentType: 'application/resource-lists+xml' },
      });
      expect(first!.body.content).toContain(`uri="resource-lists/users/${XUI}/index"`);
    });
  });

  it('refreshes in the dialog at 90 % of Expires, keeping the body and Accept (sip.js defect: Subscriber drops them)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (_n, cold) => accepted(cold));
      expectObservable(events$, '^ 1100000ms !').toBe('p-(ra)', ev);
      ts.flush();
      // The NOTIFY at 2 ms (expires=600) sets the refresh to 2 + 540000; its NOTIFY 2 ms later
      // sets the next one.
      expect(fake.times).toEqual([0, 540_002, 1_080_004]);
      expect(fake.requests.map((r) => r.kind)).toEqual([
        'initial',
        'refresh',
        'refresh',
        'unsubscribe',
      ]);
      for (const r of fake.requests) {
        expect(r.accept).toBe('application/xcap-diff+xml');
        expect(r.body.content).toBe(fake.requests[0]!.body.content);
        expect(r.expires).toBe(r.kind === 'unsubscribe' ? 0 : 600);
      }
    });
  });

  it('answers 423 by resubscribing with Min-Expires and keeps it for refreshes (sip.js defect: silent termination)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (n, cold) =>
        n === 0
          ? { response: cold('-(r|)', { r: { status: 423, minExpires: 1800 } }) }
          : {
              response: cold('-(r|)', { r: { status: 200, expires: 1800 } }),
              notifies: cold('--n', { n: { state: 'active', body: '' } }),
            },
      );
      expectObservable(events$, '^ 1700000ms !').toBe('p--(ra)', ev);
      ts.flush();
      expect(fake.requests.map((r) => [r.kind, r.expires])).toEqual([
        ['initial', 600],
        ['initial', 1800],
        ['refresh', 1800],
        ['unsubscribe', 0],
      ]);
    });
  });

  it('reports a NOTIFY naming a document as changed, and an unreadable body as resync', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { events$ } = watch(ts, (_n, cold) => ({
        response: cold('-(r|)', { r: OK }),
        notifies: cold('--a 9ms b 9ms c', {
          a: ACTIVE,
          b: { ...ACTIVE, body: DIFF, contentType: 'application/xcap-diff+xml' },
          c: { ...ACTIVE, body: '<not xml' },
        }),
      }));
      expectObservable(events$, '^ 30ms !').toBe('p-(ra) 6ms c 9ms r', {
        ...ev,
        c: {
          type: 'changed',
          documents: [
            { auid: 'resource-lists', filename: 'index', newEtag: 'e2', previousEtag: 'e1' },
          ],
        },
      });
    });
  });

  describe('terminations (RFC 6665 §4.1.3)', () => {
    const terminated = (reason: string, retryAfter?: number): NotifyRequest => ({
      state: 'terminated',
      reason,
      body: '',
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
    /** Subscribes, gets active, then terminated with `n` at 10 ms; returns request times. */
    function run(n: NotifyRequest, expected: string, values: Record<string, DiffEvent>) {
      const ts = scheduler();
      let times: number[] = [];
      ts.run(({ expectObservable }) => {
        const { fake, events$ } = watch(ts, (i, cold) => {
          times = fake.times;
          return i === 0
            ? {
                response: cold('-(r|)', { r: OK }),
                notifies: cold('--a 7ms t', { a: ACTIVE, t: n }),
              }
            : accepted(cold);
        });
        expectObservable(events$, '^ 60000ms !').toBe(expected, values);
      });
      return times;
    }

    it.each(['deactivated', 'timeout'])(
      '%s: resubscribes at once, without a state report (the new full state covers the gap)',
      (reason) => {
        const times = run(terminated(reason), 'p-(ra) 6ms r', ev);
        expect(times).toEqual([0, 10]);
      },
    );

    it.each(['probation', 'giveup'])(
      '%s: waits retry-after SECONDS (sip.js defect: read as ms)',
      (reason) => {
        const times = run(terminated(reason, 30), 'p-(ra) 4ms f 30001ms (ra)', {
          ...ev,
          f: { type: 'state', state: 'failed', reason },
        });
        expect(times).toEqual([0, 30_010]);
      },
    );

    it.each(['rejected', 'noresource', 'invariant', 'some-new-reason'])(
      '%s: reports failed and retries with backoff',
      (reason) => {
        const times = run(terminated(reason), 'p-(ra) 4ms f 5001ms (ra)', {
          ...ev,
          f: { type: 'state', state: 'failed', reason },
        });
        expect(times).toEqual([0, 5010]);
      },
    );
  });

  describe('hostile SIP peers: every timer bounded, every loop backed off', () => {
    const FULL_STATE = `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://127.0.0.1/xcap-root/"><document sel="resource-lists/users/${XUI}/index" new-etag="e7"/></xcap-diff>`;
    /** Runs `script` for `window` virtual ms; returns the SUBSCRIBE times and the events. */
    function during(
      window: number,
      script: (
        n: number,
        cold: TestScheduler['createColdObservable'],
        request: SubscribeRequest,
      ) => FakeStep,
      settings: Partial<DiffSettings> = {},
    ) {
      const ts = scheduler();
      const events: DiffEvent[] = [];
      let fake: ReturnType<typeof fakeSipPort> | undefined;
      ts.run(() => {
        fake = fakeSipPort(
          (r, n) => script(n, ts.createColdObservable.bind(ts), r),
          () => ts.now(),
        );
        const sub = xcapDiffSubscription(
          () => of(fake!.port),
          { ...SETTINGS, ...settings },
          { terminate$: NEVER },
          { scheduler: ts, random: () => 0, backoff: BACKOFF },
        ).subscribe((e) => events.push(e));
        ts.schedule(() => sub.unsubscribe(), window);
      });
      return { times: fake!.times, requests: fake!.requests, events };
    }
    /** Every SUBSCRIBE accepted, then active and at once terminated with `reason`. */
    const terminatedAtOnce =
      (reason: string, body = '') =>
      (_n: number, cold: TestScheduler['createColdObservable']): FakeStep => ({
        response: cold('-(r|)', { r: OK }),
        notifies: cold('--a-t', {
          a: { ...ACTIVE, body },
          t: { state: 'terminated', reason, body: '' },
        }),
      });

    it.each(['deactivated', 'timeout'])(
      'a server that terminates every subscription at once with reason=%s is backed off',
      (reason) => {
        // Before: resubscribed at once every time, 1000 SUBSCRIBEs in 3 s (51 against a real
        // server), each first NOTIFY a full refetch.
        const short = during(3_000, terminatedAtOnce(reason));
        expect(short.times).toEqual([0, 4]);
        expect(short.events.filter((e) => e.type === 'resync')).toHaveLength(2);
        // Then the backoff grows: 5 s initial delay, doubling, capped at 5 min.
        const long = during(1_200_000, terminatedAtOnce(reason));
        const gaps = long.times.slice(1).map((t, i) => t - long.times[i]!);
        expect(gaps).toEqual([4, 10_004, 20_004, 40_004, 80_004, 160_004, 300_004, 300_004]);
      },
    );

    it('a subscription that stayed active for a while is resubscribed at once after a deactivation', () => {
      const r = during(200_000, (n, cold) =>
        n === 0
          ? terminatedAtOnce('deactivated')(n, cold)
          : {
              response: cold('-(r|)', { r: OK }),
              notifies: cold('--a 99997ms t', {
                a: ACTIVE,
                t: { state: 'terminated', reason: 'deactivated', body: '' },
              }),
            },
      );
      // 0: terminated at once; 4: immediate retry, active for 100 s (past the 60 s that make it
      // stable), deactivated at 100004: resubscribed at once again, and so on.
      expect(r.times).toEqual([0, 4, 100_004, 200_004].filter((t) => t < 200_000));
    });

    it('the first NOTIFY of each resubscription fetches only what its full state says changed', () => {
      const r = during(3_000, terminatedAtOnce('deactivated', FULL_STATE));
      expect(r.events.filter((e) => e.type === 'resync')).toEqual([]);
      const changed = r.events.filter((e) => e.type === 'changed');
      expect(changed).toHaveLength(2);
      expect(changed[0]).toEqual({
        type: 'changed',
        fullState: true,
        documents: [
          { auid: 'resource-lists', filename: 'index', newEtag: 'e7', previousEtag: null },
        ],
      });
    });

    it('a retry-after past the timer limit waits the longest backoff delay, not 1 ms', () => {
      // 10 years: 3.15e11 ms, which a Node timer fires after 1 ms (past 2^31-1 ms).
      const r = during(700_000, (_n, cold) => ({
        response: cold('-(r|)', { r: OK }),
        notifies: cold('--a-t', {
          a: ACTIVE,
          t: { state: 'terminated', reason: 'probation', retryAfter: 315_360_000, body: '' },
        }),
      }));
      expect(r.times).toEqual([0, 300_004, 600_008]);
    });

    it('a 423 with a Min-Expires past a day is refused, not a storm', () => {
      // 3,000,000 s: before, the SUBSCRIBE was repeated with it and its refresh timer (2.7e9
      // ms) overflowed to 1 ms: a thousand refreshes in 3 s.
      const r = during(700_000, (_n, cold) => ({
        response: cold('-(r|)', { r: { status: 423, minExpires: 3_000_000 } }),
      }));
      expect(r.requests.map((q) => q.expires)).toEqual([600, 600, 600]);
      expect(r.times).toEqual([0, 300_001, 600_002]);
      expect(r.events).toContainEqual({
        type: 'state',
        state: 'failed',
        reason: '423 Min-Expires 3000000 s is past the 86400 s rxcap accepts',
      });
    });

    it.each([
      ['a 2xx with Expires: 0 and NOTIFYs with expires=1', { status: 200, expires: 0 }],
      ['a 2xx granting 600 s but NOTIFYs with expires=1', OK],
    ])(
      'a peer granting 1 s again and again is refreshed with backoff, not every second: %s',
      (_name, response) => {
        // Before: a refresh every second for as long as the peer did it (3,593 in an hour).
        const HOUR = 3_600_000;
        const r = during(HOUR, (_n, cold) => ({
          response: cold('-(r|)', { r: response }),
          notifies: cold('--n', { n: { state: 'active', expires: 1, body: '' } }),
        }));
        expect(r.requests.map((q) => q.kind).slice(0, 3)).toEqual([
          'initial',
          'refresh',
          'refresh',
        ]);
        // The first short grant is obeyed (1 s); then 5 s, 10 s, ... up to the 5-minute cap.
        const gaps = r.times.slice(1, 8).map((t, i) => t - r.times[i]!);
        expect(gaps).toEqual([1_002, 5_002, 10_002, 20_002, 40_002, 80_002, 160_002]);
        expect(r.times.length).toBeLessThanOrEqual(20);
        expect(r.times.at(-1)! - r.times.at(-2)!).toBe(300_002);
      },
    );

    it('a peer that stops granting short periods is refreshed at 90 % again', () => {
      const r = during(1_500_000, (n, cold) => ({
        response: cold('-(r|)', { r: OK }),
        notifies: cold('--n', { n: { state: 'active', expires: n < 3 ? 1 : 600, body: '' } }),
      }));
      const gaps = r.times.slice(1).map((t, i) => t - r.times[i]!);
      expect(gaps).toEqual([1_002, 5_002, 10_002, 540_002, 540_002]);
    });

    it('a server that raises Min-Expires on every retry is backed off', () => {
      // Before: a 423 with Min-Expires one more than asked was resent at once, back to back,
      // until the one-day cap (85,804 SUBSCRIBEs in these 20 minutes).
      const r = during(1_200_000, (_n, cold, request) => ({
        response: cold('-(r|)', { r: { status: 423, minExpires: request.expires + 1 } }),
      }));
      const gaps = r.times.slice(1).map((t, i) => t - r.times[i]!);
      // The first 423 is answered at once; then the resubscription backoff.
      expect(gaps.slice(0, 5)).toEqual([1, 5_001, 10_001, 20_001, 40_001]);
      expect(r.times.length).toBeLessThanOrEqual(12);
      expect(r.requests.map((q) => q.expires).slice(0, 4)).toEqual([600, 601, 602, 603]);
      expect(r.events).toContainEqual({
        type: 'state',
        state: 'failed',
        reason: '423 Interval Too Brief again: Min-Expires 602 s (2 in a row)',
      });
    });

    it('a 423 answered with a grant resets the count: the next 423 is resent at once again', () => {
      const r = during(600_000, (n, cold, request) => ({
        response: cold('-(r|)', {
          r:
            n === 0 || n === 2
              ? { status: 423, minExpires: request.expires + 60 }
              : { status: 200, expires: request.expires },
        }),
        ...(n === 1 ? { notifies: cold('--n', { n: { ...ACTIVE, expires: 660 } }) } : {}),
      }));
      const sent = r.requests.filter((q) => q.kind !== 'unsubscribe');
      expect(sent.map((q) => [q.kind, q.expires])).toEqual([
        ['initial', 600],
        ['initial', 660],
        ['refresh', 660],
        ['refresh', 720],
      ]);
      // 90 % of 660 s after the NOTIFY, then the 423 resent at once.
      expect(r.times).toEqual([0, 1, 594_003, 594_004]);
    });

    it('a subscribe interval past a day asks for one day', () => {
      const r = during(10, terminatedAtOnce('x'), { subscribeInterval: 3_000_000 });
      expect(r.requests[0]?.expires).toBe(86_400);
    });

    it('NOTIFYs over a secured connection are marked secure; over any other they are not', () => {
      const body = DIFF;
      for (const secure of [true, false, undefined]) {
        const ts = scheduler();
        const events: DiffEvent[] = [];
        ts.run(({ cold }) => {
          const fake = fakeSipPort(() => ({
            response: cold('-(r|)', { r: OK }),
            notifies: cold('--a-b', { a: ACTIVE, b: { ...ACTIVE, body } }),
          }));
          const port = secure === undefined ? fake.port : { ...fake.port, secure };
          const sub = xcapDiffSubscription(
            () => of(port),
            SETTINGS,
            { terminate$: NEVER },
            { scheduler: ts, random: () => 0, backoff: BACKOFF },
          ).subscribe((e) => events.push(e));
          ts.schedule(() => sub.unsubscribe(), 10);
        });
        const changed = events.find((e) => e.type === 'changed');
        expect(changed === undefined ? 'none' : 'secure' in changed).toBe(secure === true);
      }
    });
  });

  it('retries a failing SUBSCRIBE with growing backoff and recovers', () => {
    const ts = scheduler();
    let times: number[] = [];
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (n, cold) => {
        times = fake.times;
        return n < 2
          ? { response: cold('-(r|)', { r: { status: 500, reason: 'Server Error' } }) }
          : accepted(cold);
      });
      expectObservable(events$, '^ 60000ms !').toBe('pf 15002ms (ra)', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'SUBSCRIBE answered 500 Server Error' },
      });
    });
    // failure at 1 -> retry after 5000 -> failure at 5002 -> retry after 10000.
    expect(times).toEqual([0, 5001, 15002]);
  });

  it('honours Retry-After of a 503 in seconds', () => {
    const ts = scheduler();
    let times: number[] = [];
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (n, cold) => {
        times = fake.times;
        return n === 0
          ? { response: cold('-(r|)', { r: { status: 503, retryAfter: 20 } }) }
          : accepted(cold);
      });
      expectObservable(events$, '^ 30000ms !').toBe('pf 20001ms (ra)', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'SUBSCRIBE answered 503' },
      });
    });
    expect(times).toEqual([0, 20_001]);
  });

  it('fails when no NOTIFY arrives within Timer N (32 s), then retries', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (_n, cold) => ({ response: cold('-(r|)', { r: OK }) }));
      expectObservable(events$, '^ 40000ms !').toBe('p 31999ms f', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'no NOTIFY within Timer N' },
      });
      ts.flush();
      expect(fake.requests).toHaveLength(2);
    });
  });

  it('reports unavailable on 489 Bad Event and does not retry', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (_n, cold) => ({
        response: cold('-(r|)', { r: { status: 489 } }),
      }));
      expectObservable(events$, '^ 600000ms !').toBe('pu', {
        ...ev,
        u: { type: 'state', state: 'unavailable', reason: 'SUBSCRIBE answered 489' },
      });
      ts.flush();
      expect(fake.requests).toHaveLength(1);
    });
  });

  it('reconnects after a transport failure', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      let opens = 0;
      const fake = fakeSipPort((_r, _n) => accepted(ts.createColdObservable.bind(ts)));
      const open = () =>
        opens++ === 0 ? throwError(() => new Error('ECONNREFUSED')) : of(fake.port);
      const events$ = xcapDiffSubscription(
        open,
        SETTINGS,
        { terminate$: NEVER },
        { scheduler: ts, random: () => 0, backoff: BACKOFF },
      );
      expectObservable(events$, '^ 10000ms !').toBe('(pf) 4998ms (ra)', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'transport: ECONNREFUSED' },
      });
      ts.flush();
      expect(opens).toBe(2);
    });
  });

  it('a port factory that throws (an adapter bug) is a failed connect, retried with backoff', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      let opens = 0;
      const fake = fakeSipPort((_r, _n) => accepted(ts.createColdObservable.bind(ts)));
      const open = () => {
        if (opens++ === 0) throw new Error('fake: adapter bug');
        return of(fake.port);
      };
      const events$ = xcapDiffSubscription(
        open,
        SETTINGS,
        { terminate$: NEVER },
        { scheduler: ts, random: () => 0, backoff: BACKOFF },
      );
      expectObservable(events$, '^ 10000ms !').toBe('(pf) 4998ms (ra)', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'transport: fake: adapter bug' },
      });
      ts.flush();
      expect(opens).toBe(2);
    });
  });

  it('fails at once when the connection is lost, then reconnects and resubscribes', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      let opens = 0;
      const fake = fakeSipPort(
        (_r, _n) => accepted(ts.createColdObservable.bind(ts)),
        () => ts.now(),
      );
      const open = () => {
        opens++;
        return of(fake.port);
      };
      const events$ = xcapDiffSubscription(
        open,
        SETTINGS,
        { terminate$: NEVER },
        { scheduler: ts, random: () => 0, backoff: BACKOFF },
      );
      ts.schedule(() => fake.disconnected$.next('SIP connection closed'), 100);
      expectObservable(events$, '^ 10000ms !').toBe('p-(ra) 94ms f 5000ms -(ra)', {
        ...ev,
        f: { type: 'state', state: 'failed', reason: 'transport: SIP connection closed' },
      });
      ts.flush();
      expect(opens).toBe(2);
      expect(fake.times).toEqual([0, 5100]);
    });
  });

  it('reports unavailable when no SIP transport can be used, and terminates on request', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const unusable = Object.assign(new Error('no udp transport in this build'), {
        code: 'RXCAP_SIP_UNAVAILABLE',
      });
      const events$ = xcapDiffSubscription(
        () => throwError(() => unusable),
        SETTINGS,
        { terminate$: hot('----x') },
        { scheduler: ts },
      );
      expectObservable(events$).toBe('(pu)(t|)', {
        ...ev,
        u: { type: 'state', state: 'unavailable', reason: 'no udp transport in this build' },
      });
    });
  });

  it('terminate$: un-SUBSCRIBEs with Expires 0, waits for the final NOTIFY, emits terminated and completes', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const { fake, events$ } = watch(
        ts,
        (n, cold) =>
          n === 0
            ? accepted(cold)
            : {
                response: cold('-(r|)', { r: { status: 200, expires: 0 } }),
                notifies: cold('--n', { n: { state: 'terminated', reason: 'timeout', body: '' } }),
              },
        hot('-----x'),
      );
      expectObservable(events$).toBe('p-(ra)-(t|)', ev);
      ts.flush();
      expect(fake.requests.map((r) => [r.kind, r.expires])).toEqual([
        ['initial', 600],
        ['unsubscribe', 0],
      ]);
    });
  });

  it('terminate$ after the 2xx but before the first NOTIFY un-SUBSCRIBEs once the NOTIFY creates the dialog (server subscription lingered)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const { fake, events$ } = watch(
        ts,
        (n, cold) =>
          n === 0
            ? { response: cold('-(r|)', { r: OK }), notifies: cold('------n', { n: ACTIVE }) }
            : {
                response: cold('-(r|)', { r: { status: 200, expires: 0 } }),
                notifies: cold('--n', { n: { state: 'terminated', reason: 'timeout', body: '' } }),
              },
        hot('---x'),
      );
      expectObservable(events$).toBe('p 7ms (t|)', ev);
      ts.flush();
      expect(fake.requests.map((r) => [r.kind, r.expires])).toEqual([
        ['initial', 600],
        ['unsubscribe', 0],
      ]);
    });
  });

  it('terminate$ after the 2xx waits for the first NOTIFY no longer than the terminate timeout', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const { fake, events$ } = watch(
        ts,
        (_n, cold) => ({
          response: cold('-(r|)', { r: OK }),
          notifies: cold('5000ms n', { n: ACTIVE }),
        }),
        hot('---x'),
      );
      expectObservable(events$).toBe('p 4002ms (t|)', ev);
      ts.flush();
      expect(fake.requests.map((r) => r.kind)).toEqual(['initial']);
    });
  });

  it('terminate$ gives up waiting after the terminate timeout', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const { events$ } = watch(ts, (n, cold) => (n === 0 ? accepted(cold) : {}), hot('-----x'));
      expectObservable(events$).toBe('p-(ra) 3999ms (t|)', ev);
    });
  });

  it('terminate$ before any dialog completes at once', () => {
    const ts = scheduler();
    ts.run(({ expectObservable, hot }) => {
      const { fake, events$ } = watch(ts, () => ({}), hot('--x'));
      expectObservable(events$).toBe('p-(t|)', ev);
      ts.flush();
      expect(fake.requests).toHaveLength(1);
    });
  });

  it('unsubscribing sends a best-effort un-SUBSCRIBE', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const { fake, events$ } = watch(ts, (n, cold) =>
        n === 0 ? accepted(cold) : { response: cold('-(r|)', { r: OK }) },
      );
      expectObservable(events$, '^ 9ms !').toBe('p-(ra)', ev);
      ts.flush();
      expect(fake.requests.map((r) => r.kind)).toEqual(['initial', 'unsubscribe']);
    });
  });
});
