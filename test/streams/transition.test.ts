import { describe, expect, it } from 'vitest';
import { element } from '../../src/codecs/xml/tree.js';
import { XcapError } from '../../src/errors.js';
import { XcapOperationDroppedError } from '../../src/streams/errors.js';
import type {
  Discovery,
  MachineCommand,
  MachineContext,
  MachineEvent,
  StoredDocument,
  XcapState,
} from '../../src/streams/events.js';
import type { OperationData } from '../../src/streams/ports.js';
import { initialContext, transition } from '../../src/streams/transition.js';

const settings = { id: 'alice@example.com', auth: { password: 'pw' } };
const discovery: Discovery = {
  root: 'http://xcap.example.com/xcap-root',
  capabilities: {
    auids: ['resource-lists', 'rls-services', 'pres-rules'],
    extensions: [],
    namespaces: [],
  },
  presRulesAuid: 'pres-rules',
  supported: ['resource-lists', 'rls-services', 'pres-rules'],
};
const doc = (etag: string): StoredDocument => ({
  content: `<x etag="${etag}"/>`,
  etag,
  root: element('', 'x', { etag }),
});
const err = new XcapError('RXCAP_TEST', 'boom');
const entry = (id: string) => ({ id, operation: { type: 'addGroup', id } });

function ctx(state: XcapState, extra: Partial<MachineContext> = {}): MachineContext {
  return {
    ...initialContext(),
    state,
    settings,
    discovery: state === 'initializing' || state === 'stopped' ? null : discovery,
    firstFetch: false,
    ...extra,
  };
}
const types = (cs: readonly MachineCommand[]) => cs.map((c) => c.type);
const fetchNames = (cs: readonly MachineCommand[]) =>
  cs.flatMap((c) => (c.type === 'fetch' ? [c.names] : []));

interface Row {
  name: string;
  from: MachineContext;
  event: MachineEvent;
  state: XcapState;
  commands: MachineCommand['type'][];
  check?: (next: MachineContext, commands: readonly MachineCommand[]) => void;
}

