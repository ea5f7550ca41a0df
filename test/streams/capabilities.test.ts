import { of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import { checkAccountSettings } from '../../src/manager/account.js';
import { discoveryOf } from '../../src/streams/capabilities.js';
import { XcapCapabilitiesError } from '../../src/streams/errors.js';
import type { MachineEvent } from '../../src/streams/events.js';
import { runMachine } from '../../src/streams/machine.js';
import type { Connection } from '../../src/streams/ports.js';
import {
  type AccountSettings,
  classifySettingsChange,
  connectionOf,
} from '../../src/streams/settings.js';
import { FakeHttpError, fakeHttp, fakePorts, ok } from './fakes.js';

const CAPS =
  'resource-lists,rls-services,org.openmobilealliance.pres-rules,pres-rules,org.openxcap.dialog-rules';
const noRoot: AccountSettings = { id: 'alice@example.org', auth: { password: 'pw' } };

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
              : of([['https://xcap.example.org/xcap-root']]);
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
        dns: { resolveTxt: () => of([['https://xcap.example.org/xcap-root']]) },
      });
      events(ts, { type: 'started', settings: noRoot }, ports);
      ts.flush();
      expect(http.requests.filter((r) => r.auid === 'xcap-caps').map((r) => r.frame)).toEqual([
        0, 30_001,
      ]);
    });
  });
});

describe('a root from DNS stays on the account’s domain', () => {
  /** Runs discovery with the given TXT records; returns the roots the HTTP port was built for. */
  function discoverWith(records: string[][], settings: AccountSettings = noRoot) {
    const ts = newScheduler();
    let result: { out: MachineEvent[]; roots: string[]; connections: Connection[] } | undefined;
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
      const connections: Connection[] = [];
      const ports = fakePorts(ts, http, { dns: { resolveTxt: () => of(records) } });
      const base = ports.http;
      const out = events(
        ts,
        { type: 'started', settings },
        {
          ...ports,
          http: (c) => {
            connections.push(c);
            return base(c);
          },
        },
      );
      ts.flush();
      result = { out, roots: connections.map((c) => c.root), connections };
    });
    return result!;
  }

  it.each([
    ['another domain', 'https://xcap.attacker.net/xcap-root'],
    ['a look-alike suffix', 'https://xcap.example.org.attacker.net/xcap-root'],
    ['a name merely ending in the domain', 'https://notexample.org/xcap-root'],
    ['an address', 'https://192.0.2.7/xcap-root'],
  ])('refuses a TXT root on %s with RXCAP_CAPABILITIES, sending nothing', (_name, uri) => {
    const { out, roots } = discoverWith([[uri]]);
    const failed = out.filter((e) => e.type === 'capabilitiesFailed');
    expect(failed).toHaveLength(1);
    const error = failed[0]!.type === 'capabilitiesFailed' ? failed[0]!.error : undefined;
    expect(error?.code).toBe('RXCAP_CAPABILITIES');
    expect(error?.message).toContain('not example.org or a subdomain of it');
    expect(error?.message).toContain('xcap.root');
    expect(roots).toEqual([]);
  });

  it.each([
    ['the domain itself', 'https://example.org/xcap-root'],
    ['a subdomain, any case, with a trailing dot', 'https://XCAP.Example.ORG./xcap-root'],
  ])('accepts %s', (_name, uri) => {
    const { out, roots } = discoverWith([[uri]]);
    expect(out.map((e) => e.type)).toContain('capabilitiesDiscovered');
    expect(new Set(roots)).toEqual(new Set([uri]));
  });

  it('skips a foreign record for one on the domain', () => {
    const { roots } = discoverWith([
      ['https://xcap.attacker.net/xcap-root'],
      ['https://xcap.example.org/xcap-root'],
    ]);
    expect(new Set(roots)).toEqual(new Set(['https://xcap.example.org/xcap-root']));
  });

  it('a plain-http root from DNS is refused unless allowInsecureDiscoveredRoot, sending nothing', () => {
    // Before: the http root was used and the Digest exchange answered in cleartext.
    const { out, roots } = discoverWith([['http://xcap.example.org/xcap-root']]);
    const failed = out.filter((e) => e.type === 'capabilitiesFailed');
    expect(failed).toHaveLength(1);
    const error = failed[0]!.type === 'capabilitiesFailed' ? failed[0]!.error : undefined;
    expect(error).toBeInstanceOf(XcapCapabilitiesError);
    expect(error?.code).toBe('RXCAP_CAPABILITIES');
    expect(error?.message).toContain('only plain http');
    expect(error?.message).toContain('xcap.allowInsecureDiscoveredRoot');
    expect((error as XcapCapabilitiesError).root).toBe('http://xcap.example.org/xcap-root');
    expect(roots).toEqual([]);

    const optedIn = discoverWith([['http://xcap.example.org/xcap-root']], {
      ...noRoot,
      xcap: { allowInsecureDiscoveredRoot: true },
    });
    expect(optedIn.out.map((e) => e.type)).toContain('capabilitiesDiscovered');
    expect(new Set(optedIn.roots)).toEqual(new Set(['http://xcap.example.org/xcap-root']));
    // Still never Basic (and Basic over http is refused by the client anyway).
    expect(optedIn.connections.every((c) => c.allowBasic === false)).toBe(true);
  });

  it('an https root from DNS is preferred to an earlier http one', () => {
    const { roots } = discoverWith(
      [['http://xcap.example.org/xcap-root'], ['https://xcap.example.org/xcap-root']],
      { ...noRoot, xcap: { allowInsecureDiscoveredRoot: true } },
    );
    expect(new Set(roots)).toEqual(new Set(['https://xcap.example.org/xcap-root']));
  });

  it('a DNS-derived root never gets Basic; a configured root keeps the client default', () => {
    const { connections } = discoverWith([['https://xcap.example.org/xcap-root']]);
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.every((c) => c.allowBasic === false)).toBe(true);
    expect(
      connectionOf({ ...noRoot, xcap: { root: 'https://xcap.example.org' } }, 'x').allowBasic,
    ).toBeUndefined();
  });
});

describe('xcap.allowInsecureDiscoveredRoot as a setting', () => {
  it('must be a boolean, and changing it re-runs discovery (a connection change)', () => {
    expect(() =>
      checkAccountSettings({ id: 'a@example.org', xcap: { allowInsecureDiscoveredRoot: 'yes' } }),
    ).toThrow(XcapValidationError);
    const on = { ...noRoot, xcap: { allowInsecureDiscoveredRoot: true } };
    expect(checkAccountSettings(on)).toBe(on);
    expect(classifySettingsChange(noRoot, on)).toBe('connection');
    expect(classifySettingsChange(on, on)).toBe('none');
  });
});
