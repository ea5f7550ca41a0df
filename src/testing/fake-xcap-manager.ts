/**
 * A stand-in for an XcapManager whose streams you script, for marble tests of your own code
 * (view models, effects, UI bindings) with RxJS's `TestScheduler`: give each stream a `cold()`
 * or `hot()` observable, run your code, and assert on its output and on the operations it
 * called (`manager.calls`).
 */
import { NEVER, of, startWith } from 'rxjs';
import type { PendingEdit, XcapLocalViews } from '../manager/local-types.js';
import { lazySnapshot } from '../manager/snapshot.js';
import type { XcapStatus } from '../manager/status.js';
import type { XcapTransaction } from '../manager/transactions.js';
import type { StateChange, XcapManager } from '../manager/types.js';
import type { XcapState } from '../streams/events.js';

/**
 * The streams of an XcapManager (all optional in {@link fakeXcapManager}).
 *
 * @example const streams: Partial<XcapManagerStreams> = { addressbook$: cold('a', { a: new Addressbook() }) };
 */
export type XcapManagerStreams = Pick<
  XcapManager,
  | 'state$'
  | 'status$'
  | 'capabilities$'
  | 'addressbook$'
  | 'presenceRules$'
  | 'dialogRules$'
  | 'icon$'
  | 'offlineStatus$'
  | 'lifecycle$'
  | 'error$'
  | 'trace$'
  | 'pending$'
> & {
  /** The local views; each one you do not give never emits. */
  readonly local: Partial<XcapLocalViews>;
};

/**
 * A call your code made on the fake manager.
 *
 * @example expect(manager.calls).toEqual([{ method: 'addContact', args: [bob] }] satisfies FakeManagerCall[]);
 */
export interface FakeManagerCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/**
 * An XcapManager whose streams are scripted and whose methods are recorded. Its
 * `local` views are the ones given in `streams.local` (the others never emit); `pending$` is
 * the one given, else `of([])` (nothing pending).
 *
 * @example const manager: FakeXcapManager = fakeXcapManager({ state$: cold('a', stateValues('insync')) });
 */
export interface FakeXcapManager extends XcapManager {
  /** Every method called, in order (operations, load/start/stop/whenInSync, transactions). */
  readonly calls: readonly FakeManagerCall[];
}

const METHODS = [
  'load',
  'start',
  'stop',
  'close',
  'flush',
  'whenInSync',
  'startTransaction',
  'commitTransaction',
  'addGroup',
  'updateGroup',
  'removeGroup',
  'addContact',
  'updateContact',
  'removeContact',
  'addContactUri',
  'updateContactUri',
  'removeContactUri',
  'addGroupMember',
  'removeGroupMember',
  'addPolicy',
  'updatePolicy',
  'removePolicy',
  'setDefaultPresencePolicy',
  'setDefaultDialogPolicy',
  'setStatusIcon',
  'setOfflineStatus',
] as const;

const ASYNC = new Set<string>(['load', 'start', 'stop', 'close', 'flush', 'whenInSync']);

/**
 * A fake manager: streams you do not give never emit; methods record their calls (the async
 * ones resolve at once); `transaction(fn)` records and runs `fn` with a recording transaction; `state` is `options.state`
 * (default `stopped`). `getSnapshot()` and `subscribe()` read the scripted streams (subscribed
 * on first use): a field is `undefined` until its stream emits, `state` is `options.state` until
 * `state$` emits, `status` a quiet status of that state until `status$` emits.
 *
 * @example
 * ```ts
 * new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
 *   const manager = fakeXcapManager({ addressbook$: cold('a-b', { a: empty, b: withBob }) });
 *   expectObservable(contactCount$(manager)).toBe('a-b', { a: 0, b: 1 });
 * });
 * ```
 */
