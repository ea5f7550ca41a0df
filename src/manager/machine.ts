/**
 * The manager as one pure transition: its lifecycle (load, start, stop, account change, close),
 * the store's writes and the sync machine (src/streams/transition.ts) in one function of
 * (context, event). The facade only sends events and waits for steps; the effects (store,
 * pipelines, emissions) run the commands. Every ordering fix of the former imperative facade is
 * a row of test/manager/machine.test.ts.
 */
import type { XcapError } from '../errors.js';
import type { JournalEntry, MachineEvent, XcapState } from '../streams/events.js';
import { classifySettingsChange } from '../streams/settings.js';
import { initialContext, transition } from '../streams/transition.js';
import { persistable } from '../streams/transition-commands.js';
import { canonicalAccount } from './account.js';
import { XcapNotDurableError } from './errors.js';
import { foldHealth, initialHealth } from './health.js';
import type {
  ManagerCommand,
  ManagerContext,
  ManagerEvent,
  ManagerResult,
} from './machine-types.js';

/**
 * The context of a new manager: nothing loaded, stopped, open.
 *
 * @example managerTransition(initialManagerContext(), { type: 'settingsArrived', settings })
 */
export function initialManagerContext(): ManagerContext {
  return {
    sync: initialContext(),
    settings: null,
    settingsError: null,
    account: null,
    load: 'idle',
    loadError: null,
    intent: 'stopped',
    phase: 'open',
    switching: false,
    held: [],
    journalSeq: 0,
    savedSeq: 0,
    writing: 0,
    storeFailures: 0,
    health: initialHealth(),
  };
}

const RUNNING: ReadonlySet<XcapState> = new Set(['initializing', 'fetching', 'updating', 'insync']);

/**
 * Whether the sync machine runs (initializing, fetching, updating or in sync).
 *
 * @example isRunning(context.sync.state)
 */
export function isRunning(state: XcapState): boolean {
  return RUNNING.has(state);
}

type Step = { context: ManagerContext; commands: ManagerCommand[] };

/**
 * The next context and the commands for `event`. Pure: same input, same output.
 *
 * @example
 * ```ts
 * let c = initialManagerContext();
 * c = managerTransition(c, { type: 'settingsArrived', settings }).context;
 * managerTransition(c, { type: 'loadRequested' }).commands // [{ type: 'loadStore', ... }]
 * ```
 */
export function managerTransition(context: ManagerContext, event: ManagerEvent): ManagerResult {
  if (context.phase === 'closed') return { context, commands: [] };
  const step = handle({ context, commands: [] }, event);
  return foldHealth(context, settle(step), event);
}

