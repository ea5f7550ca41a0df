import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  grantRefreshDelay,
  initialMachineState,
  MAX_SUBSCRIBE_EXPIRES,
  type MachineContext,
  type MachineEffect,
  type MachineInput,
  type MachineState,
  refreshDelay,
  SHORT_GRANT_SECONDS,
  subscriptionTransition,
  TIMER_LIMIT,
} from '../../src/sip/subscription-machine.js';

const ctx: MachineContext = {
  xui: 'sip:a@example.com',
  body: '<resource-lists/>',
  backoff: { initialDelay: 5000, maxDelay: 300_000, factor: 2, jitter: 0 },
  random: () => 0,
  notifyTimeout: 32_000,
  terminateTimeout: 4000,
  stableAfter: 60_000,
};

/** Runs inputs from the initial state; returns the last state and the last effects. */
function run(...inputs: MachineInput[]): { state: MachineState; effects: MachineEffect[] } {
  let state = initialMachineState(600);
  let effects: MachineEffect[] = [];
  for (const i of inputs) ({ state, effects } = subscriptionTransition(state, i, ctx));
  return { state, effects };
}

const start: MachineInput[] = [{ type: 'start' }, { type: 'connected' }];
const active: MachineInput[] = [
  ...start,
  { type: 'response', id: 1, status: 200, expires: 600 },
  { type: 'notify', state: 'active', body: '' },
];
const sends = (fx: MachineEffect[]) =>
  fx
    .filter((e) => e.type === 'send')
    .map((e) => (e.type === 'send' ? [e.request.kind, e.request.expires] : []));
const timers = (fx: MachineEffect[]) =>
  fx.filter((e) => e.type === 'timer').map((e) => (e.type === 'timer' ? [e.name, e.delay] : []));
const emitted = (fx: MachineEffect[]) =>
  fx.filter((e) => e.type === 'emit').map((e) => (e.type === 'emit' ? e.event : null));

