/**
 * The commands and results the pure `transition()` (transition.ts) builds, split from it so that
 * the state handlers read as the state diagram and these builders as the effects' data shapes.
 * Everything here is pure, like the transition itself.
 */
import { applicationOf } from '../codecs/applications.js';
import { watchedDocumentUris } from '../codecs/xcap-diff.js';
import type { XcapError } from '../errors.js';
import type {
  Discovery,
  FetchScope,
  JournalEntry,
  MachineCommand,
  MachineContext,
  TransitionResult,
} from './events.js';
import { type PatchSet, patchesFor } from './patch.js';
import { connectionOf, diffSettingsOf, xuiOf } from './settings.js';

/**
 * Id prefix of the normalize operations the machine puts at the journal head.
 *
 * @example entry.id.startsWith(NORMALIZE_ID_PREFIX) // derived from a fetch, never persisted
 */
export const NORMALIZE_ID_PREFIX = 'normalize-';

/**
 * The fetch of `scope` (of the supported documents), with the usable xcap-diff patches.
 *
 * @example fetchCommand(context, 'all') // { type: 'fetch', names: discovery.supported, ... }
 */
export function fetchCommand(
  c: MachineContext,
  scope: FetchScope,
  patches?: PatchSet,
): MachineCommand {
  const discovery = c.discovery!;
  const names =
    scope === 'all' ? discovery.supported : discovery.supported.filter((n) => scope.includes(n));
  const usable = patchesFor(patches, names);
  return {
    type: 'fetch',
    connection: connectionOf(c.settings!, discovery.root),
    discovery,
    names,
    documents: c.documents,
    ...(usable !== undefined ? { patches: usable } : {}),
  };
}

/**
 * The update that applies the whole journal to the held documents.
 *
 * @example updateCommand(context) // { type: 'update', entries: context.journal, ... }
 */
export function updateCommand(c: MachineContext): MachineCommand {
  const discovery = c.discovery!;
  return {
    type: 'update',
    connection: connectionOf(c.settings!, discovery.root),
    discovery,
    documents: c.documents,
    entries: c.journal,
  };
}

/**
 * The xcap-diff subscription for the supported documents of the account.
 *
 * @example subscribeCommand(context, discovery) // { type: 'subscribe', settings, enabled }
 */
export function subscribeCommand(c: MachineContext, discovery: Discovery): MachineCommand {
  // The documents to watch, as RFC 5875 §4.4 wants them: relative to the XCAP root.
  const paths = watchedDocumentUris(
    xuiOf(c.settings!),
    discovery.supported.map((name) => {
      const app = applicationOf(name, discovery.presRulesAuid);
      return { auid: app.auid, filename: app.filename };
    }),
  );
  return {
    type: 'subscribe',
    settings: diffSettingsOf(c.settings!, discovery.root, paths),
    enabled: c.settings!.xcap?.xcapDiff !== false,
  };
}

/**
 * The journal as it is saved. Normalize operations are derived from the fetch, not user
 * intent: never persisted.
 *
 * @example persistable(context.journal) // without the `normalize-` entries
 */
export function persistable(journal: readonly JournalEntry[]): readonly JournalEntry[] {
  return journal.filter((e) => !e.id.startsWith(NORMALIZE_ID_PREFIX));
}

/**
 * The command that reports `error` on the manager's `error$`.
 *
 * @example report(event.error) // { type: 'reportError', error }
 */
export function report(error: XcapError): MachineCommand {
  return { type: 'reportError', error };
}

/**
 * A transition result.
 *
 * @example result({ ...c, blocked: null }, [report(error)])
 */
export function result(
  context: MachineContext,
  commands: readonly MachineCommand[],
): TransitionResult {
  return { context, commands };
}

/**
 * The result of an event that changes nothing in this state.
 *
 * @example same(context) // { context, commands: [] }
 */
export function same(context: MachineContext): TransitionResult {
  return { context, commands: [] };
}
