/**
 * xcap-diff patches instead of refetching (RFC 5874 §4.1). Kamailio never sends patches
 * (test-server/README.md), so there is no integration test of this path: the NOTIFYs come from
 * a fake diff port, their patches are decoded by the real codec from xcap-diff bodies.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { changedDocuments, parseXcapDiff } from '../../src/codecs/xcap-diff.js';
import type { MachineContext, MachineEvent, StoredDocument } from '../../src/streams/events.js';
import { type MachineStep, runMachine } from '../../src/streams/machine.js';
import {
  MAX_PATCH_OPERATIONS,
  mergePatches,
  type PatchSet,
  patchedDocument,
  patchesFor,
  patchesOfDiff,
} from '../../src/streams/patch.js';
import type { DiffDocument, DiffEvent, DiffPort, TraceEntry } from '../../src/streams/ports.js';
import { initialContext, transition } from '../../src/streams/transition.js';
import { fakeDoc, fakeEngine, fakeHttp, fakePorts, notModified, ok } from './fakes.js';

const XUI = 'sip:alice@example.com';
const settings = { id: XUI, xcap: { root: 'http://xcap.test/xcap-root' } };
const CAPS = 'resource-lists,rls-services,pres-rules';

/** The documents of a NOTIFY naming resource-lists, as the SIP layer reports them. */
function notifyDocs(prev: string | null, next: string, ops: string): DiffDocument[] {
  const p = prev === null ? '' : ` previous-etag="${prev}"`;
  const body = `<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.test/xcap-root/">
  <d:document sel="resource-lists/users/${XUI}/index"${p} new-etag="${next}">${ops}</d:document>
</d:xcap-diff>`;
  return changedDocuments(parseXcapDiff(body), XUI);
}
/** Sets the fake engine's whole content (`<doc v="..."/>`). */
const setV = (v: string) => `<d:replace sel="doc/@v">${v}</d:replace>`;
/** Fails to apply: there is no such element (RFC 5261 §5.1 unlocated-node). */
const BROKEN = '<d:remove sel="doc/missing"/>';

const stored = (v: string, etag: string): StoredDocument => ({
  content: v,
  etag,
  root: fakeDoc(v),
});

interface Run {
  steps: MachineStep[];
  gets: string[];
  traces: TraceEntry[];
}

/**
 * A manager in sync with a cache (resource-lists 'rl' at e1) receives one NOTIFY at frame 100
 * from a fake diff port, over a secured connection unless `secure` is false. After the initial
 * GET, the fake server's resource-lists is at `serverEtag` (default e2, the ETag the NOTIFYs
 * announce): a GET conditional on it answers 304, any other GET 'fetched' with that ETag.
 */
function runNotify(
  documents: readonly DiffDocument[],
  { secure = true, serverEtag = 'e2' }: { secure?: boolean; serverEtag?: string } = {},
): Run {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const out: Run = { steps: [], gets: [], traces: [] };
  ts.run(({ hot, cold }) => {
    const http = fakeHttp(ts);
    http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
    http.route('GET resource-lists', (req, n) =>
      n === 1 || req.options.ifNoneMatch === serverEtag
        ? notModified(ts, String(req.options.ifNoneMatch))
        : ok(ts, 'fetched', serverEtag),
    );
    for (const auid of ['rls-services', 'pres-rules'])
      http.route(`GET ${auid}`, (req) => notModified(ts, String(req.options.ifNoneMatch)));
    const events = cold<DiffEvent>('a 99ms n', {
      a: { type: 'state', state: 'active' },
      n: secure ? { type: 'changed', documents, secure } : { type: 'changed', documents },
    });
    const diff: DiffPort = { watch: () => events };
    const load: MachineEvent = {
      type: 'loaded',
      documents: {
        'resource-lists': stored('rl', 'e1'),
        'rls-services': stored('rls', 'r1'),
        'pres-rules': stored('pr', 'p1'),
      },
      journal: [],
    };
    const input = hot<MachineEvent>('(la)', { l: load, a: { type: 'started', settings } });
    const ports = fakePorts(ts, http, { diff, traces: out.traces });
    const sub = runMachine(input, ports).subscribe((s) => out.steps.push(s));
    ts.schedule(() => sub.unsubscribe(), 10_000);
    ts.flush();
    out.gets = http.requests
      .filter((r) => r.frame >= 100)
      .map((r) => `${r.method} ${r.auid} ${String(r.options.ifNoneMatch)}`);
  });
  return out;
}

