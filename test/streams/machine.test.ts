import { distinctUntilChanged, filter, map, merge, NEVER, Observable, type Subscriber } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { DocumentName } from '../../src/codecs/applications.js';
import { XcapOperationRejectedError } from '../../src/streams/errors.js';
import type { MachineContext, MachineEvent, StoredDocument } from '../../src/streams/events.js';
import {
  type MachineStep,
  PIPELINES,
  type Pipeline,
  runMachine,
} from '../../src/streams/machine.js';
import type { DiffEvent, DiffPort, TraceEntry } from '../../src/streams/ports.js';
import {
  FakeHttpError,
  FakeNetworkError,
  fails,
  fakeDoc,
  fakeHttp,
  fakePorts,
  notModified,
  ok,
} from './fakes.js';

const settings = { id: 'alice@example.com', xcap: { root: 'http://xcap.test/xcap-root' } };
const CAPS = 'resource-lists,rls-services,pres-rules';
const S = {
  s: 'stopped',
  i: 'initializing',
  f: 'fetching',
  u: 'updating',
  y: 'insync',
  p: 'stopping',
} as const;
const started: MachineEvent = { type: 'started', settings };
const stop: MachineEvent = { type: 'stopRequested' };

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}
const states = (steps: Observable<MachineStep>) =>
  steps.pipe(
    map((s) => s.context.state),
    distinctUntilChanged(),
  );
const stored = (v: string, etag: string): StoredDocument => ({
  content: v,
  etag,
  root: fakeDoc(v),
});
const loaded = (
  docs: Partial<Record<DocumentName, StoredDocument>>,
  journal = [],
): MachineEvent => ({
  type: 'loaded',
  documents: docs,
  journal,
});
const set = (id: string, doc: DocumentName, value: string) => ({
  id,
  operation: { type: 'set', doc, value },
});

/** Runs the machine to `until` and returns the steps (with their frames) for inspection. */
function collect(
  steps: Observable<MachineStep>,
  ts: TestScheduler,
  until: number,
): (MachineStep & { frame: number })[] {
  const out: (MachineStep & { frame: number })[] = [];
  const sub = steps.subscribe((s) => out.push({ ...s, frame: ts.now() }));
  ts.schedule(() => sub.unsubscribe(), until);
  return out;
}
/** `frame:state` at every state change. */
const timeline = (steps: (MachineStep & { frame: number })[]) =>
  steps
    .filter((s, i) => i === 0 || steps[i - 1]!.context.state !== s.context.state)
    .map((s) => `${s.frame}:${s.context.state}`);
const errorsOf = (steps: MachineStep[]) =>
  steps.flatMap((s) => s.commands.flatMap((c) => (c.type === 'reportError' ? [c.error] : [])));
const last = (steps: MachineStep[]): MachineContext => steps[steps.length - 1]!.context;