function handle(s: Step, event: ManagerEvent): Step {
  const c = s.context;
  switch (event.type) {
    case 'settingsArrived':
      return settingsArrived(s, event.settings);
    case 'settingsRefused':
      return emit(s, { type: 'reportError', error: event.error });
    case 'settingsFailed': {
      const reported = emit(s, { type: 'reportError', error: event.error });
      if (c.settings !== null) return reported;
      const next = { ...c, settingsError: event.error };
      if (c.load !== 'waiting') return { ...reported, context: next };
      return loadFailed({ ...reported, context: next }, event.error);
    }
    case 'loadRequested':
      if (c.phase !== 'open') return s;
      return requestLoad(s);
    case 'startRequested':
      if (c.phase !== 'open') return s;
      return requestLoad({ ...s, context: { ...c, intent: 'running' } });
    case 'stopRequested':
      return stopSync({ ...s, context: { ...c, intent: 'stopped' } });
    case 'closeRequested':
      if (c.phase !== 'open') return s;
      return stopSync({ ...s, context: { ...c, phase: 'closing', intent: 'stopped' } });
    case 'flushRequested':
    case 'retrying':
      return s;
    case 'operationsMade': {
      if (c.phase !== 'open' || event.entries.length === 0) return s;
      const counted = { ...c, journalSeq: c.journalSeq + 1 };
      if (c.load === 'loaded' && !c.switching) {
        return sync(
          { ...s, context: counted },
          { type: 'journalAppended', entries: event.entries },
        );
      }
      // The stored journal must come first: hold these until it is loaded.
      const held = { ...counted, held: [...c.held, ...event.entries] };
      return requestLoad({ ...s, context: held });
    }
    case 'storeLoaded': {
      if (event.account !== c.account || c.load !== 'loading') return s;
      const loaded = { ...c, load: 'loaded' as const, loadError: null, held: [] };
      let next = sync(
        { ...s, context: loaded },
        { type: 'loaded', documents: event.documents, journal: [...event.journal, ...c.held] },
      );
      for (const error of event.problems) next = emit(next, { type: 'reportError', error });
      // Operations held during the load are durable only once saved after the stored ones.
      return c.held.length > 0 ? persistJournal(next) : next;
    }
    case 'storeLoadFailed': {
      if (event.account !== c.account || c.load !== 'loading') return s;
      return loadFailed(emit(s, { type: 'reportError', error: event.error }), event.error);
    }
    case 'journalSaved':
      return {
        ...s,
        context: {
          ...c,
          writing: Math.max(0, c.writing - 1),
          savedSeq: Math.max(c.savedSeq, event.seq),
          storeFailures: 0,
        },
      };
    case 'journalSaveFailed': {
      const storeFailures = c.storeFailures + 1;
      const next = { ...c, writing: Math.max(0, c.writing - 1), storeFailures };
      return {
        context: next,
        commands: [
          ...s.commands,
          { type: 'reportError', error: event.error },
          { type: 'scheduleStoreRetry', attempt: storeFailures },
        ],
      };
    }
    case 'cacheSaved':
      return { ...s, context: { ...c, writing: Math.max(0, c.writing - 1) } };
    case 'cacheSaveFailed':
      return emit(
        { ...s, context: { ...c, writing: Math.max(0, c.writing - 1) } },
        { type: 'reportError', error: event.error },
      );
    case 'storeRetryTimer':
      // A failed journal write is written again once the store may write (disk space back).
      if (c.load !== 'loaded' || c.savedSeq >= c.journalSeq || c.switching) return s;
      return persistJournal(s);
    case 'storeReleased':
      // Only the answer to releaseStore.
      if (c.phase !== 'releasing') return s;
      return {
        context: { ...c, phase: 'closed' },
        commands: [...s.commands, { type: 'complete' }],
      };
    default:
      return syncEvent(s, event);
  }
}

/** An event of the sync machine; a finished stop emits `didEnd`. */
function syncEvent(s: Step, event: MachineEvent): Step {
  const before = s.context.sync.state;
  const next = sync(s, event);
  if (before === 'stopping' && next.context.sync.state === 'stopped') {
    return emit(next, { type: 'emitLifecycle', event: 'didEnd' });
  }
  return next;
}

function settingsArrived(s: Step, settings: ManagerContext['settings'] & object): Step {
  const c = s.context;
  const prev = c.settings;
  if (c.phase !== 'open') return s;
  if (prev === null) {
    const next = { ...s, context: { ...c, settings, settingsError: null } };
    return c.load === 'waiting' ? beginLoad(next) : next;
  }
  if (canonicalAccount(prev.id) === canonicalAccount(settings.id)) {
    const next = { ...s, context: { ...c, settings } };
    return sync(next, {
      type: 'settingsChanged',
      settings,
      kind: classifySettingsChange(prev, settings),
    });
  }
  // Another account: its own cache and journal, never this one's documents. Stop first; the
  // switch itself happens in settle() once the sync machine is stopped. Operations still held
  // for this account's load are this account's: appended to its stored journal.
  let next: Step = { ...s, context: { ...c, settings, switching: true } };
  if (c.held.length > 0 && c.account !== null) {
    next = {
      context: { ...next.context, held: [], writing: c.writing + 1 },
      commands: [
        ...next.commands,
        { type: 'appendJournal', account: c.account, entries: c.held, seq: c.journalSeq },
      ],
    };
  }
  return stopSync(next);
}

function requestLoad(s: Step): Step {
  const c = s.context;
  if (c.load === 'loading' || c.load === 'loaded' || c.load === 'waiting' || c.switching) return s;
  if (c.settings !== null) return beginLoad(s);
  if (c.settingsError !== null) return loadFailed(s, c.settingsError);
  return { ...s, context: { ...c, load: 'waiting', loadError: null } };
}

