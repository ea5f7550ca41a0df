/**
 * The manager's machine with the real SIP subscription machine on a FAKE SIP port, on virtual
 * time: what a hostile SIP peer costs in SUBSCRIBEs and XCAP requests over a window.
 */
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { xcapDiffSubscription } from '../../src/sip/xcap-diff-subscription.js';
import type { MachineEvent, StoredDocument } from '../../src/streams/events.js';
import { runMachine } from '../../src/streams/machine.js';
import type { DiffPort } from '../../src/streams/ports.js';
import { ACTIVE, fakeSipPort, OK } from '../sip/fake-sip-port.js';
import { fakeDoc, fakeHttp, fakePorts, notModified, ok } from './fakes.js';

const XUI = 'sip:alice@example.com';
const settings = { id: XUI, xcap: { root: 'http://xcap.test/xcap-root' } };
const stored = (v: string, etag: string): StoredDocument => ({
  content: v,
  etag,
  root: fakeDoc(v),
});
/** The full state of the account as the initial NOTIFY gives it (RFC 5875 §4.4.2). */
const FULL_STATE = `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.test/xcap-root/">
<document sel="resource-lists/users/${XUI}/index" new-etag="e1"/>
<document sel="rls-services/users/${XUI}/index" new-etag="r1"/>
<document sel="pres-rules/users/${XUI}/index" new-etag="p1"/></xcap-diff>`;

/**
 * A manager in sync (three documents cached) whose SIP server accepts every SUBSCRIBE and
 * terminates it at once with `reason`; counts SUBSCRIBEs and GETs within `window` ms.
 */
function hostile(reason: string, window: number) {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const out = { subscribes: 0, gets: 0 };
  ts.run(({ hot }) => {
    const http = fakeHttp(ts);
    http.route('GET xcap-caps', () => ok(ts, 'resource-lists,rls-services,pres-rules', 'c'));
    for (const auid of ['resource-lists', 'rls-services', 'pres-rules'])
      http.route(`GET ${auid}`, (req) => notModified(ts, String(req.options.ifNoneMatch)));
    const sip = fakeSipPort(
      () => ({
        response: ts.createColdObservable('-(r|)', { r: OK }),
        notifies: ts.createColdObservable('--a-t', {
          a: { ...ACTIVE, body: FULL_STATE },
          t: { state: 'terminated', reason, body: '' },
        }),
      }),
      () => ts.now(),
    );
    const diff: DiffPort = {
      watch: (s, control) =>
        xcapDiffSubscription(() => of(sip.port), s, control, {
          scheduler: ts,
          random: () => 0,
        }),
    };
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
    const sub = runMachine(input, fakePorts(ts, http, { diff })).subscribe();
    ts.schedule(() => {
      out.subscribes = sip.times.length;
      out.gets = http.requests.filter((r) => r.method === 'GET').length;
      sub.unsubscribe();
    }, window);
  });
  return out;
}

describe('a SIP server that terminates every subscription at once (fake SIP port, virtual time)', () => {
  it.each(['deactivated', 'timeout'])(
    'reason=%s: 2 SUBSCRIBEs and only the start-up fetch in 3 s, not a refetch per termination',
    (reason) => {
      // Before: a SUBSCRIBE every 4 ms (750 in 3 s) and 3,000 GETs: each termination and each
      // first NOTIFY refetched every document.
      const r = hostile(reason, 3_000);
      expect(r.subscribes).toBe(2);
      // Start-up: xcap-caps and the three documents; the terminations add one refetch of all
      // three when the subscription is reported failed (then polling takes over).
      expect(r.gets).toBe(4 + 3);
    },
  );
});
