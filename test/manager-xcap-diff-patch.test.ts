/**
 * The manager applies a NOTIFY's complete xcap-diff patch (RFC 5874 §4.1) when the NOTIFY came
 * over a secured SIP connection (or the account opts in), and uses the result only once a GET
 * conditional on the patch's new ETag answers 304. Kamailio never sends patches
 * (test-server/README.md), so there is no integration test of this path: a fake diff port
 * delivers NOTIFY bodies decoded by the SIP layer's own mapping (parseXcapDiff +
 * changedDocuments), and a fake HTTP port plays the server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  filter,
  firstValueFrom,
  merge,
  type Observable,
  of,
  Subject,
  takeUntil,
  throwError,
  timeout,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { XcapHttpError } from '../src/client/errors.js';
import { changedDocuments, parseXcapDiff } from '../src/codecs/xcap-diff.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { sameElement } from '../src/codecs/xml/tree.js';
import type { XcapError } from '../src/errors.js';
import { createXcapManager } from '../src/manager.js';
import { Contact } from '../src/model/contact.js';
import { documentCache } from '../src/store/document-cache.js';
import { xmlDocumentChangeLog } from '../src/store/document-change-log.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type {
  DiffEvent,
  DiffPatchTrust,
  DiffPort,
  TraceEntry,
  XcapHttp,
} from '../src/streams/ports.js';
import { REFERENCE_LAYOUT_DIR } from './support/fixtures.js';

const ID = 'sip:alice@example.com';
const ROOT = 'http://xcap.test/xcap-root';
const XML = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
const CAPS =
  '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids><auid>resource-lists</auid>' +
  '<auid>rls-services</auid><auid>pres-rules</auid></auids><extensions/><namespaces/></xcap-caps>';
const WORK = 'id1720000000112446723539';
/** RFC 5261 §4.4: rename the group "Work" of the fixture to "Office". */
const RENAME = `<d:replace xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook"
  sel="rl:resource-lists/rl:list[@name=&quot;sipsimple_addressbook&quot;]/ab:group[@id=&quot;${WORK}&quot;]/ab:name/text()">Office</d:replace>`;
/** Fails to apply (RFC 5261 §5.1 unlocated-node): no such group. */
const BROKEN = `<d:remove xmlns:rl="urn:ietf:params:xml:ns:resource-lists" sel="rl:resource-lists/rl:list[@name=&quot;nope&quot;]"/>`;

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 5_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

/**
 * A NOTIFY naming resource-lists, as the SIP layer turns it into a `changed` event; `secure`:
 * it came over wss/tls.
 */
function notify(prev: string, ops: string, secure = true): DiffEvent {
  const body = `<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="${ROOT}/">
  <d:document sel="resource-lists/users/${ID}/index" previous-etag="${prev}" new-etag="e2">${ops}</d:document>
</d:xcap-diff>`;
  const documents = changedDocuments(parseXcapDiff(body), ID);
  return secure ? { type: 'changed', documents, secure } : { type: 'changed', documents };
}

/** RFC 5261 §4.4: rename the group "Work" to "Forged" (what no server did). */
const FORGED = RENAME.replace('>Office<', '>Forged<');

/**
 * Runs a manager to insync on a fake server holding the fixture, then lets the server rename
 * the group (new ETag e2) and delivers `event(cachedEtag)`. Returns what happened after it.
 */
async function afterNotify(
  event: (cachedEtag: string) => DiffEvent,
  options: {
    diffPatches?: DiffPatchTrust;
    /** Waits for this group name instead of "Office". */
    group?: (name: string | undefined) => boolean;
    /** An edit made once the NOTIFY is handled (it PUTs resource-lists). */
    edit?: (m: ReturnType<typeof createXcapManager>) => void;
  } = {},
) {
  const storage = memoryStorage();
  await documentCache(storage, ID).save({ 'resource-lists': { content: XML, etag: 'e1' } });
  const server: Record<string, { body: string; etag: string }> = {
    'resource-lists': { body: XML, etag: 'e1' },
  };
  let puts = 0;
  const notFound = (auid: string) =>
    new XcapHttpError({ status: 404, url: auid, method: 'GET', headers: {}, body: '' });
  const http: XcapHttp = {
    get: (auid, o) => {
      if (auid === 'xcap-caps') return of({ status: 200, etag: 'c', body: CAPS });
      const doc = server[auid];
      if (doc === undefined) return throwError(() => notFound(auid));
      if (o?.ifNoneMatch === doc.etag) return of({ status: 304, etag: doc.etag, body: '' });
      return of({ status: 200, etag: doc.etag, body: doc.body });
    },
    put: (auid, body) => {
      server[auid] = { body, etag: `p${++puts}` };
      return of({ status: 200, etag: `p${puts}` });
    },
    delete: () => throwError(() => new Error('fake: not used')),
  };
  const notify$ = new Subject<DiffEvent>();
  const sip: DiffPort = {
    watch: (_s, control) =>
      merge(of<DiffEvent>({ type: 'state', state: 'active' }), notify$).pipe(
        takeUntil(control.terminate$),
      ),
  };
  const m = createXcapManager({
    account: {
      id: ID,
      auth: { password: 'pw' },
      xcap: {
        root: ROOT,
        ...(options.diffPatches !== undefined ? { diffPatches: options.diffPatches } : {}),
      },
    },
    storage,
    http: () => http,
    sip,
  });
  const traces: TraceEntry[] = [];
  const errors: XcapError[] = [];
  m.trace$.subscribe((t) => traces.push(t));
  m.error$.subscribe((e) => errors.push(e));
  await m.load();
  await m.start();
  await wait(m.state$, (s) => s.state === 'insync');
  const cachedEtag = server['resource-lists']!.etag;
  const before = traces.length;
  // The server's document changes (the group is renamed); the NOTIFY announces it.
  const old = server['resource-lists']!.body;
  const renamed = old.replace(
    '<addressbook:name>Work</addressbook:name>',
    '<addressbook:name>Office</addressbook:name>',
  );
  expect(renamed).not.toBe(old);
  server['resource-lists'] = { body: renamed, etag: 'e2' };
  notify$.next(event(cachedEtag));
  const seen = options.group ?? ((name) => name === 'Office');
  const book = await wait(m.addressbook$, (b) => seen(b.groups.find((g) => g.id === WORK)?.name));
  await wait(m.state$, (s) => s.state === 'insync');
  if (options.edit !== undefined) {
    const put = wait(m.trace$, (t) => t.method === 'PUT');
    options.edit(m);
    await put;
    await wait(m.state$, (s) => s.state === 'insync');
  }
  await m.stop();
  const cache = await xmlDocumentChangeLog(storage, ID).load();
  return {
    server: renamed,
    gets: traces
      .slice(before)
      .filter((t) => t.method === 'GET')
      .map((t) => t.auid),
    /** Status of each GET after the NOTIFY. */
    statuses: traces
      .slice(before)
      .filter((t) => t.method === 'GET')
      .map((t) => t.status),
    /** The server's resource-lists at the end. */
    final: server['resource-lists']!.body,
    group: book.groups.find((g) => g.id === WORK)?.name,
    cached: cache['resource-lists'],
    errors,
  };
}

