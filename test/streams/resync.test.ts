/**
 * A resync with nothing changed costs only conditional requests and no body: xcap-caps is
 * revalidated by its ETag, and a document known to be absent is asked for again only when
 * xcap-diff names it, at a poll, or after a connection settings change. A NOTIFY for a version
 * we hold (our own PUT's) costs no GET, also when it arrives before the PUT's answer. Marble
 * tests on fake ports; requests and body bytes are counted.
 */
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { MachineEvent, StoredDocument } from '../../src/streams/events.js';
import { type MachineStep, runMachine } from '../../src/streams/machine.js';
import type { DiffEvent, DiffPort, OperationData, TraceEntry } from '../../src/streams/ports.js';
import {
  FakeHttpError,
  fails,
  fakeDoc,
  fakeHttp,
  fakePorts,
  notModified,
  ok,
  type Recorded,
} from './fakes.js';

const settings = { id: 'alice@example.com', xcap: { root: 'http://xcap.test/xcap-root' } };
const CAPS = 'resource-lists,rls-services,pres-rules';
const started: MachineEvent = { type: 'started', settings };
const stop: MachineEvent = { type: 'stopRequested' };
/** The fake engine's operation setting resource-lists to `rl2`. */
const setRl2 = { type: 'set', doc: 'resource-lists', value: 'rl2' } as unknown as OperationData;
const stored = (v: string, etag: string): StoredDocument => ({
  content: v,
  etag,
  root: fakeDoc(v),
});

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

function collect(steps: Observable<MachineStep>, ts: TestScheduler, until: number) {
  const out: (MachineStep & { frame: number })[] = [];
  const sub = steps.subscribe((s) => out.push({ ...s, frame: ts.now() }));
  ts.schedule(() => sub.unsubscribe(), until);
  return out;
}

/**
 * A server holding resource-lists at `e1` (rls-services and pres-rules absent) that answers
 * conditional GETs with 304 and xcap-caps with ETag `c`.
 */
function server(ts: TestScheduler) {
  const http = fakeHttp(ts);
  http.route('GET xcap-caps', (req) =>
    req.options.ifNoneMatch === 'c' ? notModified(ts, 'c') : ok(ts, CAPS, 'c'),
  );
  http.route('GET resource-lists', (req) =>
    req.options.ifNoneMatch === 'e1' ? notModified(ts, 'e1') : ok(ts, 'rl', 'e1'),
  );
  return http;
}

const show = (rs: readonly Recorded[]) =>
  rs.map(
    (r) => `${r.method} ${r.auid}${r.options.ifNoneMatch ? ` ?${r.options.ifNoneMatch}` : ''}`,
  );
const bodies = (ts: readonly TraceEntry[]) => ts.reduce((a, t) => a + t.size, 0);

