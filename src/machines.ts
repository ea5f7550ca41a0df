/**
 * `rxcap/machines`: the manager's state machine as a pure function that returns the next
 * context and the effects to run, as data (XState 5 style): stopped -> initializing ->
 * fetching -> updating -> insync, and stopping. The xcap-diff subscription's machine
 * (`subscriptionTransition`, RFC 6665) is in `rxcap/sip`. For tools that replay, visualise or
 * test them.
 *
 * @example
 * ```ts
 * import { initialContext, transition } from 'rxcap/machines';
 * const { context, commands } = transition(initialContext(), { type: 'started', settings });
 * ```
 *
 * @packageDocumentation
 */
export type {
  Discovery,
  DocumentStore,
  FetchScope,
  JournalEntry,
  MachineCommand,
  MachineContext,
  MachineEvent,
  SkippedOperation,
  StoredDocument,
  TransitionResult,
  XcapState,
} from './streams/events.js';
export type { DocumentPatch, PatchSet } from './streams/patch.js';
export { initialContext, NORMALIZE_ID_PREFIX, transition } from './streams/transition.js';
