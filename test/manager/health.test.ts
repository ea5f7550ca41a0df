/**
 * The health the manager's pure transition folds (./src/manager/health.ts), the status derived
 * from it and whenInSync()'s decision: table tests on the transition, no effects.
 */
import { describe, expect, it } from 'vitest';
import { XcapHttpError, XcapNetworkError } from '../../src/client/errors.js';
import type { XcapError } from '../../src/errors.js';
import { failureKind } from '../../src/manager/health.js';
import { initialManagerContext, managerTransition } from '../../src/manager/machine.js';
import type { ManagerContext, ManagerEvent } from '../../src/manager/machine-types.js';
import { xcapStatus } from '../../src/manager/status.js';
import { inSyncDecision } from '../../src/manager/when-in-sync.js';
import { XcapCapabilitiesError } from '../../src/streams/errors.js';
import type { Discovery, MachineContext } from '../../src/streams/events.js';
import type { AccountSettings } from '../../src/streams/settings.js';

const settings: AccountSettings = {
  id: 'alice@example.com',
  auth: { password: 'pw' },
  xcap: { root: 'http://xcap.test/xcap-root' },
};
const discovery: Discovery = {
  root: 'http://xcap.test/xcap-root',
  capabilities: { auids: [], extensions: [], namespaces: [] },
  presRulesAuid: 'pres-rules',
  supported: ['resource-lists'],
};
const refused = () =>
  new XcapNetworkError({
    url: 'http://127.0.0.1:1/xcap-root/x',
    method: 'GET',
    cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
  });
const http = (status: number) =>
  new XcapHttpError({ status, url: 'http://xcap.test/x', method: 'GET', headers: {}, body: '' });

/** Runs events from a started manager (settings, loaded store); returns the context and errors. */
function run(events: readonly ManagerEvent[]): { c: ManagerContext; reported: XcapError[] } {
  let c = initialManagerContext();
  const reported: XcapError[] = [];
  const all: ManagerEvent[] = [
    { type: 'settingsArrived', settings },
    { type: 'startRequested' },
    {
      type: 'storeLoaded',
      account: 'sip:alice@example.com',
      documents: {},
      journal: [],
      problems: [],
    },
    ...events,
  ];
  for (const e of all) {
    const r = managerTransition(c, e);
    c = r.context;
    for (const cmd of r.commands) if (cmd.type === 'reportError') reported.push(cmd.error);
  }
  return { c, reported };
}
const retrying = (error: XcapError | undefined, at: number, delay: number): ManagerEvent =>
  error === undefined
    ? { type: 'retrying', attempt: 1, delay, at }
    : { type: 'retrying', error, attempt: 1, delay, at };
const POLL = { pollPeriod: 120_000 };

describe('the health fold', () => {
  it.each([
    {
      name: 'transient retries are counted; only the first of a kind is reported',
      events: [
        retrying(refused(), 0, 1000),
        retrying(refused(), 1000, 2000),
        retrying(refused(), 3000, 4000),
      ],
      failures: 3,
      reported: ['RXCAP_NETWORK||ECONNREFUSED'],
      nextRetryAt: 7000,
    },
    {
      name: 'a different failure is reported again',
      events: [retrying(refused(), 0, 1000), retrying(http(503), 1000, 2000)],
      failures: 2,
      reported: ['RXCAP_NETWORK||ECONNREFUSED', 'RXCAP_HTTP|503|'],
      nextRetryAt: 3000,
    },
    {
      name: 'a recovery resets the count; the same failure after it is news again',
      events: [
        retrying(refused(), 0, 1000),
        { type: 'capabilitiesDiscovered', discovery } as ManagerEvent,
        retrying(refused(), 5000, 1000),
      ],
      failures: 1,
      reported: ['RXCAP_NETWORK||ECONNREFUSED', 'RXCAP_NETWORK||ECONNREFUSED'],
      nextRetryAt: 6000,
    },
    {
      name: 'a failure event then the wait of its retry timer: counted once, due at the timer',
      events: [
        { type: 'capabilitiesDiscovered', discovery } as ManagerEvent,
        { type: 'fetchFailed', error: http(400) } as ManagerEvent,
        retrying(undefined, 10, 1000),
      ],
      failures: 1,
      reported: ['RXCAP_HTTP|400|'],
      nextRetryAt: 1010,
    },
  ])('$name', ({ events, failures, reported, nextRetryAt }) => {
    const { c, reported: errors } = run(events);
    expect(c.health.failures).toBe(failures);
    expect(errors.map(failureKind)).toEqual(reported);
    expect(c.health.nextRetryAt).toBe(nextRetryAt);
  });

  it('the time of a sync comes with the answer that brings the manager in sync', () => {
    const { c } = run([
      { type: 'capabilitiesDiscovered', discovery },
      { type: 'fetched', documents: {}, changed: false, at: 42 },
      { type: 'updated', documents: {}, appliedIds: ['normalize-1'], at: 50 },
    ]);
    expect(c.sync.state).toBe('insync');
    expect(c.health.lastSyncAt).toBe(50);
    expect(xcapStatus(c, POLL)).toMatchObject({ connectivity: 'reachable', lastSyncAt: 50 });
  });

  it('a retry notice after stop() changes nothing', () => {
    const { c } = run([{ type: 'stopRequested' }, retrying(refused(), 0, 1000)]);
    expect(c.health).toMatchObject({ failures: 0, nextRetryAt: null });
  });
});

