/**
 * The manager's state machine as one pure function (XState 5 style): `transition(context,
 * event)` returns the next context and the effects to run, as data. It implements sipsimple's
 * XCAPManager diagram — stopped -> initializing -> fetching -> updating -> insync, stopping -> stopped —
 * and this error policy (412 refetch and replay, 401/403 wait for new settings, 409
 * drop the offending operation). Transient failures never reach it: the pipelines retry them.
 */
import type { DocumentName } from '../codecs/applications.js';
import { XcapOperationDroppedError } from './errors.js';
import type {
  DocumentStore,
  FetchScope,
  JournalEntry,
  MachineCommand,
  MachineContext,
  MachineEvent,
  SkippedOperation,
  TransitionResult,
  XcapState,
} from './events.js';
import { mergePatches, type PatchSet } from './patch.js';
import { alreadyHeld, mergeScope, notePendingEtags, stillPending } from './remote-versions.js';
import {
  fetchCommand,
  NORMALIZE_ID_PREFIX,
  persistable,
  report,
  result,
  same,
  subscribeCommand,
  updateCommand,
} from './transition-commands.js';

/**
 * The context of a manager that was never started.
 *
 * @example transition(initialContext(), { type: 'started', settings })
 */
export function initialContext(): MachineContext {
  return {
    state: 'stopped',
    settings: null,
    discovery: null,
    documents: {},
    journal: [],
    firstFetch: true,
    changedSinceSync: false,
    diff: 'off',
    blocked: null,
    pendingFetch: null,
    normalizeCount: 0,
    failures: 0,
  };
}

/** Id prefix of the normalize operations (transition-commands.ts). @example entry.id.startsWith(NORMALIZE_ID_PREFIX) */
export { NORMALIZE_ID_PREFIX } from './transition-commands.js';

const RUNNING: ReadonlySet<XcapState> = new Set(['initializing', 'fetching', 'updating', 'insync']);

/**
 * The next context and the commands for `event` in `context`. Pure: same input, same output.
 *
 * @example
 * ```ts
 * const { context, commands } = transition(initialContext(), { type: 'started', settings });
 * context.state // 'initializing'; commands: [{ type: 'discoverCapabilities', settings }]
 * ```
 */