describe('subscriptionTransition (table)', () => {
  it.each<
    [
      string,
      MachineInput[],
      { phase: string; sends?: unknown[]; timers?: unknown[]; emitted?: unknown[] },
    ]
  >([
    [
      '2xx shortens Expires and schedules the refresh',
      [...start, { type: 'response', id: 1, status: 200, expires: 100 }],
      {
        phase: 'subscribing',
        timers: [['refresh', refreshDelay(100)]],
      },
    ],
    [
      '2xx never lengthens Expires',
      [...start, { type: 'response', id: 1, status: 200, expires: 9000 }],
      {
        phase: 'subscribing',
        timers: [['refresh', refreshDelay(600)]],
      },
    ],
    [
      'a response to an older request is ignored',
      [...start, { type: 'response', id: 7, status: 500 }],
      {
        phase: 'subscribing',
        sends: [],
        emitted: [],
      },
    ],
    [
      '423 without Min-Expires fails',
      [...start, { type: 'response', id: 1, status: 423 }],
      {
        phase: 'backoff',
        timers: [['retry', 5000]],
        emitted: [
          {
            type: 'state',
            state: 'failed',
            reason: '423 Interval Too Brief without a usable Min-Expires',
          },
        ],
      },
    ],
    [
      '423 with a smaller Min-Expires fails',
      [...start, { type: 'response', id: 1, status: 423, minExpires: 60 }],
      {
        phase: 'backoff',
      },
    ],
    [
      'a first 423 with a larger Min-Expires is resent at once with it',
      [...start, { type: 'response', id: 1, status: 423, minExpires: 601 }],
      { phase: 'subscribing', sends: [['initial', 601]] },
    ],
    [
      'a second 423 in a row waits the backoff (the server raised Min-Expires again)',
      [
        ...start,
        { type: 'response', id: 1, status: 423, minExpires: 601 },
        { type: 'response', id: 2, status: 423, minExpires: 602 },
      ],
      { phase: 'backoff', sends: [], timers: [['retry', 5000]] },
    ],
    [
      '401 after Digest waits the longest delay',
      [...start, { type: 'response', id: 1, status: 401, reason: 'Unauthorized' }],
      {
        phase: 'backoff',
        timers: [['retry', 300_000]],
        emitted: [
          { type: 'state', state: 'failed', reason: 'SUBSCRIBE answered 401 Unauthorized' },
        ],
      },
    ],
    [
      'pending NOTIFY reports pending and keeps the dialog',
      [...start, { type: 'notify', state: 'pending', body: '' }],
      {
        phase: 'subscribed',
        emitted: [{ type: 'resync' }],
      },
    ],
    [
      'NOTIFY expires reschedules the refresh',
      [...active, { type: 'notify', state: 'active', expires: 50, body: '' }],
      {
        phase: 'subscribed',
        timers: [['refresh', refreshDelay(50)]],
        emitted: [],
      },
    ],
    [
      'refresh timer sends an in-dialog refresh',
      [...active, { type: 'timer', name: 'refresh' }],
      {
        phase: 'subscribed',
        sends: [['refresh', 600]],
      },
    ],
    [
      'a refresh answered 500 keeps the subscription and retries before expiry',
      [...active, { type: 'timer', name: 'refresh' }, { type: 'response', id: 2, status: 500 }],
      {
        phase: 'subscribed',
        timers: [
          ['refresh', 5000],
          ['expiry', 60_000],
        ],
        emitted: [],
      },
    ],
    [
      'expiry after failed refreshes fails the subscription',
      [
        ...active,
        { type: 'timer', name: 'refresh' },
        { type: 'response', id: 2, status: 500 },
        { type: 'timer', name: 'expiry' },
      ],
      {
        phase: 'backoff',
        emitted: [
          {
            type: 'state',
            state: 'failed',
            reason: 'subscription expired before a refresh succeeded',
          },
        ],
      },
    ],
    [
      'a refresh answered 481 ends the subscription (RFC 6665 §4.1.2.2)',
      [...active, { type: 'timer', name: 'refresh' }, { type: 'response', id: 2, status: 481 }],
      {
        phase: 'backoff',
        emitted: [{ type: 'state', state: 'failed', reason: 'SUBSCRIBE answered 481' }],
      },
    ],
    [
      'terminate while active un-SUBSCRIBEs',
      [...active, { type: 'terminate' }],
      {
        phase: 'terminating',
        sends: [['unsubscribe', 0]],
        timers: [['terminate', 4000]],
      },
    ],
    [
      'a rejected un-SUBSCRIBE ends at once',
      [...active, { type: 'terminate' }, { type: 'response', id: 2, status: 481 }],
      {
        phase: 'done',
        emitted: [{ type: 'state', state: 'terminated' }],
      },
    ],
    [
      'terminate while backing off completes at once',
      [...start, { type: 'response', id: 1, status: 500 }, { type: 'terminate' }],
      {
        phase: 'done',
        emitted: [{ type: 'state', state: 'terminated' }],
      },
    ],
    [
      'inputs after done are ignored',
      [...start, { type: 'terminate' }, { type: 'notify', state: 'active', body: '' }],
      {
        phase: 'done',
        emitted: [],
      },
    ],
  ])('%s', (_name, inputs, expected) => {
    const { state, effects } = run(...inputs);
    expect(state.phase).toBe(expected.phase);
    if (expected.sends) expect(sends(effects)).toEqual(expected.sends);
    if (expected.timers) expect(timers(effects)).toEqual(expected.timers);
    if (expected.emitted) expect(emitted(effects)).toEqual(expected.emitted);
  });
});

