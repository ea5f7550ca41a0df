/**
 * The manager's transition as a table: every (lifecycle state, event) pair, each with the
 * commands it produces and the context fields it changes (every other field must stay). The
 * sync machine's own events are the table of test/streams/transition.test.ts; here they appear
 * as the one that ends a stop (`stopped`). Below the matrix, rows named after the lifecycle
 * fixes of the former imperative facade.
 */
import { describe, expect, it } from 'vitest';
import { XcapError, XcapValidationError } from '../../src/errors.js';
import { initialManagerContext, managerTransition } from '../../src/manager/machine.js';
import type { ManagerContext, ManagerEvent } from '../../src/manager/machine-types.js';
import type { Discovery } from '../../src/streams/events.js';
import { initialContext } from '../../src/streams/transition.js';

const ALICE = 'sip:alice@example.com';
const BOB = 'sip:bob@example.com';
const A = { id: ALICE, auth: { password: 'pw' }, xcap: { root: 'http://xcap.test/xcap-root' } };
const B = { ...A, id: BOB };
const discovery: Discovery = {
  root: 'http://xcap.test/xcap-root',
  capabilities: { auids: ['resource-lists'], extensions: [], namespaces: [] },
  presRulesAuid: 'pres-rules',
  supported: ['resource-lists'],
};
const err = new XcapError('RXCAP_TEST', 'fake');
const entry = (id: string) => ({ id, operation: { type: 'removeGroup', groupId: id } });

const base = initialManagerContext();
const withA = { ...base, settings: A, account: ALICE };
const syncIn = (state: ManagerContext['sync']['state']) => ({
  ...initialContext(),
  state,
  settings: A,
  discovery,
  firstFetch: false,
});

/** Representative contexts, one per lifecycle state. */
const STATES: Record<string, ManagerContext> = {
  'no settings': base,
  'waiting for settings': { ...base, load: 'waiting', intent: 'running' },
  idle: { ...base, settings: A },
  loading: { ...withA, load: 'loading', intent: 'running' },
  failed: { ...withA, load: 'failed', loadError: err },
  loaded: { ...withA, load: 'loaded' },
  running: { ...withA, load: 'loaded', intent: 'running', sync: syncIn('insync') },
  stopping: { ...withA, load: 'loaded', sync: syncIn('stopping') },
  switching: {
    ...withA,
    settings: B,
    load: 'loaded',
    intent: 'running',
    switching: true,
    sync: syncIn('stopping'),
  },
  closing: { ...withA, load: 'loaded', phase: 'closing', sync: syncIn('stopping'), writing: 1 },
  releasing: { ...withA, load: 'loaded', phase: 'releasing' },
  closed: { ...withA, load: 'loaded', phase: 'closed' },
};

const EVENTS: Record<string, ManagerEvent> = {
  'settings (same account)': {
    type: 'settingsArrived',
    settings: { ...A, sip: { subscribeInterval: 300 } },
  },
  'settings (other account)': { type: 'settingsArrived', settings: B },
  settingsRefused: { type: 'settingsRefused', error: new XcapValidationError('fake', 'account') },
  settingsFailed: { type: 'settingsFailed', error: new XcapError('RXCAP_SETTINGS', 'fake') },
  loadRequested: { type: 'loadRequested' },
  startRequested: { type: 'startRequested' },
  stopRequested: { type: 'stopRequested' },
  closeRequested: { type: 'closeRequested' },
  flushRequested: { type: 'flushRequested' },
  operationsMade: { type: 'operationsMade', entries: [entry('op1')] },
  storeLoaded: { type: 'storeLoaded', account: ALICE, documents: {}, journal: [], problems: [] },
  storeLoadFailed: { type: 'storeLoadFailed', account: ALICE, error: err },
  journalSaved: { type: 'journalSaved', seq: 1 },
  journalSaveFailed: { type: 'journalSaveFailed', seq: 1, error: err },
  cacheSaved: { type: 'cacheSaved' },
  cacheSaveFailed: { type: 'cacheSaveFailed', error: err },
  storeRetryTimer: { type: 'storeRetryTimer' },
  storeReleased: { type: 'storeReleased' },
  'stopped (sync)': { type: 'stopped' },
};