export function transition(context: MachineContext, event: MachineEvent): TransitionResult {
  const c = context;
  switch (event.type) {
    case 'loaded': {
      if (c.state !== 'stopped') return same(c);
      // Operations journaled before the load come after the stored ones.
      const stored = new Set(event.journal.map((e) => e.id));
      const journal = [...event.journal, ...c.journal.filter((e) => !stored.has(e.id))];
      const next = { ...c, documents: { ...c.documents, ...event.documents }, journal };
      return hasDocuments(next.documents)
        ? result(next, [{ type: 'emitData', documents: next.documents, discovery: c.discovery }])
        : result(next, []);
    }

    case 'reset':
      if (c.state !== 'stopped') return same(c);
      return result({ ...initialContext(), settings: c.settings }, []);

    case 'started':
      if (c.state !== 'stopped') return same(c);
      return initialize({ ...c, settings: event.settings, diff: 'off' }, []);

    case 'settingsChanged': {
      const next = { ...c, settings: event.settings };
      if (!RUNNING.has(c.state) || event.kind === 'none') return result(next, []);
      if (event.kind === 'connection') {
        return initialize(next, [{ type: 'cancel' }, { type: 'unsubscribe' }]);
      }
      // Subscription settings only: renew the subscription (like sipsimple's XCAPManager).
      if (c.state === 'initializing' || c.discovery === null) return result(next, []);
      return result(next, [subscribeCommand(next, c.discovery)]);
    }

    case 'capabilitiesDiscovered': {
      if (c.state !== 'initializing' || c.settings === null) return same(c);
      const discovery = event.discovery;
      // Documents the server does not support are forgotten; journal operations skip them.
      const documents = pick(c.documents, discovery.supported);
      const next: MachineContext = { ...c, discovery, documents, state: 'fetching', blocked: null };
      return result(next, [
        { type: 'emitCapabilities', capabilities: discovery.capabilities },
        subscribeCommand(next, discovery),
        fetchCommand(next, 'all'),
      ]);
    }

    case 'capabilitiesFailed':
      if (c.state !== 'initializing') return same(c);
      return result({ ...c, blocked: 'capabilities' }, [report(event.error)]);

    case 'authFailed': {
      if (!RUNNING.has(c.state)) return same(c);
      const documents = event.documents ? { ...c.documents, ...event.documents } : c.documents;
      return result({ ...c, documents, blocked: 'auth' }, [report(event.error)]);
    }

    case 'fetchFailed':
      if (c.state !== 'fetching') return same(c);
      return failed(c, [report(event.error)]);

    case 'updateFailed': {
      if (c.state !== 'updating') return same(c);
      const documents = { ...c.documents, ...event.documents };
      const effects: MachineCommand[] = [{ type: 'saveCache', documents }, report(event.error)];
      // The update failed because of a document it holds: replaying the journal on that same
      // document fails forever, so forget it (the next GET is unconditional) and fetch again
      // after the backoff (regression test "a document rxcap refuses is fetched again until
      // the server serves a good one").
      if (event.refetch !== undefined && event.refetch.length > 0) {
        const kept = { ...documents };
        for (const n of event.refetch) delete kept[n];
        return failed({ ...c, documents: kept, state: 'fetching' }, effects);
      }
      return failed({ ...c, documents }, effects);
    }

    case 'fetched': {
      if (c.state !== 'fetching') return same(c);
      const documents = { ...c.documents, ...event.documents };
      const changed = c.changedSinceSync || event.changed || c.firstFetch;
      const base: MachineContext = {
        ...c,
        documents,
        // A fetch that leads to another update keeps the count, so that a fetch/update cycle
        // failing on the same document backs off (reset once in sync or updated).
        failures: changed || c.journal.length > 0 || c.pendingFetch !== null ? c.failures : 0,
        firstFetch: false,
        changedSinceSync: changed,
        blocked: null,
      };
      const save: MachineCommand[] = event.changed ? [{ type: 'saveCache', documents }] : [];
      if (c.pendingFetch !== null) {
        const next = { ...base, pendingFetch: null };
        return result(next, [...save, fetchCommand(next, c.pendingFetch, c.pendingPatches)]);
      }
      if (changed) {
        // A normalize operation goes at the beginning of the journal.
        const id = `${NORMALIZE_ID_PREFIX}${c.normalizeCount + 1}`;
        const journal = [
          { id, operation: { type: 'normalize' } },
          ...c.journal.filter((e) => !e.id.startsWith(NORMALIZE_ID_PREFIX)),
        ];
        const next: MachineContext = {
          ...base,
          journal,
          normalizeCount: c.normalizeCount + 1,
          state: 'updating',
        };
        return result(next, [...save, updateCommand(next)]);
      }
      if (c.journal.length > 0) {
        const next: MachineContext = { ...base, state: 'updating' };
        return result(next, [...save, updateCommand(next)]);
      }
      return result({ ...base, state: 'insync' }, save);
    }

    case 'updated': {
      if (c.state !== 'updating') return same(c);
      const applied = new Set(event.appliedIds);
      const documents = { ...c.documents, ...event.documents };
      const journal = c.journal.filter((e) => !applied.has(e.id));
      const base: MachineContext = {
        ...c,
        documents,
        journal,
        changedSinceSync: false,
        blocked: null,
        failures: 0,
      };
      const effects: MachineCommand[] = [
        { type: 'saveCache', documents },
        { type: 'saveJournal', journal: persistable(journal) },
        { type: 'emitData', documents, discovery: c.discovery },
        ...droppedReports(c.journal, event.skipped),
      ];
      const pending = stillPending(c.pendingFetch, c.pendingEtags, documents);
      if (pending !== null) {
        const next: MachineContext = { ...base, state: 'fetching', pendingFetch: null };
        return result(next, [...effects, fetchCommand(next, pending, c.pendingPatches)]);
      }
      if (journal.length > 0) return result(base, [...effects, updateCommand(base)]);
      return result({ ...base, state: 'insync' }, effects);
    }

    case 'conflict': {
      // 412: somebody else changed a document; refetch and replay every operation
      // (RFC 4825 §7.11).
      if (c.state !== 'updating') return same(c);
      const documents = { ...c.documents, ...event.documents };
      const next: MachineContext = {
        ...c,
        documents,
        state: 'fetching',
        pendingFetch: null,
        changedSinceSync: true,
      };
      return result(next, [{ type: 'saveCache', documents }, fetchCommand(next, 'all')]);
    }

    case 'rejected': {
      const journal = c.journal.filter((e) => e.id !== event.id);
      if (journal.length === c.journal.length) return result(c, [report(event.error)]);
      return result({ ...c, journal }, [
        { type: 'saveJournal', journal: persistable(journal) },
        report(event.error),
      ]);
    }

    case 'journalAppended': {
      const journal = [...c.journal, ...event.entries];
      const next = { ...c, journal };
      const save: MachineCommand = { type: 'saveJournal', journal: persistable(journal) };
      if (c.state === 'insync' && c.discovery !== null) {
        const updating: MachineContext = { ...next, state: 'updating' };
        return result(updating, [save, updateCommand(updating)]);
      }
      if (c.blocked === 'error') return retry(next, [save]);
      // Busy states pick the new entries up when the current step ends.
      return result(next, [save]);
    }

    case 'diffState': {
      const next = { ...c, diff: event.state };
      // When the subscription fails, all the documents are fetched.
      if (c.diff === 'active' && event.state !== 'active' && event.state !== 'terminated') {
        return remoteChange(next, 'all');
      }
      return result(next, []);
    }

    case 'diffFailed':
      return result(c, [report(event.error)]);

    case 'pipelineFailed':
      // The step of the current state may have died with it: retry it on the next trigger.
      if (c.state !== 'fetching' && c.state !== 'updating') return result(c, [report(event.error)]);
      return failed(c, [report(event.error)]);

    case 'retryTimer':
      // Any other update error: the update is retried periodically.
      if (c.blocked !== 'error') return same(c);
      return retry(c, []);

    case 'remoteChanged': {
      // A NOTIFY for a version we already hold (typically our own PUT) needs no fetch.
      const etags = event.etags ?? {};
      if (event.documents === 'all') return remoteChange(c, 'all', event.patches);
      const names = event.documents.filter((n) => !alreadyHeld(c.documents[n], etags[n]));
      if (names.length === 0) return same(c);
      const changed = remoteChange(c, names, event.patches);
      if (changed.context.pendingFetch === null || changed.context === c) return changed;
      // Busy: remember the versions named, so that the update's own writes are not fetched.
      const pendingEtags = notePendingEtags(
        c.pendingFetch === null ? undefined : c.pendingEtags,
        names,
        etags,
      );
      return { ...changed, context: { ...changed.context, pendingEtags } };
    }

    case 'pollTick':
      if (c.blocked === 'error') return retry(c, []);
      if (c.state !== 'insync') return same(c);
      return remoteChange(c, 'all');

    case 'stopRequested':
      if (!RUNNING.has(c.state)) return same(c);
      return result({ ...c, state: 'stopping', pendingFetch: null, blocked: null }, [
        { type: 'cancel' },
        { type: 'unsubscribe' },
      ]);

    case 'stopped':
      if (c.state !== 'stopping') return same(c);
      return result({ ...c, state: 'stopped', diff: 'off' }, []);
  }
}