const rows: Row[] = [
  // --- start / stop ---
  {
    name: 'stopped + started -> initializing, discover capabilities',
    from: initialContext(),
    event: { type: 'started', settings },
    state: 'initializing',
    commands: ['discoverCapabilities'],
    check: (n) => expect(n.firstFetch).toBe(true),
  },
  ...(['initializing', 'fetching', 'updating', 'insync', 'stopping'] as const).map(
    (s): Row => ({
      name: `${s} + started is ignored`,
      from: ctx(s),
      event: { type: 'started', settings },
      state: s,
      commands: [],
    }),
  ),
  ...(['initializing', 'fetching', 'updating', 'insync'] as const).map(
    (s): Row => ({
      name: `${s} + stopRequested -> stopping, cancel and unsubscribe`,
      from: ctx(s, { pendingFetch: 'all' }),
      event: { type: 'stopRequested' },
      state: 'stopping',
      commands: ['cancel', 'unsubscribe'],
      check: (n) => expect(n.pendingFetch).toBeNull(),
    }),
  ),
  {
    name: 'stopped + stopRequested does nothing',
    from: initialContext(),
    event: { type: 'stopRequested' },
    state: 'stopped',
    commands: [],
  },
  {
    name: 'stopping + stopped -> stopped',
    from: ctx('stopping', { diff: 'active' }),
    event: { type: 'stopped' },
    state: 'stopped',
    commands: [],
    check: (n) => expect(n.diff).toBe('off'),
  },
  {
    name: 'initializing + stopped (old subscription ended) is ignored',
    from: ctx('initializing'),
    event: { type: 'stopped' },
    state: 'initializing',
    commands: [],
  },
  ...(['stopping', 'stopped'] as const).map(
    (s): Row => ({
      name: `${s} ignores late pipeline results`,
      from: ctx(s),
      event: { type: 'fetched', documents: { 'resource-lists': doc('x') }, changed: true },
      state: s,
      commands: [],
      check: (n) => expect(n.documents['resource-lists']).toBeUndefined(),
    }),
  ),
  {
    name: 'stopped + reset forgets documents and journal',
    from: ctx('stopped', { documents: { 'resource-lists': doc('a') }, journal: [entry('j1')] }),
    event: { type: 'reset' },
    state: 'stopped',
    commands: [],
    check: (n) => {
      expect(n.documents).toEqual({});
      expect(n.journal).toEqual([]);
      expect(n.settings).toBe(settings);
    },
  },
  {
    name: 'insync + reset is ignored',
    from: ctx('insync', { journal: [entry('j1')] }),
    event: { type: 'reset' },
    state: 'insync',
    commands: [],
    check: (n) => expect(n.journal).toHaveLength(1),
  },
  // --- load ---
  {
    name: 'stopped + loaded with documents emits data',
    from: initialContext(),
    event: { type: 'loaded', documents: { 'resource-lists': doc('a') }, journal: [entry('j1')] },
    state: 'stopped',
    commands: ['emitData'],
    check: (n) => expect(n.journal).toEqual([entry('j1')]),
  },
  {
    name: 'stopped + loaded without documents emits nothing',
    from: initialContext(),
    event: { type: 'loaded', documents: {}, journal: [] },
    state: 'stopped',
    commands: [],
  },
  // --- initializing ---
  {
    name: 'initializing + capabilitiesDiscovered -> fetching all, subscribe',
    from: ctx('initializing', {
      documents: { 'dialog-rules': doc('d'), 'resource-lists': doc('r') },
    }),
    event: { type: 'capabilitiesDiscovered', discovery },
    state: 'fetching',
    commands: ['emitCapabilities', 'subscribe', 'fetch'],
    check: (n, cs) => {
      expect(fetchNames(cs)).toEqual([discovery.supported]);
      // The server does not offer dialog-rules: that document is forgotten.
      expect(Object.keys(n.documents)).toEqual(['resource-lists']);
      const sub = cs.find((c) => c.type === 'subscribe');
      expect(sub?.type === 'subscribe' && sub.settings.documents).toContain(
        'resource-lists/users/sip:alice@example.com/index',
      );
    },
  },
  {
    name: 'initializing + capabilitiesFailed reports and waits (no hammering)',
    from: ctx('initializing'),
    event: { type: 'capabilitiesFailed', error: err },
    state: 'initializing',
    commands: ['reportError'],
    check: (n) => expect(n.blocked).toBe('capabilities'),
  },
  {
    name: 'capabilities-blocked + pollTick does nothing',
    from: ctx('initializing', { blocked: 'capabilities' }),
    event: { type: 'pollTick' },
    state: 'initializing',
    commands: [],
  },
  {
    name: 'fetching + capabilitiesDiscovered (stale) is ignored',
    from: ctx('fetching'),
    event: { type: 'capabilitiesDiscovered', discovery },
    state: 'fetching',
    commands: [],
  },
  // --- fetching ---
  {
    name: 'fetching + fetched nothing changed, not first -> insync',
    from: ctx('fetching'),
    event: { type: 'fetched', documents: {}, changed: false },
    state: 'insync',
    commands: [],
  },
  {
    name: 'fetching + fetched nothing changed on the first fetch -> normalize, updating',
    from: ctx('fetching', { firstFetch: true }),
    event: { type: 'fetched', documents: {}, changed: false },
    state: 'updating',
    commands: ['update'],
    check: (n) => {
      expect(n.journal[0]?.operation).toEqual({ type: 'normalize' });
      expect(n.firstFetch).toBe(false);
    },
  },
  {
    name: 'fetching + fetched changed -> normalize at the journal head, save cache, updating',
    from: ctx('fetching', { journal: [entry('j1')] }),
    event: { type: 'fetched', documents: { 'resource-lists': doc('n') }, changed: true },
    state: 'updating',
    commands: ['saveCache', 'update'],
    check: (n, cs) => {
      expect(n.journal.map((e) => e.operation.type)).toEqual(['normalize', 'addGroup']);
      const u = cs.find((c) => c.type === 'update');
      expect(u?.type === 'update' && u.entries.length).toBe(2);
      expect(u?.type === 'update' && u.documents['resource-lists']?.etag).toBe('n');
    },
  },
  {
    name: 'a second normalize replaces the first one at the head',
    from: ctx('fetching', {
      journal: [{ id: 'normalize-1', operation: { type: 'normalize' } }, entry('j1')],
      normalizeCount: 1,
    }),
    event: { type: 'fetched', documents: {}, changed: true },
    state: 'updating',
    commands: ['saveCache', 'update'],
    check: (n) => expect(n.journal.map((e) => e.id)).toEqual(['normalize-2', 'j1']),
  },
  {
    name: 'fetching + fetched unchanged with pending operations -> updating without normalize',
    from: ctx('fetching', { journal: [entry('j1')] }),
    event: { type: 'fetched', documents: {}, changed: false },
    state: 'updating',
    commands: ['update'],
    check: (n) => expect(n.journal.map((e) => e.id)).toEqual(['j1']),
  },
  {
    name: 'fetching + fetched with a pending remote change fetches again',
    from: ctx('fetching', { pendingFetch: ['pres-rules'] }),
    event: { type: 'fetched', documents: { 'resource-lists': doc('n') }, changed: true },
    state: 'fetching',
    commands: ['saveCache', 'fetch'],
    check: (n, cs) => {
      expect(fetchNames(cs)).toEqual([['pres-rules']]);
      expect(n.changedSinceSync).toBe(true);
    },
  },
  {
    name: 'fetching + fetchFailed reports and waits for a trigger',
    from: ctx('fetching'),
    event: { type: 'fetchFailed', error: err },
    state: 'fetching',
    commands: ['reportError', 'scheduleRetry'],
    check: (n, cs) => {
      expect(n.blocked).toBe('error');
      expect(cs[1]).toEqual({ type: 'scheduleRetry', attempt: 1 });
    },
  },
  {
    name: 'a second failure in a row schedules a later retry',
    from: ctx('fetching', { failures: 1 }),
    event: { type: 'fetchFailed', error: err },
    state: 'fetching',
    commands: ['reportError', 'scheduleRetry'],
    check: (_n, cs) => expect(cs[1]).toEqual({ type: 'scheduleRetry', attempt: 2 }),
  },
  {
    name: 'error-blocked fetching + retryTimer fetches again',
    from: ctx('fetching', { blocked: 'error', failures: 1 }),
    event: { type: 'retryTimer' },
    state: 'fetching',
    commands: ['fetch'],
    check: (n) => expect(n.blocked).toBeNull(),
  },
  {
    name: 'a stale retryTimer (no longer blocked) is ignored',
    from: ctx('insync'),
    event: { type: 'retryTimer' },
    state: 'insync',
    commands: [],
  },
  {
    name: 'a successful fetch resets the failure count',
    from: ctx('fetching', { failures: 3 }),
    event: { type: 'fetched', documents: {}, changed: false },
    state: 'insync',
    commands: [],
    check: (n) => expect(n.failures).toBe(0),
  },
  {
    name: 'error-blocked fetching + pollTick retries the fetch',
    from: ctx('fetching', { blocked: 'error' }),
    event: { type: 'pollTick' },
    state: 'fetching',
    commands: ['fetch'],
  },
  {
    name: 'fetching + authFailed reports and blocks until new settings',
    from: ctx('fetching'),
    event: { type: 'authFailed', error: err },
    state: 'fetching',
    commands: ['reportError'],
    check: (n) => expect(n.blocked).toBe('auth'),
  },
  {
    name: 'auth-blocked + pollTick, remoteChanged and new operations do not hammer',
    from: ctx('fetching', { blocked: 'auth' }),
    event: { type: 'remoteChanged', documents: 'all' },
    state: 'fetching',
    commands: [],
  },
  {
    name: 'auth-blocked + journalAppended only saves the journal',
    from: ctx('fetching', { blocked: 'auth' }),
    event: { type: 'journalAppended', entries: [entry('j9')] },
    state: 'fetching',
    commands: ['saveJournal'],
  },
  {
    name: 'fetching + remoteChanged is remembered',
    from: ctx('fetching', { pendingFetch: ['pres-rules'] }),
    event: { type: 'remoteChanged', documents: ['resource-lists'] },
    state: 'fetching',
    commands: [],
    check: (n) => expect(n.pendingFetch).toEqual(['resource-lists', 'pres-rules']),
  },
  {
    name: 'fetching + pollTick is ignored (a fetch is running)',
    from: ctx('fetching'),
    event: { type: 'pollTick' },
    state: 'fetching',
    commands: [],
  },
  // --- updating ---
  {
    name: 'updating + updated -> insync, save cache and journal, emit data',
    from: ctx('updating', { journal: [entry('j1')], changedSinceSync: true }),
    event: { type: 'updated', documents: { 'resource-lists': doc('u') }, appliedIds: ['j1'] },
    state: 'insync',
    commands: ['saveCache', 'saveJournal', 'emitData'],
    check: (n) => {
      expect(n.journal).toEqual([]);
      expect(n.documents['resource-lists']?.etag).toBe('u');
      expect(n.changedSinceSync).toBe(false);
    },
  },
  {
    name: 'updating + updated with operations added meanwhile -> update again',
    from: ctx('updating', { journal: [entry('j1'), entry('j2')] }),
    event: { type: 'updated', documents: {}, appliedIds: ['j1'] },
    state: 'updating',
    commands: ['saveCache', 'saveJournal', 'emitData', 'update'],
    check: (n) => expect(n.journal.map((e) => e.id)).toEqual(['j2']),
  },
  {
    name: 'updating + updated with skipped operations -> each dropped one reported with its operation (not removals, not normalize)',
    from: ctx('updating', {
      journal: [
        entry('normalize-1'),
        { id: 'j1', operation: { type: 'updateContact', contactId: 'ghost' } as OperationData },
        { id: 'j2', operation: { type: 'removeContact', contactId: 'gone' } as OperationData },
        entry('j3'),
      ],
    }),
    event: {
      type: 'updated',
      documents: {},
      appliedIds: ['normalize-1', 'j1', 'j2', 'j3'],
      skipped: [
        { id: 'normalize-1', reason: 'x' },
        { id: 'j1', reason: 'contact ghost not found' },
        { id: 'j2', reason: 'contact gone not found' },
      ],
    },
    state: 'insync',
    commands: ['saveCache', 'saveJournal', 'emitData', 'reportError'],
    check: (n, cs) => {
      expect(n.journal).toEqual([]);
      const e = cs.flatMap((c) => (c.type === 'reportError' ? [c.error] : []))[0];
      expect(e).toBeInstanceOf(XcapOperationDroppedError);
      expect(e).toMatchObject({
        code: 'RXCAP_OPERATION_DROPPED',
        operationId: 'j1',
        operation: { type: 'updateContact', contactId: 'ghost' },
        reason: 'contact ghost not found',
      });
    },
  },
  {
    name: 'updating + updated with a pending remote change -> fetching',
    from: ctx('updating', { pendingFetch: 'all' }),
    event: { type: 'updated', documents: {}, appliedIds: [] },
    state: 'fetching',
    commands: ['saveCache', 'saveJournal', 'emitData', 'fetch'],
  },
  {
    name: 'updating + conflict (412) -> fetching all, operations kept for replay',
    from: ctx('updating', { journal: [entry('normalize-1'), entry('j1')] }),
    event: { type: 'conflict', documents: { 'pres-rules': doc('p2') } },
    state: 'fetching',
    commands: ['saveCache', 'fetch'],
    check: (n, cs) => {
      expect(n.journal.map((e) => e.id)).toEqual(['normalize-1', 'j1']);
      expect(fetchNames(cs)).toEqual([discovery.supported]);
      expect(n.documents['pres-rules']?.etag).toBe('p2');
    },
  },
  {
    name: 'updating + rejected (409) drops the operation and reports it',
    from: ctx('updating', { journal: [entry('j1'), entry('j2')] }),
    event: { type: 'rejected', id: 'j1', error: err },
    state: 'updating',
    commands: ['saveJournal', 'reportError'],
    check: (n) => expect(n.journal.map((e) => e.id)).toEqual(['j2']),
  },
  {
    name: 'updating + updateFailed keeps what was PUT and waits for a trigger',
    from: ctx('updating', { journal: [entry('j1')] }),
    event: { type: 'updateFailed', error: err, documents: { 'rls-services': doc('r2') } },
    state: 'updating',
    commands: ['saveCache', 'reportError', 'scheduleRetry'],
    check: (n) => {
      expect(n.blocked).toBe('error');
      expect(n.documents['rls-services']?.etag).toBe('r2');
    },
  },
  {
    name: 'error-blocked updating + journalAppended retries the update',
    from: ctx('updating', { blocked: 'error', journal: [entry('j1')] }),
    event: { type: 'journalAppended', entries: [entry('j2')] },
    state: 'updating',
    commands: ['saveJournal', 'update'],
  },
  {
    name: 'updating + journalAppended waits for the running update',
    from: ctx('updating', { journal: [entry('j1')] }),
    event: { type: 'journalAppended', entries: [entry('j2')] },
    state: 'updating',
    commands: ['saveJournal'],
  },
  // --- insync ---
  {
    name: 'insync + journalAppended -> updating',
    from: ctx('insync'),
    event: { type: 'journalAppended', entries: [entry('j1')] },
    state: 'updating',
    commands: ['saveJournal', 'update'],
  },
  {
    name: 'insync + remoteChanged -> fetch only the named documents',
    from: ctx('insync'),
    event: { type: 'remoteChanged', documents: ['pres-rules'] },
    state: 'fetching',
    commands: ['fetch'],
    check: (_n, cs) => expect(fetchNames(cs)).toEqual([['pres-rules']]),
  },
  {
    name: 'insync + remoteChanged for the version we hold (our own PUT) -> no fetch',
    from: ctx('insync', { documents: { 'resource-lists': doc('"e1"') } }),
    event: {
      type: 'remoteChanged',
      documents: ['resource-lists'],
      etags: { 'resource-lists': 'e1' },
    },
    state: 'insync',
    commands: [],
  },
  {
    name: 'insync + remoteChanged with a new ETag -> fetch that document',
    from: ctx('insync', { documents: { 'resource-lists': doc('e1'), 'pres-rules': doc('p1') } }),
    event: {
      type: 'remoteChanged',
      documents: ['resource-lists', 'pres-rules'],
      etags: { 'resource-lists': 'e1', 'pres-rules': 'p2' },
    },
    state: 'fetching',
    commands: ['fetch'],
    check: (_n, cs) => expect(fetchNames(cs)).toEqual([['pres-rules']]),
  },
  {
    name: 'insync + pollTick -> fetch all',
    from: ctx('insync'),
    event: { type: 'pollTick' },
    state: 'fetching',
    commands: ['fetch'],
  },
  {
    name: 'insync + the subscription fails after being active -> fetch all',
    from: ctx('insync', { diff: 'active' }),
    event: { type: 'diffState', state: 'failed' },
    state: 'fetching',
    commands: ['fetch'],
    check: (n) => expect(n.diff).toBe('failed'),
  },
  {
    name: 'insync + the subscription becomes active -> no fetch',
    from: ctx('insync', { diff: 'pending' }),
    event: { type: 'diffState', state: 'active' },
    state: 'insync',
    commands: [],
  },
  {
    name: 'insync + diffFailed reports the error',
    from: ctx('insync'),
    event: { type: 'diffFailed', error: err },
    state: 'insync',
    commands: ['reportError'],
  },
  // --- settings ---
  ...(['initializing', 'fetching', 'updating', 'insync'] as const).map(
    (s): Row => ({
      name: `${s} + connection settings changed -> initializing again`,
      from: ctx(s, { blocked: 'auth' }),
      event: {
        type: 'settingsChanged',
        settings: { ...settings, auth: { password: 'new' } },
        kind: 'connection',
      },
      state: 'initializing',
      commands: ['cancel', 'unsubscribe', 'discoverCapabilities'],
      check: (n) => {
        expect(n.blocked).toBeNull();
        expect(n.settings?.auth?.password).toBe('new');
      },
    }),
  ),
  {
    name: 'insync + subscription settings changed -> renew the subscription only',
    from: ctx('insync'),
    event: {
      type: 'settingsChanged',
      settings: { ...settings, sip: { subscribeInterval: 300 } },
      kind: 'subscription',
    },
    state: 'insync',
    commands: ['subscribe'],
    check: (_n, cs) => {
      const sub = cs[0];
      expect(sub?.type === 'subscribe' && sub.settings.subscribeInterval).toBe(300);
    },
  },
  {
    name: 'stopped + settings changed only records them',
    from: initialContext(),
    event: { type: 'settingsChanged', settings, kind: 'connection' },
    state: 'stopped',
    commands: [],
    check: (n) => expect(n.settings).toBe(settings),
  },
  {
    name: 'initializing + subscription settings changed waits for capabilities',
    from: ctx('initializing'),
    event: { type: 'settingsChanged', settings, kind: 'subscription' },
    state: 'initializing',
    commands: [],
  },
];