describe('manager machine (marble, fake ports)', () => {
  it('start-up path: initializing -> fetching -> updating -> insync', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const steps = runMachine(hot('a', { a: started }), fakePorts(ts, http));
      // caps at 1; three 404 GETs at 2, 3, 4; nothing to PUT: insync at 4.
      expectObservable(states(steps), '^ 1000ms !').toBe('if--(uy)', S);
      ts.flush();
      expect(http.requests.map((r) => `${r.method} ${r.auid}@${r.frame}`)).toEqual([
        'GET xcap-caps@0',
        'GET resource-lists@1',
        'GET rls-services@2',
        'GET pres-rules@3',
      ]);
      expect(http.requests[0]?.options).toMatchObject({ global: true, filename: 'index' });
    });
  });

  it('a 304-only resync after the first fetch stays in sync without any PUT', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      for (const auid of ['resource-lists', 'rls-services', 'pres-rules']) {
        http.route(`GET ${auid}`, (req) => notModified(ts, String(req.options.ifNoneMatch)));
      }
      const cache = loaded({
        'resource-lists': stored('rl', 'e1'),
        'rls-services': stored('rls', 'e2'),
        'pres-rules': stored('pr', 'e3'),
      });
      const out = collect(
        runMachine(hot('(la)', { l: cache, a: started }), fakePorts(ts, http)),
        ts,
        200_000,
      );
      ts.flush();
      // Poll tick 2 minutes after the subscription turned out unavailable (frame 1).
      expect(timeline(out)).toEqual([
        '0:stopped',
        '0:initializing',
        '1:fetching',
        '4:updating',
        '4:insync',
        '120001:fetching',
        '120004:insync',
      ]);
      expect(http.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      const rl = http.requests.filter((r) => r.auid === 'resource-lists');
      expect(rl.map((r) => [r.frame, r.options.ifNoneMatch])).toEqual([
        [1, 'e1'],
        [120001, 'e1'],
      ]);
    });
  });

  it('412 on PUT: refetch, replay the journal on the new document, PUT with the new ETag', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET resource-lists', (req, n) =>
        n === 1 ? notModified(ts, String(req.options.ifNoneMatch)) : ok(ts, 'theirs', 'e2'),
      );
      http.route('PUT resource-lists', (_req, n) =>
        n === 1 ? fails(ts, new FakeHttpError(412)) : ok(ts, '', 'e3'),
      );
      const cache = loaded({ 'resource-lists': stored('rl', 'e1') }, [
        set('j1', 'resource-lists', 'mine'),
      ] as never);
      const out = collect(
        runMachine(hot('(la)', { l: cache, a: started }), fakePorts(ts, http)),
        ts,
        1000,
      );
      ts.flush();
      const puts = http.requests.filter((r) => r.method === 'PUT');
      expect(puts.map((p) => p.options.etag)).toEqual(['e1', 'e2']);
      expect(last(out).state).toBe('insync');
      expect(last(out).journal).toEqual([]);
      expect(last(out).documents['resource-lists']?.etag).toBe('e3');
      expect(out.map((s) => s.event.type)).toContain('conflict');
    });
  });

  it('a new document is PUT with If-None-Match *, an unchanged one is never PUT', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET pres-rules', () => ok(ts, 'same', 'p1'));
      http.route('PUT rls-services', () => ok(ts, '', 'r1'));
      const cache = loaded({}, [
        set('j1', 'rls-services', 'new'),
        set('j2', 'pres-rules', 'same'),
      ] as never);
      collect(runMachine(hot('(la)', { l: cache, a: started }), fakePorts(ts, http)), ts, 1000);
      ts.flush();
      const writes = http.requests.filter((r) => r.method !== 'GET');
      expect(writes.map((w) => [w.method, w.auid, w.options.ifNoneMatch, w.body])).toEqual([
        ['PUT', 'rls-services', '*', 'new'],
      ]);
    });
  });

  it('a document that became null is DELETEd with If-Match; an absent one is left alone', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET pres-rules', (req) => notModified(ts, String(req.options.ifNoneMatch)));
      http.route('DELETE pres-rules', () => ok(ts, '', null));
      const journal = [
        { id: 'j1', operation: { type: 'delete', doc: 'pres-rules' } },
        { id: 'j2', operation: { type: 'delete', doc: 'rls-services' } },
      ];
      const cache = loaded({ 'pres-rules': stored('pr', 'p1') }, journal as never);
      const out = collect(
        runMachine(hot('(la)', { l: cache, a: started }), fakePorts(ts, http)),
        ts,
        1000,
      );
      ts.flush();
      const writes = http.requests.filter((r) => r.method !== 'GET');
      expect(writes.map((w) => [w.method, w.auid, w.options.etag])).toEqual([
        ['DELETE', 'pres-rules', 'p1'],
      ]);
      expect(last(out).documents['pres-rules']).toBeNull();
      expect(last(out).state).toBe('insync');
    });
  });

  it('a non-transient PUT failure keeps what was written, reports, and retries on the new base', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('PUT resource-lists', (_r, n) => ok(ts, '', `rl${n}`));
      http.route('PUT rls-services', (_r, n) =>
        n === 1 ? fails(ts, new FakeHttpError(400)) : ok(ts, '', 'rls1'),
      );
      const journal = [set('j1', 'resource-lists', 'a'), set('j2', 'rls-services', 'b')];
      const out = collect(
        runMachine(
          hot('(la)', { l: loaded({}, journal as never), a: started }),
          fakePorts(ts, http),
        ),
        ts,
        10_000,
      );
      ts.flush();
      const puts = http.requests.filter((r) => r.method === 'PUT');
      // resource-lists once (the retry finds it already written: same content, no PUT), with
      // If-None-Match * as a new document; rls-services twice.
      expect(puts.map((p) => [p.auid, p.options.ifNoneMatch ?? p.options.etag])).toEqual([
        ['resource-lists', '*'],
        ['rls-services', '*'],
        ['rls-services', '*'],
      ]);
      expect(errorsOf(out).map((e) => (e as FakeHttpError).status)).toEqual([400]);
      expect(last(out).state).toBe('insync');
      expect(last(out).journal).toEqual([]);
      expect(last(out).documents['resource-lists']?.etag).toBe('rl1');
    });
  });

  it('transient failures are retried after 1 s, 2 s, 4 s (capped exponential backoff)', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', (_r, n) =>
        n <= 3 ? fails(ts, new FakeNetworkError()) : ok(ts, CAPS, 'c'),
      );
      const traces: TraceEntry[] = [];
      const out = collect(
        runMachine(hot('a', { a: started }), fakePorts(ts, http, { traces })),
        ts,
        20_000,
      );
      ts.flush();
      const caps = http.requests.filter((r) => r.auid === 'xcap-caps').map((r) => r.frame);
      // Fails at 1, retried at 1001; fails at 1002, retried at 3002; fails at 3003, retried at 7003.
      expect(caps).toEqual([0, 1001, 3002, 7003]);
      expect(traces.slice(0, 2).map((t) => [t.method, t.auid, t.error])).toEqual([
        ['GET', 'xcap-caps', 'RXCAP_NETWORK'],
        ['GET', 'xcap-caps', 'RXCAP_NETWORK'],
      ]);
      expect(errorsOf(out)).toEqual([]);
      expect(last(out).state).toBe('insync');
    });
  });

  it('401 is reported once and the manager waits for new settings (no hammering)', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET resource-lists', () => fails(ts, new FakeHttpError(401)));
      const newSettings: MachineEvent = {
        type: 'settingsChanged',
        settings: { ...settings, auth: { password: 'fixed' } },
        kind: 'connection',
      };
      const input = hot('a 599999ms s', { a: started, s: newSettings });
      const out = collect(runMachine(input, fakePorts(ts, http)), ts, 600_010);
      ts.flush();
      const errors = errorsOf(out);
      expect(errors.map((e) => (e as FakeHttpError).status)).toEqual([401, 401]);
      // 10 minutes of poll ticks brought no request; the new settings restarted initializing.
      const frames = http.requests.map((r) => `${r.auid}@${r.frame}`);
      expect(frames).toEqual([
        'xcap-caps@0',
        'resource-lists@1',
        'xcap-caps@600000',
        'resource-lists@600001',
      ]);
    });
  });

  it('409: the rejected operation is found, dropped with an error naming it, the rest syncs', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('PUT resource-lists', (_r, n) => ok(ts, '', `rl${n}`));
      http.route('PUT pres-rules', () => ok(ts, '', 'pr1'));
      http.route('PUT rls-services', (req) =>
        req.body === 'bad' ? fails(ts, new FakeHttpError(409)) : ok(ts, '', 'rls1'),
      );
      const journal = [
        set('j1', 'resource-lists', 'good'),
        set('j2', 'rls-services', 'bad'),
        set('j3', 'pres-rules', 'fine'),
      ];
      const out = collect(
        runMachine(
          hot('(la)', { l: loaded({}, journal as never), a: started }),
          fakePorts(ts, http),
        ),
        ts,
        1000,
      );
      ts.flush();
      const errors = errorsOf(out);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(XcapOperationRejectedError);
      expect((errors[0] as XcapOperationRejectedError).operationId).toBe('j2');
      expect((errors[0] as XcapOperationRejectedError).operation).toEqual(journal[1]!.operation);
      const c = last(out);
      expect(c.state).toBe('insync');
      expect(c.journal).toEqual([]);
      expect(c.documents['pres-rules']?.content).toBe('fine');
      expect(c.documents['resource-lists']?.content).toBe('good');
      // resource-lists was PUT once only: in isolation j1 changed nothing any more; j2 alone
      // gives the very request the server refused already, so it is not sent again.
      const puts = http.requests
        .filter((r) => r.method === 'PUT')
        .map((r) => `${r.auid}=${r.body}`);
      expect(puts).toEqual(['resource-lists=good', 'rls-services=bad', 'pres-rules=fine']);
    });
  });

  it('a 409 to a batch of one operation sends the PUT once', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('PUT rls-services', () => fails(ts, new FakeHttpError(409)));
      const journal = [set('j1', 'rls-services', 'bad')];
      const out = collect(
        runMachine(
          hot('(la)', { l: loaded({}, journal as never), a: started }),
          fakePorts(ts, http),
        ),
        ts,
        1000,
      );
      ts.flush();
      expect(http.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual(['bad']);
      const errors = errorsOf(out);
      expect(errors.map((e) => (e as XcapOperationRejectedError).operationId)).toEqual(['j1']);
      expect(last(out).state).toBe('insync');
      expect(last(out).journal).toEqual([]);
    });
  });

  it('an update that would write a document past the read limits drops the operation that grew it', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('PUT resource-lists', () => ok(ts, '', 'rl1'));
      http.route('PUT rls-services', () => ok(ts, '', 'rls1'));
      // 17 MiB: past the 16 MiB every reader (this client after a restart too) refuses.
      const huge = 'x'.repeat(17 * 1024 * 1024);
      const journal = [set('j1', 'resource-lists', 'small'), set('j2', 'rls-services', huge)];
      const out = collect(
        runMachine(
          hot('(la)', { l: loaded({}, journal as never), a: started }),
          fakePorts(ts, http),
        ),
        ts,
        1000,
      );
      ts.flush();
      const puts = http.requests.filter((r) => r.method === 'PUT');
      expect(puts.map((r) => `${r.auid}=${r.body!.length}`)).toEqual(['resource-lists=5']);
      const errors = errorsOf(out);
      expect(errors.map((e) => (e as XcapOperationRejectedError).operationId)).toEqual(['j2']);
      expect((errors[0]!.cause as { code?: string }).code).toBe('RXCAP_XML_LIMIT');
      expect(last(out).state).toBe('insync');
      expect(last(out).journal).toEqual([]);
    });
  });

  it('polls every 2 minutes while xcap-diff is down, not while it is active', () => {
    const ts = newScheduler();
    ts.run(({ hot, cold }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      // pending at 0, active at 200 s, failed at 600 s (relative to the SUBSCRIBE at frame 1).
      const diffEvents = cold<DiffEvent>('p 199999ms a 399999ms f', {
        p: { type: 'state', state: 'pending' },
        a: { type: 'state', state: 'active' },
        f: { type: 'state', state: 'failed' },
      });
      const diff: DiffPort = { watch: () => diffEvents.pipe((src) => src) };
      const out = collect(
        runMachine(hot('a', { a: started }), fakePorts(ts, http, { diff })),
        ts,
        1_000_000,
      );
      ts.flush();
      const fetches = http.requests.filter((r) => r.auid === 'resource-lists').map((r) => r.frame);
      // initial fetch at 1; polls at 120001 while pending; active from 200001; failure at
      // 600001 fetches at once, then polls every 120 s.
      expect(fetches).toEqual([1, 120001, 600001, 720001, 840001, 960001]);
      expect(out.some((s) => s.event.type === 'pollTick')).toBe(true);
    });
  });

  it('a NOTIFY fetches only the documents it names', () => {
    const ts = newScheduler();
    ts.run(({ hot, cold }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const diffEvents = cold<DiffEvent>('a 99ms n', {
        a: { type: 'state', state: 'active' },
        n: { type: 'changed', documents: [{ auid: 'pres-rules', newEtag: 'x' }] },
      });
      const diff: DiffPort = { watch: () => diffEvents };
      collect(runMachine(hot('a', { a: started }), fakePorts(ts, http, { diff })), ts, 10_000);
      ts.flush();
      const after = http.requests.filter((r) => r.frame > 50).map((r) => r.auid);
      expect(after).toEqual(['pres-rules']);
    });
  });

  describe('stop during each state', () => {
    const cases: [string, number][] = [
      ['initializing', 0],
      ['fetching', 2],
      ['updating', 10],
      ['insync', 20],
    ];
    it.each(cases)('stop while %s -> stopping -> stopped, work cancelled', (state, at) => {
      const ts = newScheduler();
      ts.run(({ hot }) => {
        const http = fakeHttp(ts);
        http.route('GET xcap-caps', () => ok(ts, CAPS, 'c', 1));
        http.route('GET resource-lists', () => ok(ts, 'x', 'e', 3));
        http.route('PUT rls-services', () => ok(ts, '', 'r', 10));
        const journal = [set('j1', 'rls-services', 'v')];
        const input = merge(
          hot('(la)', { l: loaded({}, journal as never), a: started }),
          hot(at === 0 ? 's' : `${at}ms s`, { s: stop }),
        );
        const out = collect(runMachine(input, fakePorts(ts, http)), ts, 100_000);
        ts.flush();
        const stopAt = out.findIndex((s) => s.event.type === 'stopRequested');
        expect(out[stopAt - 1]?.context.state).toBe(state);
        expect(timeline(out.slice(stopAt))).toEqual([`${at}:stopping`, `${at}:stopped`]);
        // Nothing is requested after the stop (no polling, no retries).
        expect(http.requests.filter((r) => r.frame > at + 1)).toEqual([]);
      });
    });
  });

  it('stop waits for the diff port to terminate the subscription', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const diff: DiffPort = {
        watch: (_s, control) =>
          new Observable<DiffEvent>((sub: Subscriber<DiffEvent>) => {
            sub.next({ type: 'state', state: 'active' });
            const t = control.terminate$.subscribe(() => {
              // The un-SUBSCRIBE takes 30 ms.
              ts.schedule(() => {
                sub.next({ type: 'state', state: 'terminated' });
                sub.complete();
              }, 30);
            });
            return () => t.unsubscribe();
          }),
      };
      const steps = runMachine(
        hot('a 99ms s', { a: started, s: stop }),
        fakePorts(ts, http, { diff }),
      );
      const stoppedAt = states(steps).pipe(map((s) => (s === 'stopped' ? ts.now() : -1)));
      const frames: number[] = [];
      const sub = stoppedAt.subscribe((f) => {
        if (f >= 0) frames.push(f);
      });
      ts.schedule(() => sub.unsubscribe(), 1000);
      ts.flush();
      expect(frames).toEqual([130]);
    });
  });

  it('a diff port that never terminates is dropped after the timeout', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const diff: DiffPort = { watch: () => NEVER };
      const out = collect(
        runMachine(hot('a 99ms s', { a: started, s: stop }), fakePorts(ts, http, { diff })),
        ts,
        10_000,
      );
      ts.flush();
      expect(timeline(out).slice(-2)).toEqual(['100:stopping', '5100:stopped']);
    });
  });

  it('subscription settings change renews only the subscription', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const watched: number[] = [];
      const diff: DiffPort = {
        watch: (s) => {
          watched.push(s.subscribeInterval);
          return NEVER;
        },
      };
      const change: MachineEvent = {
        type: 'settingsChanged',
        settings: { ...settings, sip: { subscribeInterval: 300 } },
        kind: 'subscription',
      };
      collect(
        runMachine(hot('a 99ms c', { a: started, c: change }), fakePorts(ts, http, { diff })),
        ts,
        1000,
      );
      ts.flush();
      expect(watched).toEqual([600, 300]);
      expect(http.requests.filter((r) => r.auid === 'xcap-caps')).toHaveLength(1);
    });
  });

  it('a document that does not parse is reported and refetched periodically with backoff', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      http.route('GET resource-lists', (_r, n) =>
        n <= 2 ? ok(ts, 'garbage', 'g') : ok(ts, 'fine', 'f'),
      );
      const ports = fakePorts(ts, http);
      const engine = {
        ...ports.engine,
        parse: (content: string) => {
          if (content === 'garbage') throw new Error('fake parse failure');
          return ports.engine.parse(content);
        },
      };
      const out = collect(runMachine(hot('a', { a: started }), { ...ports, engine }), ts, 60_000);
      ts.flush();
      // Fails at 2; retried 1 s later (fails at 1003), then 2 s later: parses at 3004.
      expect(http.requests.filter((r) => r.auid === 'resource-lists').map((r) => r.frame)).toEqual([
        1, 1002, 3003,
      ]);
      expect(errorsOf(out).map((e) => e.code)).toEqual(['RXCAP_SYNC', 'RXCAP_SYNC']);
      expect(last(out).state).toBe('insync');
      expect(last(out).documents['resource-lists']?.content).toBe('fine');
    });
  });

  it('a pipeline that throws (a bug) is reported, restarted, and the machine keeps running', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      let calls = 0;
      const buggy: Pipeline = (commands$) =>
        commands$.pipe(
          filter((c) => c.type === 'fetch'),
          map((): MachineEvent => {
            calls++;
            throw new Error('fake bug');
          }),
        );
      const out = collect(
        runMachine(
          hot('a 49999ms r', { a: started, r: { type: 'remoteChanged', documents: 'all' } }),
          fakePorts(ts, http),
          {
            pipelines: [...PIPELINES, buggy],
          },
        ),
        ts,
        100_000,
      );
      ts.flush();
      // The buggy pipeline died on both fetches and was resubscribed each time; the real
      // fetch pipeline still did its work.
      expect(calls).toBe(2);
      expect(errorsOf(out).map((e) => e.code)).toEqual(['RXCAP_SYNC', 'RXCAP_SYNC']);
      expect(out.some((s) => s.event.type === 'fetched')).toBe(true);
      expect(out.filter((s) => s.event.type === 'pipelineFailed')).toHaveLength(2);
      expect(last(out).state).toBe('insync');
    });
  });

  it('a server without the required AUIDs is reported once and not hammered', () => {
    const ts = newScheduler();
    ts.run(({ hot }) => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, 'resource-lists', 'c'));
      const out = collect(runMachine(hot('a', { a: started }), fakePorts(ts, http)), ts, 600_000);
      ts.flush();
      const errors = errorsOf(out);
      expect(errors.map((e) => e.code)).toEqual(['RXCAP_CAPABILITIES']);
      expect(errors[0]?.message).toContain('rls-services');
      expect(http.requests).toHaveLength(1);
    });
  });
});
