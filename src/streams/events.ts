/**
 * The data the manager's state machine folds: its context, the events the pipelines emit and
 * the commands (effects as data, XState 5 style) the transition returns.
 */
import type { DocumentName } from '../codecs/applications.js';
import type { XmlElement } from '../codecs/xml/tree.js';
import type { XcapError } from '../errors.js';
import type { PatchSet } from './patch.js';
import type { Capabilities, Connection, DiffSettings, DiffState, OperationData } from './ports.js';
import type { AccountSettings, SettingsChangeKind } from './settings.js';

/**
 * The manager's states, as in sipsimple's XCAPManager state diagram.
 *
 * @example manager.state$.subscribe(({ state }: { state: XcapState }) => state === 'insync' && hideSpinner());
 */
export type XcapState =
  | 'stopped'
  | 'initializing'
  | 'fetching'
  | 'updating'
  | 'insync'
  | 'stopping';

/**
 * A document as last seen on the server: its text, ETag and parsed tree.
 *
 * @example const doc: StoredDocument = { content: xml, etag: '"e1"', root: parseXml(xml) };
 */
export interface StoredDocument {
  readonly content: string;
  readonly etag: string | null;
  readonly root: XmlElement;
  /** Response headers worth keeping (e.g. `x-alternative-location` of the icon). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * ETags our own writes gave this document before `etag` (the steps of an element-write
   * chain): an xcap-diff NOTIFY naming one of them reports our own write (RFC 5875 §4.5) and
   * needs no GET. Not persisted.
   */
  readonly ownEtags?: readonly string[];
}

/**
 * Known documents by name; `null` = known to be absent, missing = unknown.
 *
 * @example const store: DocumentStore = { 'resource-lists': doc, 'pidf-manipulation': null };
 */
export type DocumentStore = Partial<Record<DocumentName, StoredDocument | null>>;

/**
 * A journaled operation with its id (the journal's `JournalRecord`, without `applied`).
 *
 * @example const entry: JournalEntry = { id: 'a1b2', operation: operations.removeGroup('g1') };
 */
export interface JournalEntry {
  readonly id: string;
  readonly operation: OperationData;
}

/**
 * A journaled operation the update applied as a no-op, and why (the engine's `skipped`).
 *
 * @example const s: SkippedOperation = { id: 'a1b2', reason: 'contact id123 not found' };
 */
export interface SkippedOperation {
  readonly id: string;
  readonly reason: string;
}

/**
 * What initializing found out about the server.
 *
 * @example discovery.supported.includes('dialog-rules') // the server offers org.openxcap.dialog-rules
 */
export interface Discovery {
  readonly root: string;
  readonly capabilities: Capabilities;
  /** `org.openmobilealliance.pres-rules` when offered, else `pres-rules`. */
  readonly presRulesAuid: string;
  /** The documents the server supports, in DOCUMENT_NAMES order. */
  readonly supported: readonly DocumentName[];
}

/**
 * Which documents to fetch: some, or every supported one.
 *
 * @example const scope: FetchScope = ['pres-rules']; // or 'all'
 */
export type FetchScope = readonly DocumentName[] | 'all';

/**
 * The machine's whole state: pure data.
 *
 * @example transition(initialContext(), event).context.state
 */
export interface MachineContext {
  readonly state: XcapState;
  readonly settings: AccountSettings | null;
  readonly discovery: Discovery | null;
  readonly documents: DocumentStore;
  readonly journal: readonly JournalEntry[];
  /** True from start until the first fetch completed (an unchanged first fetch still goes through updating). */
  readonly firstFetch: boolean;
  /** Documents changed remotely since the last successful update. */
  readonly changedSinceSync: boolean;
  readonly diff: DiffState | 'off';
  /**
   * Why the machine waits instead of working: `auth` (401/403) and `capabilities` wait for
   * new settings; `error` (a non-transient failure) waits for the next trigger (poll tick,
   * remote change, new operation).
   */
  readonly blocked: 'auth' | 'capabilities' | 'error' | null;
  /** Remote changes that arrived while busy, fetched when the current step ends. */
  readonly pendingFetch: FetchScope | null;
  /** Complete xcap-diff patches of the pending fetch (they may spare its GETs). */
  readonly pendingPatches?: PatchSet;
  /**
   * The ETags the NOTIFYs of the pending fetch named, by document (empty: a NOTIFY named none):
   * a document the update then holds at every one of these versions, or replaced by its own
   * writes (their NOTIFYs arrived before their answers), is not fetched.
   */
  readonly pendingEtags?: Partial<Record<DocumentName, readonly (string | null)[]>>;
  /** Counter for the ids of normalize operations. */
  readonly normalizeCount: number;
  /** Consecutive non-transient failures (the delay of the next `scheduleRetry` grows with it). */
  readonly failures: number;
}

/**
 * Events the pipelines and the facade feed into the transition.
 *
 * @example const e: MachineEvent = { type: 'remoteChanged', documents: ['resource-lists'] };
 */
