/**
 * The update pipeline (updating): apply the journal to the known documents and PUT
 * each changed document with `If-Match` (or `If-None-Match: *` for a new one), DELETE a
 * document that became null (RFC 4825 §7.4, §7.5, §7.11). An unchanged document is never PUT.
 *
 * 412: `conflict` (the machine refetches and replays). 409: the server rejects a document;
 * the operations are replayed one at a time, each one PUT on its own, so that every rejected
 * operation is found, dropped with an error naming it, and the rest syncs: a
 * rejected operation never wedges the manager.
 */
import {
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  filter,
  from,
  ignoreElements,
  map,
  type Observable,
  of,
  switchMap,
  tap,
  throwError,
  timer,
} from 'rxjs';
import { applicationOf, DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import { XmlLimitError } from '../codecs/xml/errors.js';
import { writeLimitExceeded } from '../codecs/xml/limits.js';
import { sameElement, type XmlElement } from '../codecs/xml/tree.js';
import { backoffDelay } from '../operators/retry-backoff.js';
import { elementChain } from './element-update.js';
import { isAuthFailure, statusOf, toXcapError, XcapOperationRejectedError } from './errors.js';
import type {
  DocumentStore,
  JournalEntry,
  MachineCommand,
  MachineEvent,
  StoredDocument,
} from './events.js';
import type { PipelinePorts, SyncContext, SyncDocuments, XcapHttp } from './ports.js';
import { request } from './request.js';
import {
  blamedDocuments,
  blameOn,
  markTooLarge,
  refusedDocument,
  type UpdateCommand,
} from './update-failures.js';

/**
 * `(commands$, ports) => events$` for `update`; a `cancel` aborts the running update.
 *
 * @example updatePipeline(commands$, ports).subscribe(dispatch)
 */
export function updatePipeline(
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  return defer(() => {
    // Consecutive 412s: the first refetch is immediate (RFC 4825 §7.11), later ones
    // back off, so that a server answering 412 to every PUT (e.g. a proxy that weakens ETags)
    // is not hammered with GET/PUT rounds (robustness test "a server that answers 412 to every
    // PUT is not hammered").
    let conflicts = 0;
    const paced = (e: MachineEvent): Observable<MachineEvent> => {
      if (e.type === 'updated') conflicts = 0;
      if (e.type !== 'conflict') return of(e);
      conflicts++;
      if (conflicts <= 1) return of(e);
      const delay = backoffDelay(ports.backoff, conflicts - 1, ports.random);
      return timer(delay, ports.scheduler).pipe(map(() => e));
    };
    return commands$.pipe(
      filter((c) => c.type === 'update' || c.type === 'cancel'),
      switchMap((c) => (c.type === 'update' ? update(c, ports).pipe(concatMap(paced)) : EMPTY)),
    );
  });
}

/**
 * The journal context of an update command.
 *
 * @example syncContextOf(cmd).presRulesAuid
 */
export function syncContextOf(cmd: Pick<UpdateCommand, 'connection' | 'discovery'>): SyncContext {
  return {
    xcapRoot: cmd.discovery.root,
    xui: cmd.connection.xui,
    presRulesAuid: cmd.discovery.presRulesAuid,
    supported: new Set(cmd.discovery.supported),
  };
}

/** Parsed trees of the known documents, as the journal takes them. */
function treesOf(store: DocumentStore, names: readonly DocumentName[]): SyncDocuments {
  const out: SyncDocuments = {};
  for (const n of names) out[n] = store[n]?.root ?? null;
  return out;
}

function update(cmd: UpdateCommand, ports: PipelinePorts): Observable<MachineEvent> {
  return defer(() => {
    const http = ports.http(cmd.connection);
    const ctx = syncContextOf(cmd);
    const names = cmd.discovery.supported;
    // What the server holds now as far as we know; PUTs that succeed are recorded here first,
    // so that a failure later in the run still reports them.
    const done: Record<string, StoredDocument | null> = {};
    const current = (): DocumentStore => ({ ...cmd.documents, ...done });
    const ids = cmd.entries.map((e) => e.id);
    const refused: Refused = new Map();
    // Operations the engine skipped (their target is missing): reported when the run ends well.
    const skipped = new Map<string, string>();

    const all = defer(() => {
      // The safety check runs here, before any engine (a custom one cannot drop it).
      const base = ports.checkRoots(treesOf(cmd.documents, names));
      const applied = ports.engine.apply(
        base,
        cmd.entries.map((e) => e.operation),
        ctx,
      );
      noteSkipped(skipped, cmd.entries, applied.outcomes);
      return pushChanged(base, applied.docs, current(), { done, refused }, cmd, http, ports);
    }).pipe(
      ignoreElements(),
      catchError((e: unknown) => {
        if (!refusedDocument(e)) return throwError(() => e);
        // Isolation replays each operation on its own: its skips replace the batch's.
        skipped.clear();
        return isolate(cmd, current, { done, refused, skipped }, http, ports);
      }),
    );

    return concat(
      all,
      defer(() =>
        of<MachineEvent>({
          type: 'updated',
          documents: { ...done },
          appliedIds: ids,
          ...(skipped.size > 0
            ? { skipped: [...skipped].map(([id, reason]) => ({ id, reason })) }
            : {}),
        }),
      ),
    ).pipe(
      catchError((e: unknown) => {
        const documents: DocumentStore = { ...done };
        if (statusOf(e) === 412) return of<MachineEvent>({ type: 'conflict', documents });
        if (isAuthFailure(e)) {
          return of<MachineEvent>({
            type: 'authFailed',
            error: toXcapError(e, 'update'),
            documents,
          });
        }
        const refetch = blamedDocuments(e, cmd);
        return of<MachineEvent>({
          type: 'updateFailed',
          error: toXcapError(e, 'update'),
          documents,
          ...(refetch.length > 0 ? { refetch } : {}),
        });
      }),
    );
  });
}

/**
 * Replays the operations one at a time over what the server holds, PUTting after each; an
 * operation whose documents get a 409 is dropped (a `rejected` event naming it).
 */
function isolate(
  cmd: UpdateCommand,
  current: () => DocumentStore,
  run: RunState & { readonly skipped: Map<string, string> },
  http: XcapHttp,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  const ctx = syncContextOf(cmd);
  const names = cmd.discovery.supported;
  return from(cmd.entries).pipe(
    concatMap((entry: JournalEntry) =>
      defer(() => {
        const base = ports.checkRoots(treesOf(current(), names));
        const applied = ports.engine.apply(base, [entry.operation], ctx);
        noteSkipped(run.skipped, [entry], applied.outcomes);
        return pushChanged(base, applied.docs, current(), run, cmd, http, ports).pipe(
          ignoreElements(),
          catchError((e: unknown) =>
            refusedDocument(e)
              ? of<MachineEvent>({
                  type: 'rejected',
                  id: entry.id,
                  error: new XcapOperationRejectedError(entry.id, entry.operation, e),
                })
              : throwError(() => e),
          ),
        );
      }),
    ),
  );
}

/** Records the entries whose outcome says the engine skipped them (a no-op), with why. */
function noteSkipped(
  into: Map<string, string>,
  entries: readonly JournalEntry[],
  outcomes: readonly { readonly skipped?: string }[],
): void {
  entries.forEach((e, i) => {
    const reason = outcomes[i]?.skipped;
    if (reason !== undefined) into.set(e.id, reason);
  });
}

/**
 * PUTs refused with a 409 in this run, by document: the condition and body sent, and the
 * error. Replaying one operation alone often yields the very request the whole batch sent (a
 * batch of one operation always does); the server's answer to it is known, so it is not sent
 * again (regression test "a 409 to a batch of one operation sends the PUT once").
 */
type Refused = Map<DocumentName, { readonly condition: string; body: string; error: unknown }>;

/** What one update run records: the documents written so far and the PUTs refused. */
interface RunState {
  readonly done: Record<string, StoredDocument | null>;
  readonly refused: Refused;
}

/**
 * PUTs/DELETEs every document that differs (by reference: the journal keeps unchanged
 * documents' objects) between `before` and `after`, in DOCUMENT_NAMES order, one at a time,
 * recording each success in `run.done`.
 */
function pushChanged(
  before: SyncDocuments,
  after: SyncDocuments,
  known: DocumentStore,
  run: RunState,
  cmd: UpdateCommand,
  http: XcapHttp,
  ports: PipelinePorts,
): Observable<unknown> {
  const changed = DOCUMENT_NAMES.filter(
    (n) => cmd.discovery.supported.includes(n) && (after[n] ?? null) !== (before[n] ?? null),
  );
  return from(changed).pipe(
    concatMap((name) =>
      revalidated(name, known[name] ?? null, cmd, http, ports).pipe(
        concatMap((old) => write(name, old, after[name] ?? null, run, cmd, http, ports)),
      ),
    ),
  );
}

/** A 412 found without the server saying so: the machine refetches and replays. */
class StaleDocumentError extends Error {
  readonly status = 412;
}

/**
 * The stored document with an ETag to write against. A document we hold without an ETag
 * (the server answered a PUT without one, against RFC 4825 §7.11) would be written
 * unconditionally, overwriting whatever another client wrote meanwhile; GET it first: same
 * content, use the ETag it comes with; different, a conflict (robustness test "after a PUT
 * answered without an ETag, the next PUT is conditional").
 */
function revalidated(
  name: DocumentName,
  old: StoredDocument | null,
  cmd: UpdateCommand,
  http: XcapHttp,
  ports: PipelinePorts,
): Observable<StoredDocument | null> {
  if (old === null || old.etag !== null) return of(old);
  const app = applicationOf(name, cmd.discovery.presRulesAuid);
  return request(ports, { method: 'GET', auid: app.auid, filename: app.filename }, () =>
    http.get(app.auid, { filename: app.filename }),
  ).pipe(
    map((res) => {
      if (res.body !== old.content && !sameElement(ports.engine.parse(res.body), old.root))
        throw new StaleDocumentError(`${app.auid} changed on the server`);
      return { ...old, etag: res.etag };
    }),
    catchError((e: unknown) => {
      if (statusOf(e) === 404) throw new StaleDocumentError(`${app.auid} is gone`);
      throw e;
    }),
  );
}

/** PUTs `next` (or DELETEs the document when it is null) against `old`, recording success. */
function write(
  name: DocumentName,
  old: StoredDocument | null,
  next: XmlElement | null,
  run: RunState,
  cmd: UpdateCommand,
  http: XcapHttp,
  ports: PipelinePorts,
): Observable<unknown> {
  const done = run.done;
  const app = applicationOf(name, cmd.discovery.presRulesAuid);
  if (next === null) {
    if (old === null) return EMPTY;
    return request(ports, { method: 'DELETE', auid: app.auid, filename: app.filename }, () =>
      http.delete(app.auid, {
        filename: app.filename,
        ...(old.etag !== null ? { etag: old.etag } : {}),
      }),
    ).pipe(
      catchError((e: unknown) => {
        // Already gone: what we wanted.
        if (statusOf(e) === 404) return of(null);
        throw e;
      }),
      tap(() => {
        done[name] = null;
      }),
    );
  }
  // An edit of a document we hold with its ETag, on a server whose element writes are known:
  // element writes when they are smaller (./element-update.ts), else the whole document.
  const profile =
    old !== null && old.etag !== null
      ? ports.servers?.profile(cmd.connection.root, name)
      : undefined;
  if (profile !== undefined && old !== null && old.etag !== null) {
    const chain = elementChain({ ...old, etag: old.etag }, next, {
      app,
      root: cmd.connection.root,
      profile,
      http,
      ports,
      record: (doc) => {
        done[name] = doc;
      },
      refuse: () => ports.servers?.refuse(cmd.connection.root, name),
      whole: (current) => write(name, current, next, run, cmd, http, ports),
    });
    if (chain !== undefined) return chain;
  }
  let body: string;
  try {
    body = ports.engine.serialize(next);
  } catch (e) {
    // A tree that cannot be written comes from the held document (the operations' data is
    // validated): blame it, so that it is fetched again.
    blameOn(e, name);
    throw e;
  }
  const condition =
    old !== null && old.etag !== null
      ? { etag: old.etag }
      : old === null
        ? { ifNoneMatch: '*' }
        : {};
  // Never store what no reader can read back (a server may well accept it: Kamailio took a
  // 20.7 MB document): a document past the read limits is refused here like a 409, so that
  // the operation that grew it is found and dropped (test "an update that would write a
  // document past the read limits drops the operation that grew it").
  const over = writeLimitExceeded(body);
  if (over !== undefined) {
    const e = new XmlLimitError(over.limit, over.max);
    markTooLarge(e);
    return throwError(() => e);
  }
  const conditionKey = JSON.stringify(condition);
  const known409 = run.refused.get(name);
  if (known409 !== undefined && known409.condition === conditionKey && known409.body === body)
    return throwError(() => known409.error);
  return request(
    ports,
    { method: 'PUT', auid: app.auid, filename: app.filename, size: body.length },
    () =>
      http.put(app.auid, body, {
        filename: app.filename,
        contentType: app.mimeType,
        ...condition,
      }),
  ).pipe(
    tap({
      error: (e: unknown) => {
        if (statusOf(e) === 409) run.refused.set(name, { condition: conditionKey, body, error: e });
      },
    }),
    tap((res) => {
      const headers = res.headers?.['x-alternative-location'];
      done[name] = {
        content: body,
        etag: res.etag,
        root: next,
        ...(headers !== undefined ? { headers: { 'x-alternative-location': headers } } : {}),
      };
    }),
    map(() => name),
  );
}