describe('resync with nothing changed (marble, fake ports)', () => {
  it('a resync with nothing changed makes only conditional requests and asks for no absent document', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = server(ts);
      const traces: TraceEntry[] = [];
      const out = collect(
        runMachine(
          hot('a 999ms s 999ms b', { a: started, s: stop, b: started }),
          fakePorts(ts, http, { traces }),
        ),
        ts,
        10_000,
      );
      ts.flush();
      const first = http.requests.filter((r) => r.frame < 1000);
      const resync = http.requests.filter((r) => r.frame >= 2000);
      expect(show(first)).toEqual([
        'GET xcap-caps',
        'GET resource-lists',
        'GET rls-services',
        'GET pres-rules',
      ]);
      // Two requests, both conditional, both 304: no body.
      expect(show(resync)).toEqual(['GET xcap-caps ?c', 'GET resource-lists ?e1']);
      const resyncTraces = traces.slice(first.length);
      expect(resyncTraces.map((t) => t.status)).toEqual([304, 304]);
      expect(bodies(resyncTraces)).toBe(0);
      expect(out.at(-1)?.context.state).toBe('insync');
      // The capabilities the 304 kept are the ones read the first time.
      expect(out.at(-1)?.context.discovery).toMatchObject({
        supported: ['resource-lists', 'rls-services', 'pres-rules'],
        capsEtag: 'c',
      });
    });
  });

  it('xcap-caps without an ETag is read again in full; a changed one gives the new capabilities', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      // No ETag at first; then one, and a different document on the third read.
      http.route('GET xcap-caps', (_req, n) =>
        n === 1
          ? ok(ts, CAPS, null)
          : n === 2
            ? ok(ts, CAPS, 'c')
            : ok(ts, `${CAPS},org.openxcap.dialog-rules`, 'c2'),
      );
      const out = collect(
        runMachine(
          hot('a 999ms s 999ms b 999ms t 999ms d', {
            a: started,
            s: stop,
            b: started,
            t: stop,
            d: started,
          }),
          fakePorts(ts, http),
        ),
        ts,
        10_000,
      );
      ts.flush();
      const caps = http.requests.filter((r) => r.auid === 'xcap-caps');
      expect(caps.map((r) => r.options.ifNoneMatch)).toEqual([undefined, undefined, 'c']);
      expect(out.at(-1)?.context.discovery?.supported).toContain('dialog-rules');
    });
  });

  it('a poll asks for the documents known to be absent again', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = server(ts);
      collect(runMachine(hot('a', { a: started }), fakePorts(ts, http)), ts, 130_000);
      ts.flush();
      const polled = http.requests.filter((r) => r.frame >= 120_000);
      expect(show(polled)).toEqual([
        'GET resource-lists ?e1',
        'GET rls-services',
        'GET pres-rules',
      ]);
    });
  });

  it('a connection settings change asks for the documents known to be absent again', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = server(ts);
      const change: MachineEvent = {
        type: 'settingsChanged',
        settings: { ...settings, auth: { password: 'new' } },
        kind: 'connection',
      };
      collect(
        runMachine(hot('a 999ms c', { a: started, c: change }), fakePorts(ts, http)),
        ts,
        10_000,
      );
      ts.flush();
      const after = http.requests.filter((r) => r.frame >= 1000);
      expect(show(after)).toEqual([
        'GET xcap-caps ?c',
        'GET resource-lists ?e1',
        'GET rls-services',
        'GET pres-rules',
      ]);
    });
  });

  it('a restart asks for no document the cache knows to be absent', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = server(ts);
      const cache: MachineEvent = {
        type: 'loaded',
        documents: {
          'resource-lists': stored('rl', 'e1'),
          'rls-services': null,
          'pres-rules': null,
        },
        journal: [],
      };
      collect(runMachine(hot('(la)', { l: cache, a: started }), fakePorts(ts, http)), ts, 10_000);
      ts.flush();
      expect(show(http.requests)).toEqual(['GET xcap-caps', 'GET resource-lists ?e1']);
    });
  });

  it('a full-state NOTIFY asks for no document it does not name and we know to be absent', () => {
    const ts = newScheduler();
    ts.run(({ hot, cold }) => {
      const http = server(ts);
      // Absent at start, created by another client before the NOTIFY.
      http.route('GET pres-rules', (_req, n) =>
        n === 1 ? fails(ts, new FakeHttpError(404)) : ok(ts, 'pr', 'p1'),
      );
      // At 100 ms: the full state names resource-lists at the ETag we hold, and pres-rules,
      // which another client created while we were away; rls-services is not named.
      const diff: DiffPort = {
        watch: () =>
          cold<DiffEvent>('a 99ms n', {
            a: { type: 'state', state: 'active' },
            n: {
              type: 'changed',
              fullState: true,
              documents: [
                { auid: 'resource-lists', newEtag: 'e1' },
                { auid: 'pres-rules', newEtag: 'p1' },
              ],
            },
          }),
      };
      collect(runMachine(hot('a', { a: started }), fakePorts(ts, http, { diff })), ts, 10_000);
      ts.flush();
      const after = http.requests.filter((r) => r.frame >= 50);
      expect(show(after)).toEqual(['GET pres-rules']);
    });
  });

  it.each([
    ['before its answer', 5],
    ['after its answer', 50],
  ])('the NOTIFY of our own PUT, arriving %s, costs no GET', (_when, at) => {
    const ts = newScheduler();
    ts.run(({ hot, cold }) => {
      const http = server(ts);
      // The PUT is answered after 20 ms with ETag e2.
      http.route('PUT resource-lists', () =>
        ts.createColdObservable('20ms (r|)', { r: { status: 200, etag: 'e2', headers: {} } }),
      );
      const notify: DiffEvent = {
        type: 'changed',
        documents: [{ auid: 'resource-lists', previousEtag: 'e1', newEtag: 'e2' }],
      };
      const diff: DiffPort = {
        watch: () =>
          cold<DiffEvent>(`a ${1000 + at - 1}ms n`, {
            a: { type: 'state', state: 'active' },
            n: notify,
          }),
      };
      const edit: MachineEvent = {
        type: 'journalAppended',
        entries: [{ id: 'op1', operation: setRl2 }],
      };
      const out = collect(
        runMachine(hot('a 999ms j', { a: started, j: edit }), fakePorts(ts, http, { diff })),
        ts,
        10_000,
      );
      ts.flush();
      const after = http.requests.filter((r) => r.frame >= 1000);
      expect(show(after)).toEqual(['PUT resource-lists']);
      expect(out.at(-1)?.context.state).toBe('insync');
      expect(out.at(-1)?.context.documents['resource-lists']?.etag).toBe('e2');
    });
  });

  it('a NOTIFY naming another version while our PUT is under way is fetched after it', () => {
    const ts = newScheduler();
    ts.run(({ hot, cold }) => {
      const http = server(ts);
      http.route('PUT resource-lists', () =>
        ts.createColdObservable('20ms (r|)', { r: { status: 200, etag: 'e2', headers: {} } }),
      );
      const diff: DiffPort = {
        watch: () =>
          cold<DiffEvent>('a 1004ms n', {
            a: { type: 'state', state: 'active' },
            n: { type: 'changed', documents: [{ auid: 'resource-lists', newEtag: 'e3' }] },
          }),
      };
      const edit: MachineEvent = {
        type: 'journalAppended',
        entries: [{ id: 'op1', operation: setRl2 }],
      };
      collect(
        runMachine(hot('a 999ms j', { a: started, j: edit }), fakePorts(ts, http, { diff })),
        ts,
        10_000,
      );
      ts.flush();
      const after = http.requests.filter((r) => r.frame >= 1000);
      expect(show(after)).toEqual(['PUT resource-lists', 'GET resource-lists ?e2']);
    });
  });
});