/** The fields a row may change, as strings. */
function summary(c: ManagerContext): Record<string, string> {
  return {
    phase: c.phase,
    load: c.load,
    intent: c.intent,
    sync: c.sync.state,
    switching: String(c.switching),
    account: String(c.account),
    settings: String(c.settings?.id ?? null),
    settingsError: String(c.settingsError?.code ?? null),
    held: String(c.held.length),
    seq: String(c.journalSeq),
    saved: String(c.savedSeq),
    writing: String(c.writing),
    failures: String(c.storeFailures),
  };
}

/** [commands, changes] — `-` for none; changes as `field=value` pairs. */
type Expect = readonly [string, string];
const N: Expect = ['-', '-'];
const REPORT: Expect = ['reportError', '-'];
const SAVE_FAILED: Expect = ['reportError,scheduleStoreRetry', 'failures=1'];
/** The store's answers behave alike in every open state without pending writes. */
const answers = {
  settingsRefused: REPORT,
  flushRequested: N,
  journalSaved: ['-', 'saved=1'],
  journalSaveFailed: SAVE_FAILED,
  cacheSaved: N,
  cacheSaveFailed: REPORT,
  storeRetryTimer: N,
  // Only the answer to releaseStore: ignored before.
  storeReleased: N,
} satisfies Record<string, Expect>;
const STARTS = 'emitLifecycle,discoverCapabilities,emitLifecycle';
const STOPS = 'emitLifecycle,cancel,unsubscribe';