describe('manager: xcap-diff patches instead of GETs (fake diff port, fake server)', () => {
  it('a patched document is confirmed by a conditional GET before use: one 304, no body', async () => {
    const r = await afterNotify((etag) => notify(etag, RENAME));
    expect(r.gets).toEqual(['resource-lists']);
    expect(r.statuses).toEqual([304]);
    expect(r.group).toBe('Office');
    // Stored as fetched: ETag e2 and the patched text, so a later GET is conditional on e2.
    expect(r.cached?.etag).toBe('e2');
    // The patched document is the server's (by meaning: the server's text is the fixture's,
    // which rxcap serializes its own way): nothing to normalize or PUT.
    expect(sameElement(parseXml(r.cached!.content), parseXml(r.server))).toBe(true);
    expect(r.final).toBe(r.server);
    expect(r.errors).toEqual([]);
  });

  it('a patch over an unsecured SIP path is not applied: the document is fetched (200)', async () => {
    const r = await afterNotify((etag) => notify(etag, RENAME, false));
    expect(r.gets).toEqual(['resource-lists']);
    expect(r.statuses).toEqual([200]);
    expect(r.group).toBe('Office');
  });

  it('an account that opts in (xcap.diffPatches: always) applies it over tcp/ws too, confirmed by a 304', async () => {
    const r = await afterNotify((etag) => notify(etag, RENAME, false), { diffPatches: 'always' });
    expect(r.statuses).toEqual([304]);
    expect(r.cached?.etag).toBe('e2');
    expect(sameElement(parseXml(r.cached!.content), parseXml(r.server))).toBe(true);
  });

  it('xcap.diffPatches: never fetches even over a secured path', async () => {
    const r = await afterNotify((etag) => notify(etag, RENAME), { diffPatches: 'never' });
    expect(r.statuses).toEqual([200]);
  });

  it("a forged patch over plain TCP does not overwrite another device's change with the next PUT", async () => {
    // Another device renamed the group to "Office" (e2); a NOTIFY over an unsecured path claims
    // e1 -> e2 renamed it to "Forged". Before, the patch was applied without a GET and the next
    // whole-document PUT (If-Match: e2) wrote "Forged" over "Office".
    const bob = new Contact({ name: 'Bob', uris: [] });
    const r = await afterNotify((etag) => notify(etag, FORGED, false), {
      group: (name) => name !== 'Work',
      edit: (m) => m.addContact(bob),
    });
    expect(r.group).toBe('Office');
    expect(r.final).toContain('Bob');
    expect(r.final).toContain('<addressbook:name>Office</addressbook:name>');
    expect(r.final).not.toContain('Forged');
  });

  it('a previous-etag other than the cached one: the document is fetched', async () => {
    const r = await afterNotify(() => notify('someone-elses', RENAME));
    expect(r.gets).toEqual(['resource-lists']);
    expect(r.group).toBe('Office');
  });

  it('a patch that does not apply: fetched instead, nothing on error$', async () => {
    const r = await afterNotify((etag) => notify(etag, BROKEN));
    expect(r.gets).toEqual(['resource-lists']);
    expect(r.group).toBe('Office');
    expect(r.cached?.etag).toBe('e2');
    expect(sameElement(parseXml(r.cached!.content), parseXml(r.server))).toBe(true);
    expect(r.errors).toEqual([]);
  });

  it('a NOTIFY without patch (what Kamailio sends): fetched as before', async () => {
    const r = await afterNotify((etag) => notify(etag, ''));
    expect(r.gets).toEqual(['resource-lists']);
    expect(r.group).toBe('Office');
  });
});
