/**
 * The data of the manager's actor: its context (the sync machine's context plus the
 * application's intent, the account's load phase and the store's write counters), the events
 * the facade and the effects send, and the commands (effects as data) its transition returns.
 */
import type { XcapError } from '../errors.js';
import type {
  DocumentStore,
  JournalEntry,
  MachineCommand,
  MachineContext,
  MachineEvent,
} from '../streams/events.js';
import type { AccountSettings } from '../streams/settings.js';
import type { ManagerHealth } from './health.js';
import type { LifecycleEvent } from './types.js';

/**
 * Where the current account's store is: not asked for, waiting for the first settings,
 * loading, loaded, or failed (a later `load()`, `start()` or operation tries again).
 *
 * @example if (context.load === 'failed') console.warn(context.loadError);
 */
export type LoadPhase = 'idle' | 'waiting' | 'loading' | 'loaded' | 'failed';

/**
 * The manager's whole state, pure data.
 *
 * @example managerTransition(initialManagerContext(), { type: 'startRequested' }).context.intent // 'running'
 */
export interface ManagerContext {
  /** The sync machine (stopped -> initializing -> fetching -> updating -> insync). */
  readonly sync: MachineContext;
  /** The last valid settings (null until the account stream gave one). */
  readonly settings: AccountSettings | null;
  /** The account stream ended without a value or failed. */
  readonly settingsError: XcapError | null;
  /** Canonical account whose store is loaded or loading (the first segment of its keys). */
  readonly account: string | null;
  readonly load: LoadPhase;
  readonly loadError: XcapError | null;
  /** What the last start()/stop() asked for; a start queued behind a stop obeys the last call. */
  readonly intent: 'running' | 'stopped';
  /**
   * `closing`: stopping and waiting for the store's writes; `releasing`: the store is being
   * released; `closed` is final (every stream completed).
   */
  readonly phase: 'open' | 'closing' | 'releasing' | 'closed';
  /** Another account's settings arrived: stop, then load that account's store. */
  readonly switching: boolean;
  /** Operations made before the store was loaded (they go after the stored journal). */
  readonly held: readonly JournalEntry[];
  /** Operation batches made so far (the facade's flush() waits for `savedSeq` to reach it). */
  readonly journalSeq: number;
  /** The highest `journalSeq` whose journal is durable in the store. */
  readonly savedSeq: number;
  /** Store writes issued and not yet answered. */
  readonly writing: number;
  /** Consecutive failed journal writes (the store retry's backoff grows with it). */
  readonly storeFailures: number;
  /** Failures, retries, xcap-diff's reason and the last sync: what `status$` explains. */
  readonly health: ManagerHealth;
}

/**
 * What the facade and the effects tell the actor, besides the sync machine's own events.
 *
 * @example const e: ManagerEvent = { type: 'startRequested' };
 */
export type ManagerEvent =
  | Exclude<
      MachineEvent,
      { type: 'loaded' | 'started' | 'reset' | 'settingsChanged' | 'journalAppended' }
    >
  | { readonly type: 'settingsArrived'; readonly settings: AccountSettings }
  /** A later settings value was invalid: reported, the last good settings stay. */
  | { readonly type: 'settingsRefused'; readonly error: XcapError }
  /** The account stream ended without a value, or failed. */
  | { readonly type: 'settingsFailed'; readonly error: XcapError }
  /**
   * A pipeline waits `delay` ms (from scheduler time `at`) before retrying; `error` is the
   * failure it retries in place (absent when it already reached the machine as an event).
   */
  | {
      readonly type: 'retrying';
      readonly error?: XcapError;
      readonly attempt: number;
      readonly delay: number;
      readonly at: number;
      /** The XCAP server (default) or the xcap-diff subscription. */
      readonly target?: 'xcap' | 'xcap-diff';
    }
  | { readonly type: 'loadRequested' }
  | { readonly type: 'startRequested' }
  | { readonly type: 'closeRequested' }
  /** Marks the point a flush() waits from (every operation made before it is counted). */
  | { readonly type: 'flushRequested' }
  | { readonly type: 'operationsMade'; readonly entries: readonly JournalEntry[] }
  | {
      readonly type: 'storeLoaded';
      readonly account: string;
      readonly documents: DocumentStore;
      readonly journal: readonly JournalEntry[];
      /** Reported on error$: a dropped corrupt cache, refused journal records. */
      readonly problems: readonly XcapError[];
    }
  | { readonly type: 'storeLoadFailed'; readonly account: string; readonly error: XcapError }
  | { readonly type: 'journalSaved'; readonly seq: number }
  | { readonly type: 'journalSaveFailed'; readonly seq: number; readonly error: XcapError }
  | { readonly type: 'cacheSaved' }
  | { readonly type: 'cacheSaveFailed'; readonly error: XcapError }
  /** The delay of a `scheduleStoreRetry` is over. */
  | { readonly type: 'storeRetryTimer' }
  | { readonly type: 'storeReleased' };

/**
 * Effects as data: the sync pipelines', the store's and the emissions the facade runs.
 *
 * @example if (command.type === 'persistJournal') await journalStore(storage, command.account).save(command.journal);
 */
export type ManagerCommand =
  | Exclude<MachineCommand, { type: 'saveCache' | 'saveJournal' }>
  | { readonly type: 'loadStore'; readonly account: string; readonly id: string }
  | { readonly type: 'persistCache'; readonly account: string; readonly documents: DocumentStore }
  | {
      readonly type: 'persistJournal';
      readonly account: string;
      readonly journal: readonly JournalEntry[];
      readonly seq: number;
    }
  /** Appends operations to an account's stored journal (held ones, when the account changed). */
  | {
      readonly type: 'appendJournal';
      readonly account: string;
      readonly entries: readonly JournalEntry[];
      readonly seq: number;
    }
  | { readonly type: 'scheduleStoreRetry'; readonly attempt: number }
  | { readonly type: 'releaseStore' }
  | { readonly type: 'emitLifecycle'; readonly event: LifecycleEvent }
  /** Another account: the data streams forget the previous account's values. */
  | { readonly type: 'forgetData' }
  /** Closed: complete every stream, end every subscription. */
  | { readonly type: 'complete' };

/**
 * The result of one transition of the actor.
 *
 * @example const { context, commands }: ManagerResult = managerTransition(c, { type: 'stopRequested' });
 */
export interface ManagerResult {
  readonly context: ManagerContext;
  readonly commands: readonly ManagerCommand[];
}