export type MachineEvent =
  | {
      readonly type: 'loaded';
      readonly documents: DocumentStore;
      readonly journal: readonly JournalEntry[];
    }
  | { readonly type: 'started'; readonly settings: AccountSettings }
  /** Forget documents and journal (another account is about to be loaded); only when stopped. */
  | { readonly type: 'reset' }
  | {
      readonly type: 'settingsChanged';
      readonly settings: AccountSettings;
      readonly kind: SettingsChangeKind;
    }
  | { readonly type: 'capabilitiesDiscovered'; readonly discovery: Discovery }
  | { readonly type: 'capabilitiesFailed'; readonly error: XcapError }
  | { readonly type: 'authFailed'; readonly error: XcapError; readonly documents?: DocumentStore }
  | {
      readonly type: 'fetched';
      readonly documents: DocumentStore;
      readonly changed: boolean;
      /** Scheduler time of the answer (the manager stamps it: the time of a sync). */
      readonly at?: number;
    }
  | { readonly type: 'fetchFailed'; readonly error: XcapError }
  | {
      readonly type: 'updated';
      readonly documents: DocumentStore;
      readonly appliedIds: readonly string[];
      /**
       * Applied operations that did nothing because they no longer apply (their target is
       * missing, their document unsupported), with the engine's reason.
       */
      readonly skipped?: readonly SkippedOperation[];
      /** Scheduler time of the answer (the manager stamps it: the time of a sync). */
      readonly at?: number;
    }
  | { readonly type: 'conflict'; readonly documents: DocumentStore }
  | { readonly type: 'rejected'; readonly id: string; readonly error: XcapError }
  | {
      readonly type: 'updateFailed';
      readonly error: XcapError;
      readonly documents: DocumentStore;
      /**
       * Held documents the failure is blamed on (one rxcap refuses: a foreign root, a wrong
       * shape): they are forgotten and fetched again, unconditionally, before the next update.
       */
      readonly refetch?: readonly DocumentName[];
    }
  | { readonly type: 'journalAppended'; readonly entries: readonly JournalEntry[] }
  | { readonly type: 'diffState'; readonly state: DiffState; readonly reason?: string }
  | { readonly type: 'diffFailed'; readonly error: XcapError }
  | {
      readonly type: 'remoteChanged';
      readonly documents: FetchScope;
      /** New ETags from the NOTIFY (null: deleted); documents we already hold are skipped. */
      readonly etags?: Partial<Record<DocumentName, string | null>>;
      /** Complete patches from the NOTIFY (RFC 5874 §4.1), applied instead of a GET if they fit. */
      readonly patches?: PatchSet;
    }
  | { readonly type: 'pollTick' }
  /** The delay of a `scheduleRetry` is over. */
  | { readonly type: 'retryTimer' }
  | { readonly type: 'stopRequested' }
  /** A pipeline failed unexpectedly (a bug); it was restarted. */
  | { readonly type: 'pipelineFailed'; readonly error: XcapError }
  /** The xcap-diff subscription is terminated (answer to `unsubscribe`). */
  | { readonly type: 'stopped' };

/**
 * Effects as data; the pipelines and the facade carry them out.
 *
 * @example if (command.type === 'saveJournal') await journal.save(command.journal);
 */
export type MachineCommand =
  | { readonly type: 'discoverCapabilities'; readonly settings: AccountSettings }
  | {
      readonly type: 'fetch';
      readonly connection: Connection;
      readonly discovery: Discovery;
      readonly names: readonly DocumentName[];
      /** Known documents (their ETags make the GETs conditional). */
      readonly documents: DocumentStore;
      /** Patches to try before the GET of a document (see src/streams/patch.ts). */
      readonly patches?: PatchSet;
    }
  | {
      readonly type: 'update';
      readonly connection: Connection;
      readonly discovery: Discovery;
      readonly documents: DocumentStore;
      readonly entries: readonly JournalEntry[];
    }
  /** (Re)subscribe to xcap-diff; `enabled: false` (setting `xcap.xcapDiff`) means poll only. */
  | { readonly type: 'subscribe'; readonly settings: DiffSettings; readonly enabled: boolean }
  | { readonly type: 'unsubscribe' }
  /** Abort in-flight HTTP work (stop, new connection settings). */
  | { readonly type: 'cancel' }
  | { readonly type: 'emitCapabilities'; readonly capabilities: Capabilities }
  | {
      readonly type: 'emitData';
      readonly documents: DocumentStore;
      readonly discovery: Discovery | null;
    }
  | { readonly type: 'saveCache'; readonly documents: DocumentStore }
  | { readonly type: 'saveJournal'; readonly journal: readonly JournalEntry[] }
  | { readonly type: 'reportError'; readonly error: XcapError }
  /** Wake the machine with `retryTimer` after the backoff delay of failure number `attempt`. */
  | { readonly type: 'scheduleRetry'; readonly attempt: number };

/**
 * The result of one transition.
 *
 * @example const { context, commands }: TransitionResult = transition(context0, { type: 'pollTick' });
 */
export interface TransitionResult {
  readonly context: MachineContext;
  readonly commands: readonly MachineCommand[];
}