export function fakeXcapManager(
  streams: Partial<XcapManagerStreams> = {},
  options: { readonly state?: XcapState } = {},
): FakeXcapManager {
  const calls: FakeManagerCall[] = [];
  const state: XcapState = options.state ?? 'stopped';
  const state$ = streams.state$ ?? NEVER;
  // A transaction records its operations like the manager's methods, then `commit`/`rollback`.
  const transaction = (): XcapTransaction => {
    const tx: Record<string, unknown> = { open: true };
    for (const m of METHODS) {
      if (ASYNC.has(m) || m === 'startTransaction' || m === 'commitTransaction') continue;
      tx[m] = (...args: unknown[]) => void calls.push({ method: m, args });
    }
    for (const m of ['commit', 'rollback']) {
      tx[m] = () => {
        calls.push({ method: m, args: [] });
        tx.open = false;
      };
    }
    return tx as unknown as XcapTransaction;
  };
  const fake: Record<string, unknown> = {
    state$,
    status$: streams.status$ ?? NEVER,
    capabilities$: streams.capabilities$ ?? NEVER,
    addressbook$: streams.addressbook$ ?? NEVER,
    presenceRules$: streams.presenceRules$ ?? NEVER,
    dialogRules$: streams.dialogRules$ ?? NEVER,
    icon$: streams.icon$ ?? NEVER,
    offlineStatus$: streams.offlineStatus$ ?? NEVER,
    lifecycle$: streams.lifecycle$ ?? NEVER,
    error$: streams.error$ ?? NEVER,
    trace$: streams.trace$ ?? NEVER,
    local: {
      addressbook$: streams.local?.addressbook$ ?? NEVER,
      presenceRules$: streams.local?.presenceRules$ ?? NEVER,
      dialogRules$: streams.local?.dialogRules$ ?? NEVER,
      icon$: streams.local?.icon$ ?? NEVER,
      offlineStatus$: streams.local?.offlineStatus$ ?? NEVER,
    } satisfies XcapLocalViews,
    pending$: streams.pending$ ?? of<readonly PendingEdit[]>([]),
    calls,
    // A field is undefined until its stream emits; state is options.state until state$ does,
    // status a quiet one of that state until status$ does.
    ...lazySnapshot(() => ({
      ...(fake as unknown as XcapManager),
      state$: state$.pipe(startWith({ prev: null, state })),
      status$: (fake.status$ as XcapManager['status$']).pipe(startWith(quietStatus(state))),
    })),
    transaction: <T>(fn: (tx: XcapTransaction) => T): T => {
      calls.push({ method: 'transaction', args: [fn] });
      return fn(transaction());
    },
  };
  Object.defineProperty(fake, 'state', { get: () => state, enumerable: true });
  for (const m of METHODS) {
    fake[m] = (...args: unknown[]) => {
      calls.push({ method: m, args });
      if (m === 'startTransaction') return transaction();
      return ASYNC.has(m) ? Promise.resolve() : undefined;
    };
  }
  return fake as unknown as FakeXcapManager;
}

/**
 * The status a fake manager's snapshot shows until its `status$` emits: nothing going on.
 *
 * @example quietStatus('insync').hint // 'insync'
 */
function quietStatus(state: XcapState): XcapStatus {
  return {
    state,
    connectivity: 'unknown',
    lastError: null,
    failures: 0,
    nextRetryAt: null,
    xcapDiff: { state: 'off', reason: null, pollPeriod: null, failures: 0, nextRetryAt: null },
    pending: 0,
    lastSyncAt: null,
    hint: state,
  };
}

/**
 * Marble values for a run of states: `{ a: { prev: null, state: first }, b: { prev: first,
 * state: second }, ... }`, so that `cold('a-b-c', stateValues('stopped', 'initializing', 'insync'))`
 * reads like the manager's `state$`.
 *
 * @example const values = stateValues('stopped', 'initializing', 'fetching', 'insync');
 */
export function stateValues(...states: readonly XcapState[]): Record<string, StateChange> {
  const out: Record<string, StateChange> = {};
  states.forEach((state, i) => {
    out[String.fromCharCode(97 + i)] = { prev: i === 0 ? null : (states[i - 1] ?? null), state };
  });
  return out;
}