const MATRIX: Record<string, Record<string, Expect>> = {
  'no settings': {
    ...answers,
    'settings (same account)': ['-', `settings=${ALICE}`],
    'settings (other account)': ['-', `settings=${BOB}`],
    settingsFailed: ['reportError', 'settingsError=RXCAP_SETTINGS'],
    loadRequested: ['-', 'load=waiting'],
    startRequested: ['-', 'load=waiting intent=running'],
    stopRequested: N,
    closeRequested: ['releaseStore', 'phase=releasing'],
    operationsMade: ['-', 'seq=1 held=1 load=waiting'],
    // Only the answer to loadStore, which needs settings.
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  'waiting for settings': {
    ...answers,
    'settings (same account)': ['loadStore', `settings=${ALICE} account=${ALICE} load=loading`],
    'settings (other account)': ['loadStore', `settings=${BOB} account=${BOB} load=loading`],
    settingsFailed: ['reportError', 'settingsError=RXCAP_SETTINGS load=failed intent=stopped'],
    loadRequested: N,
    startRequested: N,
    stopRequested: ['-', 'intent=stopped'],
    closeRequested: ['releaseStore', 'phase=releasing intent=stopped'],
    operationsMade: ['-', 'seq=1 held=1'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  idle: {
    ...answers,
    'settings (same account)': N,
    // Nothing was loaded: the switch only forgets the data streams.
    'settings (other account)': ['forgetData', `settings=${BOB}`],
    settingsFailed: REPORT,
    loadRequested: ['loadStore', `account=${ALICE} load=loading`],
    startRequested: ['loadStore', `account=${ALICE} load=loading intent=running`],
    stopRequested: N,
    closeRequested: ['releaseStore', 'phase=releasing'],
    operationsMade: ['loadStore', `seq=1 held=1 account=${ALICE} load=loading`],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  loading: {
    ...answers,
    'settings (same account)': N,
    // The old account's load answer will be ignored (another account).
    'settings (other account)': ['forgetData,loadStore', `settings=${BOB} account=${BOB}`],
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: N,
    stopRequested: ['-', 'intent=stopped'],
    // Waits for the load: operations held meanwhile are saved after it.
    closeRequested: ['-', 'phase=closing intent=stopped'],
    operationsMade: ['-', 'seq=1 held=1'],
    storeLoaded: [STARTS, 'load=loaded sync=initializing'],
    storeLoadFailed: ['reportError', 'load=failed intent=stopped'],
    'stopped (sync)': N,
  },
  failed: {
    ...answers,
    'settings (same account)': N,
    'settings (other account)': [
      'forgetData,loadStore',
      `settings=${BOB} account=${BOB} load=loading`,
    ],
    settingsFailed: REPORT,
    // A failed load is not kept: the next request tries again.
    loadRequested: ['loadStore', 'load=loading'],
    startRequested: ['loadStore', 'load=loading intent=running'],
    stopRequested: N,
    closeRequested: ['releaseStore', 'phase=releasing'],
    operationsMade: ['loadStore', 'seq=1 held=1 load=loading'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  loaded: {
    ...answers,
    'settings (same account)': N,
    'settings (other account)': [
      'forgetData,loadStore',
      `settings=${BOB} account=${BOB} load=loading`,
    ],
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: [STARTS, 'intent=running sync=initializing'],
    stopRequested: N,
    closeRequested: ['releaseStore', 'phase=releasing'],
    operationsMade: ['persistJournal', 'seq=1 writing=1'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  running: {
    ...answers,
    // Subscription settings only: renew the subscription.
    'settings (same account)': ['subscribe', '-'],
    'settings (other account)': [STOPS, `settings=${BOB} switching=true sync=stopping`],
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: N,
    stopRequested: [STOPS, 'intent=stopped sync=stopping'],
    closeRequested: [STOPS, 'phase=closing intent=stopped sync=stopping'],
    operationsMade: ['persistJournal,update', 'seq=1 writing=1 sync=updating'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': N,
  },
  stopping: {
    ...answers,
    'settings (same account)': N,
    'settings (other account)': ['-', `settings=${BOB} switching=true`],
    settingsFailed: REPORT,
    loadRequested: N,
    // Queued behind the stop: starts again once it is done.
    startRequested: ['-', 'intent=running'],
    stopRequested: N,
    closeRequested: ['-', 'phase=closing'],
    operationsMade: ['persistJournal', 'seq=1 writing=1'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': ['emitLifecycle', 'sync=stopped'],
  },
  switching: {
    ...answers,
    // Back to the first account before the stop ended: the switch goes there.
    'settings (same account)': ['-', `settings=${ALICE}`],
    'settings (other account)': N,
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: N,
    stopRequested: ['-', 'intent=stopped'],
    closeRequested: ['-', 'phase=closing intent=stopped'],
    // Never into the old account's journal: held for the next account's load.
    operationsMade: ['-', 'seq=1 held=1'],
    storeLoaded: N,
    storeLoadFailed: N,
    'stopped (sync)': [
      'emitLifecycle,forgetData,loadStore',
      `sync=stopped switching=false account=${BOB} load=loading`,
    ],
  },
  closing: {
    ...answers,
    'settings (same account)': N,
    'settings (other account)': N,
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: N,
    stopRequested: N,
    closeRequested: N,
    operationsMade: N,
    storeLoaded: N,
    storeLoadFailed: N,
    journalSaved: ['-', 'saved=1 writing=0'],
    journalSaveFailed: ['reportError,scheduleStoreRetry', 'writing=0 failures=1'],
    cacheSaved: ['-', 'writing=0'],
    cacheSaveFailed: ['reportError', 'writing=0'],
    'stopped (sync)': ['emitLifecycle', 'sync=stopped'],
  },
  releasing: {
    ...answers,
    'settings (same account)': N,
    'settings (other account)': N,
    settingsFailed: REPORT,
    loadRequested: N,
    startRequested: N,
    stopRequested: N,
    closeRequested: N,
    operationsMade: N,
    storeLoaded: N,
    storeLoadFailed: N,
    storeReleased: ['complete', 'phase=closed'],
    'stopped (sync)': N,
  },
  // Final: every event is ignored.
  closed: Object.fromEntries(Object.keys(EVENTS).map((e) => [e, N])),
};

const pairs = Object.keys(STATES).flatMap((state) =>
  Object.keys(EVENTS).map((event) => ({ state, event })),
);

describe('managerTransition: every (state, event) pair', () => {
  it('the matrix names every pair', () => {
    for (const { state, event } of pairs)
      expect(MATRIX[state]?.[event], `${state} + ${event}`).toBeDefined();
  });

  it.each(pairs)('$state + $event', ({ state, event }) => {
    const from = STATES[state]!;
    const [commands, changes] = MATRIX[state]![event]!;
    const r = managerTransition(from, EVENTS[event]!);
    expect(r.commands.map((c) => c.type).join(',') || '-').toBe(commands);
    const expected = { ...summary(from) };
    if (changes !== '-') {
      for (const pair of changes.split(' ')) {
        const [k, v] = pair.split('=') as [string, string];
        expected[k] = v;
      }
    }
    expect(summary(r.context)).toEqual(expected);
  });
});

/** Folds events from a context. */
function run(from: ManagerContext, ...events: ManagerEvent[]) {
  let context = from;
  const commands: string[] = [];
  for (const e of events) {
    const r = managerTransition(context, e);
    context = r.context;
    commands.push(...r.commands.map((c) => (c.type === 'emitLifecycle' ? c.event : c.type)));
  }
  return { context, commands };
}

describe('managerTransition: lifecycle fixes of the former facade', () => {
  it('a failed load is not cached: the next load() tries again (cd7b759)', () => {
    const { context, commands } = run(
      STATES.idle!,
      { type: 'loadRequested' },
      { type: 'storeLoadFailed', account: ALICE, error: err },
      { type: 'loadRequested' },
    );
    expect(commands).toEqual(['loadStore', 'reportError', 'loadStore']);
    expect(context.load).toBe('loading');
  });

  it('start and stop follow the last call: start, stop queued behind a stop stays stopped (4f2e4e3)', () => {
    const { context, commands } = run(
      STATES.running!,
      { type: 'stopRequested' },
      { type: 'startRequested' },
      { type: 'stopRequested' },
      { type: 'stopped' },
    );
    expect(commands).toEqual(['willEnd', 'cancel', 'unsubscribe', 'didEnd']);
    expect(context.sync.state).toBe('stopped');
  });

  it('a start during a stop starts again once the stop is done (1719f84)', () => {
    const { context, commands } = run(
      STATES.running!,
      { type: 'stopRequested' },
      { type: 'startRequested' },
      { type: 'stopped' },
    );
    expect(commands).toEqual([
      'willEnd',
      'cancel',
      'unsubscribe',
      'didEnd',
      'willStart',
      'discoverCapabilities',
      'didStart',
    ]);
    expect(context.sync.state).toBe('initializing');
  });

  it('a stop during a start whose load fails leaves it stopped, the failure reported (85397e3)', () => {
    const { context } = run(
      STATES.loading!,
      { type: 'stopRequested' },
      { type: 'storeLoadFailed', account: ALICE, error: err },
    );
    expect(context).toMatchObject({ load: 'failed', intent: 'stopped' });
    expect(context.sync.state).toBe('stopped');
  });

  it('an account switch resumes only if the application wants it running (4823e6f)', () => {
    const loadBob = {
      type: 'storeLoaded',
      account: BOB,
      documents: {},
      journal: [],
      problems: [],
    } as const;
    const resumed = run(
      STATES.running!,
      { type: 'settingsArrived', settings: B },
      { type: 'stopped' },
      loadBob,
    );
    expect(resumed.context.sync.state).toBe('initializing');
    expect(resumed.context.sync.settings?.id).toBe(BOB);
    const held = run(
      STATES.running!,
      { type: 'settingsArrived', settings: B },
      { type: 'stopRequested' },
      { type: 'stopped' },
      loadBob,
    );
    expect(held.context.sync.state).toBe('stopped');
  });

  it('an account switch forgets the data streams and loads the new account’s own store (a06e2d7, c23b74c)', () => {
    const { context, commands } = run(
      { ...STATES.loaded!, sync: { ...STATES.loaded!.sync, journal: [entry('alice1')] } },
      { type: 'settingsArrived', settings: B },
    );
    expect(commands).toEqual(['forgetData', 'loadStore']);
    expect(context.sync.journal).toEqual([]);
    expect(context.account).toBe(BOB);
  });

  it('a start right after a switch runs the new account, never with the old one’s journal (99d46bb)', () => {
    const { context } = run(
      { ...STATES.loaded!, sync: { ...STATES.loaded!.sync, journal: [entry('alice1')] } },
      { type: 'settingsArrived', settings: B },
      { type: 'startRequested' },
      { type: 'operationsMade', entries: [entry('bob1')] },
      { type: 'storeLoaded', account: BOB, documents: {}, journal: [], problems: [] },
    );
    expect(context.sync.journal).toEqual([entry('bob1')]);
    expect(context.sync.state).toBe('initializing');
  });

  it('operations held for an account whose load had not ended stay that account’s when the account changes', () => {
    const { context, commands } = run(
      STATES.loading!,
      { type: 'operationsMade', entries: [entry('alice1')] },
      { type: 'settingsArrived', settings: B },
      { type: 'operationsMade', entries: [entry('bob1')] },
      { type: 'storeLoaded', account: BOB, documents: {}, journal: [], problems: [] },
    );
    expect(commands.slice(0, 3)).toEqual(['appendJournal', 'forgetData', 'loadStore']);
    expect(context.sync.journal).toEqual([entry('bob1')]);
  });

  it('operations made before the load go after the stored journal and are saved (d174a8d)', () => {
    const r = managerTransition(
      { ...STATES.loading!, held: [entry('late')], journalSeq: 1 },
      {
        type: 'storeLoaded',
        account: ALICE,
        documents: {},
        journal: [entry('stored')],
        problems: [],
      },
    );
    expect(r.context.sync.journal).toEqual([entry('stored'), entry('late')]);
    const save = r.commands.find((c) => c.type === 'persistJournal');
    expect(save).toMatchObject({ account: ALICE, seq: 1 });
  });

  it('close() releases the store once the stop and every write are done (ddf3cfa)', () => {
    const { context, commands } = run(
      STATES.closing!,
      { type: 'stopped' },
      { type: 'journalSaved', seq: 0 },
      { type: 'storeReleased' },
    );
    expect(commands).toEqual(['didEnd', 'releaseStore', 'complete']);
    expect(context.phase).toBe('closed');
  });

  it('close() with operations that never became durable reports XcapNotDurableError', () => {
    const { commands } = run(
      { ...STATES.loaded!, journalSeq: 2, savedSeq: 1 },
      { type: 'closeRequested' },
    );
    expect(commands).toEqual(['reportError', 'releaseStore']);
  });

  it('a failed journal write is written again when the store retry timer fires (flush: ENOSPC)', () => {
    const { context, commands } = run(
      { ...STATES.loaded!, journalSeq: 1 },
      { type: 'journalSaveFailed', seq: 1, error: err },
      { type: 'storeRetryTimer' },
      { type: 'journalSaved', seq: 1 },
    );
    expect(commands).toEqual(['reportError', 'scheduleStoreRetry', 'persistJournal']);
    expect(context).toMatchObject({ savedSeq: 1, storeFailures: 0, writing: 0 });
  });

  it('a save answer of an older batch never lowers savedSeq', () => {
    const { context } = run(
      { ...STATES.loaded!, journalSeq: 3, savedSeq: 3, writing: 1 },
      {
        type: 'journalSaved',
        seq: 2,
      },
    );
    expect(context.savedSeq).toBe(3);
  });

  it('problems found at load (dropped cache, refused records) are each reported', () => {
    const r = managerTransition(STATES.loading!, {
      type: 'storeLoaded',
      account: ALICE,
      documents: {},
      journal: [],
      problems: [err, err],
    });
    expect(r.commands.filter((c) => c.type === 'reportError')).toHaveLength(2);
  });
});