const last = (r: Run): MachineContext => r.steps[r.steps.length - 1]!.context;
/** The resource-lists content of every emitData after the NOTIFY (the data streams' input). */
const emitted = (r: Run): (string | undefined)[] => {
  const at = r.steps.findIndex((s) => s.event.type === 'remoteChanged');
  return r.steps
    .slice(at)
    .flatMap((s) => s.commands)
    .flatMap((c) => (c.type === 'emitData' ? [c.documents['resource-lists']?.content] : []));
};
const errors = (r: Run) =>
  r.steps.flatMap((s) => s.commands.filter((c) => c.type === 'reportError'));

describe('xcap-diff patches in the manager machine (marble, fake diff port)', () => {
  it('a complete patch of the cached version is applied once a GET conditional on its new ETag answers 304', () => {
    const r = runNotify(notifyDocs('e1', 'e2', setV('rl-patched')));
    expect(r.gets).toEqual(['GET resource-lists e2']);
    expect(
      r.traces
        .filter((t) => t.method === 'GET' && t.auid === 'resource-lists')
        .map((t) => t.status),
    ).toEqual([304, 304]);
    expect(last(r).documents['resource-lists']).toMatchObject({
      content: 'rl-patched',
      etag: 'e2',
    });
    expect(emitted(r)).toEqual(['rl-patched']);
    // Treated like a fetched document: normalize, update, saved to the cache, in sync.
    const types = r.steps.map((s) => s.event.type);
    expect(types.slice(types.indexOf('remoteChanged'))).toEqual([
      'remoteChanged',
      'fetched',
      'updated',
    ]);
    expect(last(r).state).toBe('insync');
    expect(errors(r)).toEqual([]);
  });

  it('a confirming GET that finds another version uses the server document, never the patched one', () => {
    const r = runNotify(notifyDocs('e1', 'e2', setV('rl-patched')), { serverEtag: 'e3' });
    expect(r.gets).toEqual(['GET resource-lists e2']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e3' });
    expect(emitted(r)).toEqual(['fetched']);
  });

  it('a patch over an unsecured SIP connection is not applied: GET conditional on the cached ETag', () => {
    const r = runNotify(notifyDocs('e1', 'e2', setV('rl-patched')), { secure: false });
    expect(r.gets).toEqual(['GET resource-lists e1']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e2' });
    expect(emitted(r)).toEqual(['fetched']);
  });

  it('a NOTIFY with more operations than the cap is fetched, not applied', () => {
    const ops = setV('rl-patched').repeat(MAX_PATCH_OPERATIONS + 1);
    const r = runNotify(notifyDocs('e1', 'e2', ops));
    expect(r.gets).toEqual(['GET resource-lists e1']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e2' });
    // At the cap, it is applied.
    const at = runNotify(notifyDocs('e1', 'e2', setV('rl-patched').repeat(MAX_PATCH_OPERATIONS)));
    expect(at.gets).toEqual(['GET resource-lists e2']);
  });

  it('a patch that replaces the root element is refused: the document is fetched', () => {
    const r = runNotify(notifyDocs('e1', 'e2', '<d:replace sel="doc"><other v="x"/></d:replace>'));
    expect(r.gets).toEqual(['GET resource-lists e1']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e2' });
    expect(errors(r)).toEqual([]);
  });

  it('another previous-etag than the cached one: GET as before', () => {
    const r = runNotify(notifyDocs('e0', 'e2', setV('rl-patched')), { serverEtag: 'e9' });
    expect(r.gets).toEqual(['GET resource-lists e1']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e9' });
    expect(emitted(r)).toEqual(['fetched']);
  });

  it('a patch that does not apply falls back to the GET, without reporting an error', () => {
    const r = runNotify(notifyDocs('e1', 'e2', BROKEN), { serverEtag: 'e9' });
    expect(r.gets).toEqual(['GET resource-lists e1']);
    expect(last(r).documents['resource-lists']).toMatchObject({ content: 'fetched', etag: 'e9' });
    expect(emitted(r)).toEqual(['fetched']);
    expect(errors(r)).toEqual([]);
    expect(last(r)).toMatchObject({ state: 'insync', blocked: null });
  });

  it('a NOTIFY without patch (Kamailio) or with an incomplete one: GET as before', () => {
    for (const docs of [
      notifyDocs('e1', 'e2', ''),
      notifyDocs('e1', 'e2', '<d:body-not-changed/>'),
      notifyDocs(null, 'e2', setV('rl-patched')),
    ]) {
      const r = runNotify(docs, { serverEtag: 'e9' });
      expect(r.gets).toEqual(['GET resource-lists e1']);
      expect(last(r).documents['resource-lists']?.content).toBe('fetched');
    }
  });
});

describe('xcap-diff patches with journaled operations (marble)', () => {
  it('a patch pending behind a fetch, with a new operation: replayed on the patched version', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET resource-lists', (req) => notModified(ts, String(req.options.ifNoneMatch)));
      http.route('GET pres-rules', (req) => notModified(ts, String(req.options.ifNoneMatch)));
      // The diff port is watched from frame 1: NOTIFYs at 101 and 111. The second GET of
      // rls-services (101) takes 50 ms; the patch and the operation (117) arrive meanwhile.
      http.route('GET rls-services', (req, n) =>
        n === 1 ? notModified(ts, String(req.options.ifNoneMatch)) : ok(ts, 'rls2', 'r2', 50),
      );
      http.route('PUT resource-lists', () => ok(ts, '', 'e3'));
      const events = cold<DiffEvent>('a 99ms n 9ms p', {
        a: { type: 'state', state: 'active' },
        n: { type: 'changed', documents: [{ auid: 'rls-services', newEtag: 'r2' }] },
        p: { type: 'changed', documents: notifyDocs('e1', 'e2', setV('rl-patched')), secure: true },
      });
      const load: MachineEvent = {
        type: 'loaded',
        documents: {
          'resource-lists': stored('rl', 'e1'),
          'rls-services': stored('rls', 'r1'),
          'pres-rules': stored('pr', 'p1'),
        },
        journal: [],
      };
      const op = { id: 'j1', operation: { type: 'set', doc: 'resource-lists', value: 'mine' } };
      const input = hot<MachineEvent>('(la) 116ms j', {
        l: load,
        a: { type: 'started', settings },
        j: { type: 'journalAppended', entries: [op] },
      });
      const steps: MachineStep[] = [];
      const ports = fakePorts(ts, http, { diff: { watch: () => events } });
      const sub = runMachine(input, ports).subscribe((st) => steps.push(st));
      ts.schedule(() => sub.unsubscribe(), 10_000);
      ts.flush();
      const late = http.requests.filter((r) => r.frame >= 100);
      // The patch applied once the rls-services fetch ended, confirmed by a 304 to a GET
      // conditional on its new ETag, and the operation was replayed on it, PUT with If-Match
      // of the patched version.
      expect(late.map((r) => `${r.method} ${r.auid}@${r.frame}`)).toEqual([
        'GET rls-services@101',
        'GET resource-lists@151',
        'PUT resource-lists@152',
      ]);
      expect(late[1]).toMatchObject({ options: { ifNoneMatch: 'e2' } });
      expect(late[2]).toMatchObject({ body: 'mine', options: { etag: 'e2' } });
      const end = steps[steps.length - 1]!.context;
      expect(end).toMatchObject({ state: 'insync', journal: [] });
      expect(end.documents['resource-lists']?.etag).toBe('e3');
    });
  });
});

describe('patch helpers (pure)', () => {
  const patch = {
    previousEtag: 'e1',
    newEtag: 'e2',
    ops: notifyDocs('e1', 'e2', setV('x'))[0]!.patch!,
  };

  it('patchedDocument: quotes ignored, headers kept, content and tree as if fetched', () => {
    const known = { ...stored('rl', '"e1"'), headers: { 'x-alternative-location': 'http://a' } };
    expect(patchedDocument(known, patch, fakeEngine)).toEqual({
      content: 'x',
      etag: 'e2',
      root: fakeDoc('x'),
      headers: { 'x-alternative-location': 'http://a' },
    });
    expect(patchedDocument(stored('rl', 'W/"e1"'), patch, fakeEngine)?.content).toBe('x');
  });

  it('patchedDocument: null (GET) without patch, cache or matching ETag, or when serializing fails', () => {
    expect(patchedDocument(stored('rl', 'e1'), undefined, fakeEngine)).toBeNull();
    expect(patchedDocument(undefined, patch, fakeEngine)).toBeNull();
    expect(patchedDocument(null, patch, fakeEngine)).toBeNull();
    expect(patchedDocument({ ...stored('rl', 'e1'), etag: null }, patch, fakeEngine)).toBeNull();
    expect(patchedDocument(stored('rl', 'e0'), patch, fakeEngine)).toBeNull();
    const throwing = {
      ...fakeEngine,
      serialize: () => {
        throw new Error('fake serializer failure');
      },
    };
    expect(patchedDocument(stored('rl', 'e1'), patch, throwing)).toBeNull();
  });

  it('patchesOfDiff keeps complete patches of the named documents only', () => {
    const docs: DiffDocument[] = [
      ...notifyDocs('e1', 'e2', setV('x')),
      {
        auid: 'rls-services',
        newEtag: 'r2',
        previousEtag: 'r1',
        patch: patch.ops,
        patchComplete: false,
      },
      {
        auid: 'pres-rules',
        newEtag: null,
        previousEtag: 'p1',
        patch: patch.ops,
        patchComplete: true,
      },
    ];
    const names = ['resource-lists', 'rls-services', 'pres-rules'] as const;
    expect(patchesOfDiff(docs, names, 'pres-rules')).toEqual({ 'resource-lists': patch });
    expect(patchesOfDiff(docs, ['rls-services'], 'pres-rules')).toBeUndefined();
  });

  it('patchesFor and mergePatches: restricted to the fetched names, newer wins', () => {
    const other = { ...patch, previousEtag: 'e2', newEtag: 'e3' };
    const set: PatchSet = { 'resource-lists': patch, 'pres-rules': patch };
    expect(patchesFor(set, ['pres-rules'])).toEqual({ 'pres-rules': patch });
    expect(patchesFor(set, ['rls-services'])).toBeUndefined();
    expect(mergePatches(set, { 'resource-lists': other })).toEqual({
      'resource-lists': other,
      'pres-rules': patch,
    });
    expect(mergePatches(undefined, set)).toBe(set);
    expect(mergePatches(set, undefined)).toBe(set);
  });
});

describe('transition carries patches to the fetch command', () => {
  const discovery = {
    root: 'http://xcap.test/xcap-root',
    capabilities: { auids: CAPS.split(','), extensions: [], namespaces: [] },
    presRulesAuid: 'pres-rules',
    supported: ['resource-lists', 'rls-services', 'pres-rules'] as const,
  };
  const base: MachineContext = {
    ...initialContext(),
    settings,
    discovery: { ...discovery, supported: [...discovery.supported] },
    documents: { 'resource-lists': stored('rl', 'e1') },
  };
  const patch = { previousEtag: 'e1', newEtag: 'e2', ops: [] };
  const changed = (patches: PatchSet): MachineEvent => ({
    type: 'remoteChanged',
    documents: ['resource-lists'],
    etags: { 'resource-lists': 'e2' },
    patches,
  });
  const fetchOf = (commands: readonly { type: string }[]) =>
    commands.find((c) => c.type === 'fetch') as { patches?: PatchSet } | undefined;

  it('in sync: the fetch command carries the patch', () => {
    const r = transition({ ...base, state: 'insync' }, changed({ 'resource-lists': patch }));
    expect(fetchOf(r.commands)?.patches).toEqual({ 'resource-lists': patch });
  });

  it('while updating: kept with the pending fetch and used when it runs', () => {
    const busy = transition({ ...base, state: 'updating' }, changed({ 'resource-lists': patch }));
    expect(busy.commands).toEqual([]);
    const done = transition(busy.context, { type: 'updated', documents: {}, appliedIds: [] });
    expect(fetchOf(done.commands)?.patches).toEqual({ 'resource-lists': patch });
    // The next pending fetch starts without the consumed patches.
    const next = transition(
      { ...done.context, state: 'updating' },
      { type: 'remoteChanged', documents: ['pres-rules'] },
    );
    expect(next.context.pendingPatches).toBeUndefined();
  });
});
