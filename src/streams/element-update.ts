/**
 * One document's change sent as element and attribute writes (RFC 4825 §7.4–7.6) instead of a
 * whole-document PUT, when the server is known (./server-knowledge.ts) and the writes are
 * smaller (src/element-writes decides, per request, by size).
 *
 * The writes go one at a time, each with `If-Match` of the ETag the previous answer returned
 * (the first with the document's ETag, RFC 4825 §7.11), so that another client's write in
 * between is a 412 and nothing is written over it. What is cached afterwards is the planner's
 * model of the server's document (`plan.expected`, in the server's order), with the last ETag:
 * a later xcap-diff NOTIFY naming that ETag, or one of the chain's, costs no GET.
 *
 * A chain cut in the middle (412, lost connection) leaves the server with part of the edit: the
 * part written is recorded, the machine refetches and replays the journal, and normalize
 * restores the derived entries (the planner orders the writes so that every cut is repairable;
 * integration test "a 412 in the middle of an element-write chain loses nothing").
 *
 * A server that refuses an element write (400, 404, 405, 409, 501, or Kamailio's bare 500) gets
 * whole documents for that document for the rest of the session, and this change is PUT whole
 * at once, against the ETag the chain reached.
 */
import {
  catchError,
  concat,
  concatMap,
  defer,
  from,
  ignoreElements,
  type Observable,
  of,
  tap,
} from 'rxjs';
import type { XcapApplication } from '../codecs/applications.js';
import { writeLimitExceeded } from '../codecs/xml/limits.js';
import type { XmlElement } from '../codecs/xml/tree.js';
import {
  applyElementWrite,
  type ElementWritePlan,
  type PlannedWrite,
  planElementWrites,
} from '../element-writes/index.js';
import type { XcapServerProfile } from '../element-writes/server-profile.js';
import { statusOf } from './errors.js';
import type { StoredDocument } from './events.js';
import type { PipelinePorts, XcapHttp } from './ports.js';
import { request } from './request.js';

/** Statuses with which a server refuses an element write (Kamailio: always a bare 500). */
const REFUSALS = new Set([400, 404, 405, 409, 500, 501]);

/** At most this many ETags of our own writes are remembered per document. */
const MAX_OWN_ETAGS = 64;

/** An answer to an element write without an ETag: the chain cannot go on conditionally. */
class MissingEtagError extends Error {
  readonly status = 412;
}

/** What {@link elementChain} needs of the update run. */
export interface ElementChainRun {
  readonly app: XcapApplication;
  readonly root: string;
  readonly profile: XcapServerProfile;
  readonly http: XcapHttp;
  readonly ports: PipelinePorts;
  /** Records what the server now holds. */
  record(doc: StoredDocument): void;
  /** The server refused an element write: no more element writes to this document. */
  refuse(): void;
  /** PUTs the whole new document against `current` (the fallback). */
  whole(current: StoredDocument): Observable<unknown>;
}

/**
 * The element writes that bring `old` (with its ETag) to `next`, or undefined when a whole
 * document is better or needed (the planner's decision).
 *
 * @example elementChain(old, next, run) ?? putWholeDocument()
 */
export function elementChain(
  old: StoredDocument & { readonly etag: string },
  next: XmlElement,
  run: ElementChainRun,
): Observable<unknown> | undefined {
  let plan: ElementWritePlan;
  try {
    plan = planElementWrites(old.root, next, {
      server: run.profile,
      documentBytes: old.content.length,
    });
  } catch {
    // A tree the planner cannot address (e.g. its model refuses a step): PUT it whole.
    return undefined;
  }
  if (plan.kind !== 'elements') return undefined;
  const { writes, expected } = plan;
  // The text cached for the new document; one past the read limits is left to the whole-document
  // path, which refuses it (the operation that grew it is found and dropped).
  let content: string;
  try {
    content = run.ports.engine.serialize(expected);
  } catch {
    return undefined;
  }
  if (writeLimitExceeded(content) !== undefined) return undefined;
  // The chain's state is per subscription.
  return defer(() => sendChain(old, writes, expected, content, run));
}

/** Sends `writes` in order (see {@link elementChain}), recording what the server holds. */
function sendChain(
  old: StoredDocument & { readonly etag: string },
  writes: readonly PlannedWrite[],
  expected: XmlElement,
  content: string,
  run: ElementChainRun,
): Observable<unknown> {
  const seen: string[] = [...(old.ownEtags ?? []), old.etag];
  let etag = old.etag;
  let sent = 0;
  const ports: PipelinePorts = {
    ...run.ports,
    // Kamailio answers every refused element write with a bare 500: not worth retrying, the
    // whole document is PUT instead.
    isTransient: (e) => run.ports.isTransient(e) && !REFUSALS.has(statusOf(e) ?? 0),
  };
  const stored = (root: XmlElement, last: string | null): StoredDocument => ({
    content: root === expected ? content : run.ports.engine.serialize(root),
    etag: last,
    root,
    ...(old.headers !== undefined ? { headers: old.headers } : {}),
    // The ETags our own writes produced before `last` (their NOTIFYs need no GET).
    ownEtags: seen.filter((e) => e !== last).slice(-MAX_OWN_ETAGS),
  });
  /** The server's document after the writes sent so far. */
  const progress = (): StoredDocument => {
    let root = old.root;
    for (const w of writes.slice(0, sent)) root = applyElementWrite(root, w.write, run.profile);
    return stored(root, etag);
  };
  const chain = from(writes).pipe(
    concatMap((w) =>
      send(w, etag, run, ports).pipe(
        tap((answered) => {
          if (answered === null) throw new MissingEtagError('an element write without ETag');
          etag = answered;
          seen.push(answered);
          sent++;
        }),
      ),
    ),
    ignoreElements(),
  );
  return concat(
    chain,
    defer(() => {
      run.record(stored(expected, etag));
      return of(null);
    }),
  ).pipe(
    catchError((e: unknown) => {
      const current = sent > 0 ? progress() : old;
      if (sent > 0) run.record(current);
      if (e instanceof MissingEtagError) {
        run.refuse();
        throw e;
      }
      const status = statusOf(e);
      if (status === undefined || !REFUSALS.has(status)) throw e;
      run.refuse();
      return run.whole(current);
    }),
  );
}

/** Sends one planned write with `If-Match: etag`; the answer's ETag (null: none). */
function send(
  w: PlannedWrite,
  etag: string,
  run: ElementChainRun,
  ports: PipelinePorts,
): Observable<string | null> {
  const { auid, filename } = run.app;
  const options = { filename, node: w.node, etag };
  return defer(() =>
    request(
      ports,
      {
        method: w.body === undefined ? 'DELETE' : 'PUT',
        auid,
        filename,
        size: w.body?.length ?? 0,
      },
      () =>
        w.body === undefined ? run.http.delete(auid, options) : run.http.put(auid, w.body, options),
    ),
  ).pipe(concatMap((r) => of(r.etag)));
}