/**
 * The errors of the operations an update skipped: each no longer applies and leaves the
 * journal with the update, so it is reported with its operation (regression test "edits naming
 * ids that do not exist, made before the first sync, are reported on error$..."). A removal
 * whose target is already gone is not: its goal holds (also after a replay of our own
 * partially written update on refetched documents). Normalize operations are the machine's.
 */
function droppedReports(
  journal: readonly JournalEntry[],
  skipped: readonly SkippedOperation[] | undefined,
): MachineCommand[] {
  if (skipped === undefined || skipped.length === 0) return [];
  const byId = new Map(journal.map((e) => [e.id, e.operation]));
  const out: MachineCommand[] = [];
  for (const s of skipped) {
    const operation = byId.get(s.id);
    if (operation === undefined || s.id.startsWith(NORMALIZE_ID_PREFIX)) continue;
    if (operation.type.startsWith('remove')) continue;
    out.push(report(new XcapOperationDroppedError(s.id, operation, s.reason)));
  }
  return out;
}

function initialize(c: MachineContext, before: MachineCommand[]): TransitionResult {
  const next: MachineContext = {
    ...c,
    state: 'initializing',
    discovery: null,
    firstFetch: true,
    changedSinceSync: false,
    blocked: null,
    pendingFetch: null,
  };
  return result(next, [...before, { type: 'discoverCapabilities', settings: c.settings! }]);
}

/** Remote documents changed: fetch them now when in sync, else after the current step. */
function remoteChange(c: MachineContext, scope: FetchScope, patches?: PatchSet): TransitionResult {
  if (c.blocked === 'error') return retry(c, []);
  if (c.blocked !== null) return same(c);
  if (c.state === 'insync') {
    const next: MachineContext = { ...c, state: 'fetching' };
    return result(next, [fetchCommand(next, scope, patches)]);
  }
  if (c.state === 'fetching' || c.state === 'updating') {
    // Patches of an earlier pending fetch were consumed with it: start afresh then.
    const pendingPatches = mergePatches(c.pendingFetch ? c.pendingPatches : undefined, patches);
    const next = { ...c, pendingFetch: mergeScope(c.pendingFetch, scope), pendingPatches };
    return result(next, []);
  }
  return same(c);
}

/** A non-transient failure: wait, and retry after a growing delay or on the next trigger. */
function failed(c: MachineContext, effects: MachineCommand[]): TransitionResult {
  const failures = c.failures + 1;
  return result({ ...c, blocked: 'error', failures }, [
    ...effects,
    { type: 'scheduleRetry', attempt: failures },
  ]);
}

function retry(c: MachineContext, before: MachineCommand[]): TransitionResult {
  const next: MachineContext = { ...c, blocked: null };
  if (c.discovery === null) return result(next, before);
  if (c.state === 'fetching') return result(next, [...before, fetchCommand(next, 'all')]);
  if (c.state === 'updating') return result(next, [...before, updateCommand(next)]);
  return result(next, before);
}

function pick(docs: DocumentStore, names: readonly DocumentName[]): DocumentStore {
  const out: DocumentStore = {};
  for (const n of names) if (docs[n] !== undefined) out[n] = docs[n];
  return out;
}

function hasDocuments(docs: DocumentStore): boolean {
  return Object.values(docs).some((d) => d !== undefined && d !== null);
}
