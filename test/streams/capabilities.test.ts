import { of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { discoveryOf } from '../../src/streams/capabilities.js';
import type { MachineEvent } from '../../src/streams/events.js';
import { runMachine } from '../../src/streams/machine.js';
import { FakeHttpError, fakeHttp, fakePorts, ok } from './fakes.js';

const CAPS =
  'resource-lists,rls-services,org.openmobilealliance.pres-rules,pres-rules,org.openxcap.dialog-rules';
const noRoot = { id: 'alice@example.org', auth: { password: 'pw' } };

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}
function events(ts: TestScheduler, input: MachineEvent, ports: Parameters<typeof runMachine>[1]) {
  const out: MachineEvent[] = [];
  const sub = runMachine(of(input), ports).subscribe((s) => out.push(s.event));
  ts.schedule(() => sub.unsubscribe(), 50_000);
  return out;
}

describe('discoveryOf', () => {
  it('prefers the OMA pres-rules AUID and lists the optional documents offered', () => {
    const d = discoveryOf('http://h/xcap-root', {
      auids: CAPS.split(','),
      extensions: [],
      namespaces: [],
    });
    expect(d).toMatchObject({
      presRulesAuid: 'org.openmobilealliance.pres-rules',
      supported: ['resource-lists', 'rls-services', 'pres-rules', 'dialog-rules'],
    });
  });

  it('names every missing required AUID', () => {
    const d = discoveryOf('http://h/xcap-root', {
      auids: ['rls-services'],
      extensions: [],
      namespaces: [],
    });
    expect(d).toBeInstanceOf(Error);
    expect((d as unknown as { missing: string[] }).missing).toEqual([
      'resource-lists',
      'org.openmobilealliance.pres-rules or pres-rules',
    ]);
  });
});

describe('capabilities pipeline: the XCAP root from DNS TXT', () => {
  it('uses the first http(s) TXT string of xcap.<domain>', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const asked: string[] = [];
      const roots: string[] = [];
      const ports = fakePorts(ts, http, {
        dns: {
          resolveTxt: (name) => {
            asked.push(name);
            return of([['v=spf1 -all'], ['https://xcap.example.org', '/xcap-root/']]);
          },
        },
      });
      const base = ports.http;
      const out = events(
        ts,
        { type: 'started', settings: noRoot },
        {
          ...ports,
          http: (c) => {
            roots.push(c.root);
            return base(c);
          },
        },
      );
      ts.flush();
      expect(asked).toEqual(['xcap.example.org']);
      expect(roots[0]).toBe('https://xcap.example.org/xcap-root');
      expect(out.map((e) => e.type)).toContain('capabilitiesDiscovered');
    });
  });

  it('no TXT record with a URI: a typed error, reported once', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      const ports = fakePorts(ts, http, { dns: { resolveTxt: () => of([['hello']]) } });
      const out = events(ts, { type: 'started', settings: noRoot }, ports);
      ts.flush();
      const failed = out.filter((e) => e.type === 'capabilitiesFailed');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.type === 'capabilitiesFailed' && failed[0].error.code).toBe(
        'RXCAP_CAPABILITIES',
      );
      expect(http.requests).toEqual([]);
    });
  });

  it('a transient DNS failure (fake ETIMEOUT) is retried with backoff', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const frames: number[] = [];
      const ports = fakePorts(ts, http, {
        dns: {
          resolveTxt: () => {
            frames.push(ts.now());
            return frames.length < 3
              ? throwError(() => Object.assign(new Error('fake timeout'), { code: 'ETIMEOUT' }))
              : of([['http://xcap.example.org/xcap-root']]);
          },
        },
      });
      const out = events(ts, { type: 'started', settings: noRoot }, ports);
      ts.flush();
      expect(frames).toEqual([0, 1000, 3000]);
      expect(out.map((e) => e.type)).toContain('capabilitiesDiscovered');
    });
  });

  it('a Retry-After on a fake 503 delays the retry beyond the backoff', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', (_r, n) =>
        n === 1
          ? ts.createColdObservable('1ms #', undefined, new FakeHttpError(503))
          : ok(ts, CAPS, 'c'),
      );
      const ports = fakePorts(ts, http, {
        retryAfterMs: (e) => ((e as FakeHttpError).status === 503 ? 30_000 : undefined),
        dns: { resolveTxt: () => of([['http://xcap.example.org/xcap-root']]) },
      });
      events(ts, { type: 'started', settings: noRoot }, ports);
      ts.flush();
      expect(http.requests.filter((r) => r.auid === 'xcap-caps').map((r) => r.frame)).toEqual([
        0, 30_001,
      ]);
    });
  });
});
