import { defer, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { diffPipeline } from '../../src/streams/diff.js';
import type { MachineCommand, MachineEvent } from '../../src/streams/events.js';
import type { DiffEvent, DiffPort, DiffSettings } from '../../src/streams/ports.js';
import { FakeNetworkError, fakeHttp, fakePorts } from './fakes.js';

const settings: DiffSettings = {
  aor: 'sip:alice@example.com',
  xcapRoot: 'http://x/xcap-root',
  xui: 'sip:alice@example.com',
  subscribeInterval: 600,
  documents: [
    'resource-lists/users/sip:alice@example.com/index',
    'org.openmobilealliance.pres-rules/users/sip:alice@example.com/index',
  ],
};
const subscribe = (enabled = true): MachineCommand => ({ type: 'subscribe', settings, enabled });

function run(
  ts: TestScheduler,
  commands: Observable<MachineCommand>,
  diff: DiffPort,
  until: number,
): { frame: number; event: MachineEvent }[] {
  const out: { frame: number; event: MachineEvent }[] = [];
  const sub = diffPipeline(commands, fakePorts(ts, fakeHttp(ts), { diff })).subscribe((event) =>
    out.push({ frame: ts.now(), event }),
  );
  ts.schedule(() => sub.unsubscribe(), until);
  return out;
}
const brief = (e: MachineEvent): string =>
  e.type === 'diffState'
    ? `state:${e.state}`
    : e.type === 'remoteChanged'
      ? `changed:${e.documents === 'all' ? 'all' : e.documents.join('+')}`
      : e.type;

describe('diff pipeline', () => {
  it('maps NOTIFYs to the documents they name, with their ETags, and resync to all', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold }) => {
      const port: DiffPort = {
        watch: () =>
          cold<DiffEvent>('a 9ms c 9ms r', {
            a: { type: 'state', state: 'active' },
            c: {
              type: 'changed',
              documents: [
                { auid: 'org.openmobilealliance.pres-rules', newEtag: 'p2' },
                { auid: 'some-other-app', newEtag: 'z' },
              ],
            },
            r: { type: 'resync' },
          }),
      };
      const out = run(ts, hot('s', { s: subscribe() }), port, 100);
      ts.flush();
      expect(out.map((o) => `${o.frame}:${brief(o.event)}`)).toEqual([
        '0:state:active',
        '10:changed:pres-rules',
        '20:changed:all',
      ]);
      const changed = out[1]?.event;
      expect(changed?.type === 'remoteChanged' && changed.etags).toEqual({ 'pres-rules': 'p2' });
    });
  });

  it('a full-state NOTIFY stands for every document: ETags for those it names, absent (null) for the rest', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold }) => {
      const port: DiffPort = {
        watch: () =>
          cold<DiffEvent>('a 9ms c', {
            a: { type: 'state', state: 'active' },
            c: {
              type: 'changed',
              fullState: true,
              documents: [{ auid: 'resource-lists', newEtag: 'e7' }],
            },
          }),
      };
      const out = run(ts, hot('s', { s: subscribe() }), port, 100);
      ts.flush();
      const changed = out[1]?.event;
      expect(changed?.type === 'remoteChanged' && changed.documents).toEqual([
        'resource-lists',
        'rls-services',
        'pres-rules',
        'dialog-rules',
        'pidf-manipulation',
        'pres-content',
      ]);
      // RFC 5875 §4.4.2: the documents it leaves out do not exist.
      expect(changed?.type === 'remoteChanged' && changed.etags).toEqual({
        'resource-lists': 'e7',
        'rls-services': null,
        'pres-rules': null,
        'dialog-rules': null,
        'pidf-manipulation': null,
        'pres-content': null,
      });
    });
  });

  it.each<[string, boolean | undefined, DiffSettings['patches'], boolean]>([
    ['over TLS, by default', true, undefined, true],
    ['over tcp/ws, by default', undefined, undefined, false],
    ['over tcp/ws, opted in', false, 'always', true],
    ['over TLS, never', true, 'never', false],
  ])(
    'patches of a NOTIFY %s (secure: %s, diffPatches: %s) passed on: %s',
    (_name, secure, patches, passed) => {
      const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
      ts.run(({ hot, cold }) => {
        const documents = [
          {
            auid: 'resource-lists',
            newEtag: 'e2',
            previousEtag: 'e1',
            patchComplete: true,
            patch: [{ op: 'remove' as const, sel: 'a/b', namespaces: {} }],
          },
        ];
        const port: DiffPort = {
          watch: () =>
            cold<DiffEvent>('c', {
              c:
                secure === undefined
                  ? { type: 'changed', documents }
                  : { type: 'changed', documents, secure },
            }),
        };
        const s: MachineCommand = {
          type: 'subscribe',
          settings: patches === undefined ? settings : { ...settings, patches },
          enabled: true,
        };
        const out = run(ts, hot('s', { s }), port, 100);
        ts.flush();
        const changed = out.find((o) => o.event.type === 'remoteChanged')?.event;
        expect(changed?.type === 'remoteChanged' && changed.patches !== undefined).toBe(passed);
      });
    },
  );

  it('a port that reports active and then fails every time is resubscribed with a growing delay', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    const frames: number[] = [];
    ts.run(({ hot }) => {
      const port: DiffPort = {
        watch: () =>
          defer(() => {
            frames.push(ts.now());
            return ts.createColdObservable<DiffEvent>(
              'a 9ms #',
              { a: { type: 'state', state: 'active' } },
              new FakeNetworkError(),
            );
          }),
      };
      run(ts, hot('s', { s: subscribe() }), port, 40_000);
      ts.flush();
    });
    // Before: `active` reset the count, so every retry waited the first delay (1 s): 37 watches.
    const gaps = frames.slice(1).map((f, i) => f - frames[i]!);
    expect(gaps).toEqual([1010, 2010, 4010, 8010, 16010]);
  });

  it('an erroring port is reported once and resubscribed with backoff; polling meanwhile', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      const frames: number[] = [];
      const port: DiffPort = {
        watch: () =>
          defer(() => {
            frames.push(ts.now());
            return ts.createColdObservable<DiffEvent>('1ms #', undefined, new FakeNetworkError());
          }),
      };
      const out = run(ts, hot('s', { s: subscribe() }), port, 130_000);
      ts.flush();
      // Fails at 1, retried after 1 s, 2 s, 4 s, ...
      expect(frames.slice(0, 4)).toEqual([0, 1001, 3002, 7003]);
      expect(out.filter((o) => o.event.type === 'diffFailed')).toHaveLength(1);
      expect(out.filter((o) => o.event.type === 'pollTick').map((o) => o.frame)).toEqual([120_000]);
    });
  });

  it("'failed' then completion resubscribes; 'unavailable' then completion does not", () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, cold }) => {
      let n = 0;
      const port: DiffPort = {
        watch: () =>
          defer(() => {
            n++;
            return cold<DiffEvent>('(s|)', {
              s: { type: 'state', state: n === 1 ? 'failed' : 'unavailable' },
            });
          }),
      };
      run(ts, hot('s', { s: subscribe() }), port, 100_000);
      ts.flush();
      expect(n).toBe(2);
    });
  });

  it('xcap-diff disabled in the settings: no SUBSCRIBE, polling only', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      let watched = 0;
      const port: DiffPort = {
        watch: () => {
          watched++;
          return hot('');
        },
      };
      const out = run(ts, hot('s', { s: subscribe(false) }), port, 250_000);
      ts.flush();
      expect(watched).toBe(0);
      expect(out.map((o) => `${o.frame}:${brief(o.event)}`)).toEqual([
        '0:state:unavailable',
        '120000:pollTick',
        '240000:pollTick',
      ]);
    });
  });

  it('unsubscribe without a subscription answers stopped at once and stops polling', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      const port: DiffPort = { watch: () => hot('') };
      const out = run(
        ts,
        hot<MachineCommand>('s 9ms u', { s: subscribe(false), u: { type: 'unsubscribe' } }),
        port,
        500_000,
      );
      ts.flush();
      expect(out.map((o) => `${o.frame}:${brief(o.event)}`)).toEqual([
        '0:state:unavailable',
        '10:stopped',
      ]);
    });
  });

  it('a subscription that ends on termination does not turn polling back on after stop', () => {
    // Regression: the port's completion after un-SUBSCRIBE reported "not active", which
    // restarted the 2-minute poll timer after stop() (a live timer kept Node processes up).
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      const port: DiffPort = {
        watch: (_s, { terminate$ }) =>
          new Observable<DiffEvent>((sub) => {
            sub.next({ type: 'state', state: 'failed' });
            const t = terminate$.subscribe(() => {
              sub.next({ type: 'state', state: 'terminated' });
              sub.complete();
            });
            return () => t.unsubscribe();
          }),
      };
      const out = run(
        ts,
        hot<MachineCommand>('s 9ms u', { s: subscribe(), u: { type: 'unsubscribe' } }),
        port,
        500_000,
      );
      ts.flush();
      expect(out.map((o) => `${o.frame}:${brief(o.event)}`)).toEqual([
        '0:state:failed',
        '10:state:terminated',
        '10:stopped',
      ]);
    });
  });
  it('stop after a connection change: stopped only once every subscription has terminated', () => {
    // Regression: the termination of the subscription replaced by a connection change (slow
    // un-SUBSCRIBE) answered the later stop's unsubscribe with 'stopped' while the newer
    // subscription was still being terminated, so stop() resolved with a live dialog.
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      const delays = [50, 100];
      const ended: number[] = [];
      const port: DiffPort = {
        watch: (_s, { terminate$ }) => {
          const delay = delays.shift()!;
          return new Observable<DiffEvent>((sub) => {
            sub.next({ type: 'state', state: 'active' });
            const t = terminate$.subscribe(() =>
              ts.schedule(() => {
                ended.push(ts.now());
                sub.complete();
              }, delay),
            );
            return () => t.unsubscribe();
          });
        },
      };
      const out = run(
        ts,
        hot<MachineCommand>('s 9ms u 9ms s 9ms u', {
          s: subscribe(),
          u: { type: 'unsubscribe' },
        }),
        port,
        1_000,
      );
      ts.flush();
      expect(ended).toEqual([60, 130]);
      const stopped = out.filter((o) => o.event.type === 'stopped').map((o) => o.frame);
      expect(stopped.length).toBeGreaterThan(0);
      expect(Math.min(...stopped)).toBe(130);
    });
  });
  it('a subscription replaced by new subscription settings is terminated, and stop waits for it', () => {
    // Regression: the replaced subscription was dropped, its un-SUBSCRIBE left to the port's
    // teardown outside the pipeline's sight, so a stop() right after a change of the
    // subscription settings resolved while the old dialog was still being ended.
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      const delays = [100, 5];
      const ended: number[] = [];
      const port: DiffPort = {
        watch: (_s, { terminate$ }) => {
          const delay = delays.shift()!;
          return new Observable<DiffEvent>((sub) => {
            sub.next({ type: 'state', state: 'active' });
            const t = terminate$.subscribe(() =>
              ts.schedule(() => {
                ended.push(ts.now());
                sub.complete();
              }, delay),
            );
            return () => t.unsubscribe();
          });
        },
      };
      const out = run(
        ts,
        hot<MachineCommand>('s 9ms s 9ms u', { s: subscribe(), u: { type: 'unsubscribe' } }),
        port,
        1_000,
      );
      ts.flush();
      expect(ended).toEqual([25, 110]);
      expect(out.filter((o) => o.event.type === 'stopped').map((o) => o.frame)).toEqual([110]);
    });
  });
  it('a replaced subscription ending late does not overwrite the new one’s state', () => {
    // Regression: the old subscription's "terminated", arriving after the new one was active,
    // left the machine believing xcap-diff was down, so a later failure of the new one
    // triggered no fetch (the seed: "if the subscription fails, a fetch ... is tried").
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot }) => {
      let n = 0;
      const port: DiffPort = {
        watch: (_s, { terminate$ }) => {
          const first = n++ === 0;
          return new Observable<DiffEvent>((sub) => {
            if (first) sub.next({ type: 'state', state: 'active' });
            else {
              sub.next({ type: 'state', state: 'pending' });
              ts.schedule(() => sub.next({ type: 'state', state: 'active' }), 10);
            }
            const t = terminate$.subscribe(() =>
              ts.schedule(() => {
                sub.next({ type: 'state', state: 'terminated' });
                sub.complete();
              }, 40),
            );
            return () => t.unsubscribe();
          });
        },
      };
      const out = run(ts, hot<MachineCommand>('s 9ms s', { s: subscribe() }), port, 1_000);
      ts.flush();
      expect(out.map((o) => `${o.frame}:${brief(o.event)}`)).toEqual([
        '0:state:active',
        '10:state:pending',
        '20:state:active',
      ]);
    });
  });
});