describe('status and whenInSync() decisions', () => {
  it.each([
    {
      name: 'refused credentials: waiting for credentials; whenInSync rejects with the 401',
      events: [
        { type: 'capabilitiesDiscovered', discovery },
        { type: 'authFailed', error: http(401) },
      ],
      connectivity: 'waiting-for-credentials',
      hint: 'the server refused the credentials for alice@example.com',
      decision: 'RXCAP_HTTP',
    },
    {
      name: 'missing applications: missing capabilities; whenInSync rejects with it',
      events: [
        {
          type: 'capabilitiesFailed',
          error: new XcapCapabilitiesError('the XCAP server at r lacks x', { missing: ['x'] }),
        },
      ],
      connectivity: 'missing-capabilities',
      hint: 'the XCAP server at r lacks x',
      decision: 'RXCAP_CAPABILITIES',
    },
    {
      name: 'a refused connection: unreachable; whenInSync waits',
      events: [retrying(refused(), 0, 1000)],
      connectivity: 'unreachable',
      hint: 'connection refused by 127.0.0.1:1; retrying',
      decision: 'wait',
    },
    {
      name: 'a refused certificate: unreachable, the hint names it',
      events: [
        {
          type: 'capabilitiesFailed',
          error: new XcapNetworkError({
            url: 'https://xcap.test/xcap-root/xcap-caps/global/index',
            method: 'GET',
            cause: Object.assign(new Error('expired'), { code: 'CERT_HAS_EXPIRED' }),
          }),
        },
      ],
      connectivity: 'unreachable',
      hint: 'the TLS certificate of xcap.test was refused (CERT_HAS_EXPIRED); retrying',
      decision: 'wait',
    },
    {
      name: 'in sync, nothing pending: whenInSync is done',
      events: [
        { type: 'capabilitiesDiscovered', discovery },
        { type: 'fetched', documents: {}, changed: false },
        { type: 'updated', documents: {}, appliedIds: ['normalize-1'] },
      ],
      connectivity: 'reachable',
      hint: 'in sync',
      decision: 'done',
    },
    {
      name: 'stopped: whenInSync rejects with RXCAP_STOPPED',
      events: [{ type: 'stopRequested' }],
      connectivity: 'unknown',
      hint: 'stopping',
      decision: 'RXCAP_STOPPED',
    },
  ] as const)('$name', ({ events, connectivity, hint, decision }) => {
    const { c } = run(events as readonly ManagerEvent[]);
    expect(xcapStatus(c, POLL)).toMatchObject({ connectivity, hint });
    const d = inSyncDecision(c);
    expect(typeof d === 'string' ? d : d.code).toBe(decision);
  });
});

describe('status hint while updating', () => {
  const updating = (journal: MachineContext['journal']): ManagerContext => {
    const c = initialManagerContext();
    return { ...c, sync: { ...c.sync, state: 'updating', journal } };
  };

  it('an update of no edit of the application (a normalize after the first fetch) is not "sending 0 edits"', () => {
    const normalize = { id: 'normalize-1', operation: { type: 'normalize' } } as const;
    expect(xcapStatus(updating([normalize]), POLL)).toMatchObject({
      pending: 0,
      hint: 'updating documents',
    });
  });

  it('an update of the application’s edits counts them', () => {
    const add = (id: string) =>
      ({ id, operation: { type: 'setDefaultPresencePolicy', policy: 'block' } }) as const;
    expect(xcapStatus(updating([add('a'), add('b')]), POLL)).toMatchObject({
      pending: 2,
      hint: 'sending 2 edits',
    });
  });
});