function beginLoad(s: Step): Step {
  const c = s.context;
  const settings = c.settings!;
  const account = canonicalAccount(settings.id);
  return {
    context: { ...c, account, load: 'loading', loadError: null },
    commands: [...s.commands, { type: 'loadStore', account, id: settings.id }],
  };
}

function loadFailed(s: Step, error: XcapError): Step {
  // A start waiting for this load fails with it: the application asked and got an error.
  return { ...s, context: { ...s.context, load: 'failed', loadError: error, intent: 'stopped' } };
}

function stopSync(s: Step): Step {
  if (!isRunning(s.context.sync.state)) return s;
  return sync(emit(s, { type: 'emitLifecycle', event: 'willEnd' }), { type: 'stopRequested' });
}

function persistJournal(s: Step): Step {
  const c = s.context;
  return {
    context: { ...c, writing: c.writing + 1 },
    commands: [
      ...s.commands,
      {
        type: 'persistJournal',
        account: c.account!,
        journal: persistable(c.sync.journal),
        seq: c.journalSeq,
      },
    ],
  };
}

/** Runs the sync transition and turns its store commands into the account's store writes. */
function sync(s: Step, event: MachineEvent): Step {
  const c = s.context;
  const r = transition(c.sync, event);
  let writing = c.writing;
  const commands: ManagerCommand[] = [...s.commands];
  for (const cmd of r.commands) {
    if (cmd.type === 'saveCache') {
      writing++;
      commands.push({ type: 'persistCache', account: c.account!, documents: cmd.documents });
    } else if (cmd.type === 'saveJournal') {
      writing++;
      commands.push({
        type: 'persistJournal',
        account: c.account!,
        journal: cmd.journal,
        seq: c.journalSeq,
      });
    } else {
      commands.push(cmd);
    }
  }
  return { context: { ...c, sync: r.context, writing }, commands };
}

function emit(s: Step, command: ManagerCommand): Step {
  return { ...s, commands: [...s.commands, command] };
}

/**
 * What follows from the context alone, after every event: the account switch once stopped,
 * the start the application wants once loaded, the release once closing is quiet.
 */
function settle(s: Step): Step {
  let next = s;
  const c = next.context;
  if (c.switching && c.sync.state === 'stopped') next = switchAccount(next);
  const d = next.context;
  if (
    d.phase === 'open' &&
    d.intent === 'running' &&
    d.load === 'loaded' &&
    !d.switching &&
    d.sync.state === 'stopped'
  ) {
    next = emit(next, { type: 'emitLifecycle', event: 'willStart' });
    next = sync(next, { type: 'started', settings: d.settings! });
    next = emit(next, { type: 'emitLifecycle', event: 'didStart' });
  }
  const e = next.context;
  if (
    e.phase === 'closing' &&
    e.sync.state === 'stopped' &&
    e.writing === 0 &&
    e.load !== 'loading'
  ) {
    if (e.savedSeq < e.journalSeq) {
      next = emit(next, {
        type: 'reportError',
        error: new XcapNotDurableError(
          'closed with operations that are not durable in the store (its writes failed)',
        ),
      });
    }
    next = emit({ ...next, context: { ...e, phase: 'releasing' } }, { type: 'releaseStore' });
  }
  return next;
}

function switchAccount(s: Step): Step {
  const c = s.context;
  // Closing: no other account is loaded any more.
  if (c.phase !== 'open') return { ...s, context: { ...c, switching: false } };
  const reset = transition(c.sync, { type: 'reset' }).context;
  const wasAsked = c.load !== 'idle';
  const next: ManagerContext = {
    ...c,
    sync: { ...reset, settings: c.settings },
    switching: false,
    account: null,
    load: 'idle',
    loadError: null,
  };
  const forgotten = { context: next, commands: [...s.commands, { type: 'forgetData' } as const] };
  return wasAsked || next.held.length > 0 ? beginLoad(forgotten) : forgotten;
}

/**
 * The operations the manager journals (loaded and held), for the known-ids view.
 *
 * @example KnownIds.of(addressbook) then apply journaledEntries(context)
 */
export function journaledEntries(c: ManagerContext): readonly JournalEntry[] {
  return [...c.sync.journal, ...c.held];
}
