/**
 * The fetch pipeline (fetching): a conditional GET (`If-None-Match` with the cached
 * ETag, RFC 4825 §7.11) of each requested document. 304 keeps the cache, 404 means absent.
 * A complete xcap-diff patch of the cached version (RFC 5874 §4.1) is applied and confirmed by a
 * GET conditional on its new ETag: one 304 instead of the whole document.
 */
import {
  catchError,
  concatMap,
  EMPTY,
  filter,
  from,
  map,
  type Observable,
  of,
  reduce,
  switchMap,
} from 'rxjs';
import { applicationOf, type DocumentName } from '../codecs/applications.js';
import { XmlParseError } from '../codecs/xml/errors.js';
import { isAuthFailure, statusOf, toXcapError } from './errors.js';
import type { DocumentStore, MachineCommand, MachineEvent, StoredDocument } from './events.js';
import { patchedDocument } from './patch.js';
import type { PipelinePorts } from './ports.js';
import { request } from './request.js';

type FetchCommand = Extract<MachineCommand, { type: 'fetch' }>;

/** What one GET found: a new version, absence, or no change. */
type FetchResult =
  | { name: DocumentName; doc: StoredDocument | null }
  | { name: DocumentName; unchanged: true };

/**
 * `(commands$, ports) => events$` for `fetch`; a new fetch or a `cancel` aborts the running one.
 *
 * @example fetchPipeline(commands$, ports).subscribe(dispatch)
 */
export function fetchPipeline(
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  return commands$.pipe(
    filter((c) => c.type === 'fetch' || c.type === 'cancel'),
    switchMap((c) => (c.type === 'fetch' ? fetchDocuments(c, ports) : EMPTY)),
  );
}

function fetchDocuments(cmd: FetchCommand, ports: PipelinePorts): Observable<MachineEvent> {
  const http = ports.http(cmd.connection);
  return from(cmd.names).pipe(
    // One document after the other: a small account has six, and a server is spared bursts.
    concatMap((name) => fetchOne(name, cmd, http, ports)),
    reduce(
      (acc, r) => {
        if ('unchanged' in r) return acc;
        return { documents: { ...acc.documents, [r.name]: r.doc }, changed: true };
      },
      { documents: {} as DocumentStore, changed: false },
    ),
    map((r): MachineEvent => ({ type: 'fetched', documents: r.documents, changed: r.changed })),
    catchError((e: unknown) =>
      of<MachineEvent>(
        isAuthFailure(e)
          ? { type: 'authFailed', error: toXcapError(e, 'fetch') }
          : { type: 'fetchFailed', error: toXcapError(e, 'fetch') },
      ),
    ),
  );
}

function fetchOne(
  name: DocumentName,
  cmd: FetchCommand,
  http: ReturnType<PipelinePorts['http']>,
  ports: PipelinePorts,
): Observable<FetchResult> {
  const app = applicationOf(name, cmd.discovery.presRulesAuid);
  const known = cmd.documents[name];
  // A complete xcap-diff patch of the cached version spares the body of the GET
  // (src/streams/patch.ts), never the GET: its result is used only once the server confirms
  // the patch's new ETag with a 304 (If-None-Match), since it becomes the base of our next
  // PUT (regression test "a patched document is confirmed by a conditional GET before use").
  const patched = patchedDocument(known, cmd.patches?.[name], ports.engine);
  const etag = patched?.etag ?? known?.etag ?? undefined;
  return request(ports, { method: 'GET', auid: app.auid, filename: app.filename }, () =>
    http.get(app.auid, {
      filename: app.filename,
      ...(etag !== undefined ? { ifNoneMatch: etag } : {}),
    }),
  ).pipe(
    map((res): FetchResult => {
      if (res.status === 304)
        return patched !== null ? { name, doc: patched } : { name, unchanged: true };
      if (known && res.etag !== null && res.etag === known.etag && res.body === known.content) {
        return { name, unchanged: true };
      }
      checkUtf8(res, app.auid);
      const doc: StoredDocument = {
        content: res.body,
        etag: res.etag,
        root: ports.engine.parse(res.body),
        ...(res.headers ? { headers: keptHeaders(res.headers) } : {}),
      };
      return { name, doc };
    }),
    catchError((e: unknown) => {
      // RFC 4825 §7.3: 404, the document does not exist (yet).
      if (statusOf(e) !== 404) throw e;
      return of<FetchResult>(known === null ? { name, unchanged: true } : { name, doc: null });
    }),
  );
}

/**
 * RFC 4825 §11.2 (`not-utf-8`): XCAP documents are UTF-8. The client decodes leniently (bad
 * bytes become U+FFFD), so a document with other bytes would be rewritten with replacement
 * characters by the next normalize and PUT back: refuse it instead (robustness test
 * "a document that is not UTF-8 is refused and not written back").
 */
function checkUtf8(res: { readonly body: string }, auid: string): void {
  const bytes = (res as { bytes?: unknown }).bytes;
  if (!(bytes instanceof Uint8Array)) return;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new XmlParseError(`the ${auid} document is not UTF-8 (RFC 4825 §11.2)`);
  }
}

/** Only headers the manager uses later (X-Alternative-Location of the icon). */
function keptHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const alt = headers['x-alternative-location'];
  if (alt !== undefined) out['x-alternative-location'] = alt;
  return out;
}