describe('transition', () => {
  it.each(rows)('$name', (row) => {
    const { context, commands } = transition(row.from, row.event);
    expect(context.state).toBe(row.state);
    expect(types(commands)).toEqual(row.commands);
    row.check?.(context, commands);
  });

  it('never persists normalize operations', () => {
    const from = ctx('fetching', { journal: [entry('j1')] });
    const r1 = transition(from, { type: 'fetched', documents: {}, changed: true });
    const r2 = transition(r1.context, { type: 'rejected', id: 'j1', error: err });
    const saved = r2.commands.find((c) => c.type === 'saveJournal');
    expect(saved?.type === 'saveJournal' && saved.journal).toEqual([]);
  });

  describe('NOTIFYs of our own element writes', () => {
    const notify = (etag: string): MachineEvent => ({
      type: 'remoteChanged',
      documents: ['resource-lists'],
      etags: { 'resource-lists': etag },
    });
    const written = (etag: string, own: string[]): StoredDocument => ({
      ...doc(etag),
      ownEtags: own,
    });

    it('insync + a NOTIFY naming a step of our last chain -> no fetch', () => {
      const from = ctx('insync', {
        documents: { 'resource-lists': written('e3', ['e0', 'e1', 'e2']) },
      });
      const r = transition(from, notify('e1'));
      expect(r.context.state).toBe('insync');
      expect(r.commands).toEqual([]);
    });

    it('NOTIFYs of the chain arriving while it runs fetch nothing once it is written', () => {
      let c = ctx('updating', {
        documents: { 'resource-lists': doc('e0') },
        journal: [entry('j1')],
      });
      for (const e of ['e1', 'e2', 'e3']) c = transition(c, notify(e)).context;
      expect(c.pendingFetch).toEqual(['resource-lists']);
      const r = transition(c, {
        type: 'updated',
        documents: { 'resource-lists': written('e3', ['e0', 'e1', 'e2']) },
        appliedIds: ['j1'],
      });
      expect(r.context.state).toBe('insync');
      expect(types(r.commands)).not.toContain('fetch');
    });

    it('a foreign version among them is still fetched', () => {
      let c = ctx('updating', {
        documents: { 'resource-lists': doc('e0') },
        journal: [entry('j1')],
      });
      for (const e of ['e1', 'x9', 'e2']) c = transition(c, notify(e)).context;
      const r = transition(c, {
        type: 'updated',
        documents: { 'resource-lists': written('e2', ['e0', 'e1']) },
        appliedIds: ['j1'],
      });
      expect(fetchNames(r.commands)).toEqual([['resource-lists']]);
    });

    it('a NOTIFY without ETag among them is still fetched', () => {
      let c = ctx('updating', {
        documents: { 'resource-lists': doc('e0') },
        journal: [entry('j1')],
      });
      c = transition(c, notify('e1')).context;
      c = transition(c, { type: 'remoteChanged', documents: ['resource-lists'] }).context;
      c = transition(c, notify('e2')).context;
      const r = transition(c, {
        type: 'updated',
        documents: { 'resource-lists': written('e2', ['e0', 'e1']) },
        appliedIds: ['j1'],
      });
      expect(fetchNames(r.commands)).toEqual([['resource-lists']]);
    });
  });

  it('is pure: the input context is not modified', () => {
    const from = ctx('insync', { journal: [] });
    const frozen = JSON.stringify(from);
    transition(from, { type: 'journalAppended', entries: [entry('j1')] });
    expect(JSON.stringify(from)).toBe(frozen);
  });
});