describe('NOTIFY bodies (RFC 5874)', () => {
  it('a changed event passes the patch of a <document> through, marked complete', () => {
    const body = `<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/xcap-root/">
  <d:document sel="resource-lists/users/sip:a@example.com/index" previous-etag="e1" new-etag="e2">
    <d:replace sel="resource-lists/list/@name">friends</d:replace>
  </d:document>
</d:xcap-diff>`;
    const { effects } = run(...active, { type: 'notify', state: 'active', body });
    expect(emitted(effects)).toEqual([
      {
        type: 'changed',
        documents: [
          {
            auid: 'resource-lists',
            filename: 'index',
            previousEtag: 'e1',
            newEtag: 'e2',
            patchComplete: true,
            patch: [
              {
                op: 'replace',
                sel: 'resource-lists/list/@name',
                nodes: [{ type: 'text', text: 'friends' }],
                namespaces: { d: 'urn:ietf:params:xml:ns:xcap-diff' },
              },
            ],
          },
        ],
      },
    ]);
  });
});

describe('every timer a SIP peer can influence is bounded (property)', () => {
  const hostile = fc.oneof(
    fc.constantFrom(0, 1, 59, 600, 3_000_000, 315_360_000, 1e12, Number.NaN, -5),
    fc.integer({ min: 0, max: 2 ** 40 }),
  );
  const input: fc.Arbitrary<MachineInput> = fc.oneof(
    fc.record({
      type: fc.constant('response' as const),
      id: fc.integer({ min: 1, max: 6 }),
      status: fc.constantFrom(200, 202, 408, 423, 423, 481, 489, 500, 503),
      expires: hostile,
      minExpires: hostile,
      retryAfter: hostile,
    }),
    fc.record({
      type: fc.constant('notify' as const),
      state: fc.constantFrom('active', 'pending', 'terminated'),
      reason: fc.constantFrom('deactivated', 'timeout', 'probation', 'giveup', 'rejected'),
      expires: hostile,
      retryAfter: hostile,
      body: fc.constant(''),
    }),
    fc.record({
      type: fc.constant('timer' as const),
      name: fc.constantFrom('refresh', 'retry', 'notify-wait', 'expiry', 'stable' as const),
    }),
    fc.constant<MachineInput>({ type: 'connected' }),
  );
  const bound = Math.max(
    ctx.backoff.maxDelay,
    refreshDelay(MAX_SUBSCRIBE_EXPIRES),
    ctx.notifyTimeout,
    ctx.terminateTimeout,
    ctx.stableAfter,
  );

  it('delays stay in [0, max(backoff.maxDelay, refresh of one day, fixed timeouts)] and Expires at most a day', () => {
    expect(bound).toBeLessThan(TIMER_LIMIT);
    fc.assert(
      fc.property(fc.array(input, { maxLength: 40 }), (inputs) => {
        let state = initialMachineState(600);
        for (const i of [
          { type: 'start' } as MachineInput,
          { type: 'connected' } as MachineInput,
          ...inputs,
        ]) {
          const r = subscriptionTransition(state, i, ctx);
          state = r.state;
          for (const e of r.effects) {
            if (e.type === 'timer') {
              expect(Number.isFinite(e.delay)).toBe(true);
              expect(e.delay).toBeGreaterThanOrEqual(0);
              expect(e.delay).toBeLessThanOrEqual(bound);
            }
            if (e.type === 'send')
              expect(e.request.expires).toBeLessThanOrEqual(MAX_SUBSCRIBE_EXPIRES);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('grantRefreshDelay (short grants)', () => {
  const backoff = (n: number) => 5000 * 2 ** (n - 1);
  it.each([
    ['a long grant: 90 %', 600, 3, 540_000],
    ['a first short grant: obeyed, at least 1 s', 1, 0, 1000],
    ['a short grant after 1 short refresh: the first backoff step', 1, 1, 5000],
    ['... after 3: the third', 0, 3, 20_000],
    ['a short grant whose 90 % is longer than the step: 90 %', 59, 1, 53_100],
    [`a grant of exactly ${SHORT_GRANT_SECONDS} s is not short`, SHORT_GRANT_SECONDS, 5, 54_000],
  ])('%s', (_name, granted, shortRefreshes, delay) => {
    expect(grantRefreshDelay(granted, shortRefreshes, backoff)).toBe(delay);
  });
});
