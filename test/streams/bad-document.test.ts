/**
 * A held document rxcap refuses (a foreign root, a wrong shape) must not wedge the manager:
 * the update that fails on it forgets it and fetches it again, unconditionally and with
 * backoff, until the server serves a good one (marble tests, fake ports; the engine refuses
 * content `bad` the way the real one refuses an HTML page served as resource-lists).
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { changedDocuments, parseXcapDiff } from '../../src/codecs/xcap-diff.js';
import { XcapCodecError } from '../../src/codecs/xml/codec-error.js';
import { attr } from '../../src/codecs/xml/tree.js';
import type { MachineEvent } from '../../src/streams/events.js';
import { type MachineStep, runMachine } from '../../src/streams/machine.js';
import type { DiffEvent, DocumentEngine } from '../../src/streams/ports.js';
import { initialContext, transition } from '../../src/streams/transition.js';
import { fakeDoc, fakeEngine, fakeHttp, fakePorts, notModified, ok } from './fakes.js';

const settings = { id: 'alice@example.com', xcap: { root: 'http://xcap.test/xcap-root' } };
const CAPS = 'resource-lists,rls-services,pres-rules';

/** The fake engine, refusing a held resource-lists whose content is `bad` as the codecs would. */
const refusing: DocumentEngine = {
  ...fakeEngine,
  apply: (docs, ops, ctx) => {
    const rl = docs['resource-lists'];
    if (rl && attr(rl, 'v') === 'bad')
      throw new XcapCodecError('resource-lists', 'the root element is {}html', 'html');
    return fakeEngine.apply(docs, ops, ctx);
  },
};

function run(
  getResourceLists: (n: number, ifNoneMatch: unknown) => string | null,
  diff?: (ts: TestScheduler) => DiffEvent[],
  until = 60_000,
) {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const steps: (MachineStep & { frame: number })[] = [];
  let requests: ReturnType<typeof fakeHttp>['requests'] = [];
  ts.run(({ hot, cold }) => {
    const http = fakeHttp(ts);
    requests = http.requests;
    http.route('GET xcap-caps', () => ok(ts, CAPS, 'c'));
    http.route('GET resource-lists', (r, n) => {
      const body = getResourceLists(n, r.options.ifNoneMatch);
      return body === null ? notModified(ts, String(r.options.ifNoneMatch)) : ok(ts, body, `e${n}`);
    });
    const events = diff?.(ts);
    const ports = fakePorts(ts, http, {
      engine: refusing,
      ...(events
        ? {
            diff: {
              watch: () =>
                cold<DiffEvent>(
                  `a 99ms ${events.map((_, i) => String.fromCharCode(98 + i)).join(' 999ms ')}`,
                  Object.fromEntries([
                    ['a', { type: 'state', state: 'active' }],
                    ...events.map((e, i) => [String.fromCharCode(98 + i), e]),
                  ]),
                ),
            },
          }
        : {}),
    });
    const input = hot<MachineEvent>('a', { a: { type: 'started', settings } });
    const sub = runMachine(input, ports).subscribe((s) => steps.push({ ...s, frame: ts.now() }));
    ts.schedule(() => sub.unsubscribe(), until);
    ts.flush();
  });
  const rl = requests.filter((r) => r.method === 'GET' && r.auid === 'resource-lists');
  const errors = steps.flatMap((s) =>
    s.commands.flatMap((c) => (c.type === 'reportError' ? [c.error.code] : [])),
  );
  return { steps, rl, errors, last: steps[steps.length - 1]!.context };
}

describe('a document rxcap refuses does not wedge the manager', () => {
  it('a document rxcap refuses is fetched again until the server serves a good one', () => {
    // The first two answers are an HTML page (as the fake engine sees it), then a good one.
    const r = run((n) => (n <= 2 ? 'bad' : 'good'));
    // Fetched at 1 (refused at 4), again after 1 s, then after 2 s (backoff): good at 3008.
    expect(r.rl.map((g) => g.frame)).toEqual([1, 1004, 3007]);
    // The refetches are unconditional: the held ETag belongs to the refused content.
    expect(r.rl.slice(1).map((g) => g.options.ifNoneMatch)).toEqual([undefined, undefined]);
    expect(r.errors).toEqual(['RXCAP_CODEC', 'RXCAP_CODEC']);
    expect(r.last.state).toBe('insync');
    expect(r.last.documents['resource-lists']).toMatchObject({ content: 'good', etag: 'e3' });
    expect(r.last.failures).toBe(0);
  });

  it('a server that keeps serving a refused document is asked again with growing delays', () => {
    const r = run(() => 'bad', undefined, 40_000);
    const gaps = r.rl.slice(1).map((g, i) => g.frame - r.rl[i]!.frame);
    // 1 s, 2 s, 4 s, 8 s, 16 s (plus the few ms each round takes): not a tight loop.
    expect(gaps).toEqual([1003, 2003, 4003, 8003, 16003]);
    expect(r.last.state).toBe('fetching');
    expect(r.last.blocked).toBe('error');
  });

  it('a NOTIFY for the refused document refetches it at once, without waiting for the backoff', () => {
    const r = run(
      (n) => (n === 1 ? 'bad' : 'good'),
      () => [{ type: 'changed', documents: [{ auid: 'resource-lists', newEtag: 'e2' }] }],
    );
    expect(r.rl.map((g) => g.frame)).toEqual([1, 101]);
    expect(r.last.state).toBe('insync');
    expect(r.last.documents['resource-lists']?.content).toBe('good');
  });
});

describe('a patched document rxcap refuses', () => {
  it('a NOTIFY patch that leaves a document rxcap refuses is undone by an unconditional GET', () => {
    // A trusted patch (NOTIFY over TLS) applies to the cached version (e1), the server confirms
    // e2 with a 304, and the engine refuses the result (as it would a wrong-shaped document).
    // The refetch must not send the patch's new ETag, or a 304 would keep the refused content.
    const xui = 'sip:alice@example.com';
    const body = `<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.test/xcap-root/">
  <d:document sel="resource-lists/users/${xui}/index" previous-etag="e1" new-etag="e2"><d:replace sel="doc/@v">bad</d:replace></d:document>
</d:xcap-diff>`;
    const r = run(
      (n, ifNoneMatch) => (n === 1 ? 'good' : ifNoneMatch === 'e2' ? null : 'good again'),
      () => [
        {
          type: 'changed',
          secure: true,
          documents: changedDocuments(parseXcapDiff(body), xui),
        },
      ],
    );
    expect(r.errors).toEqual(['RXCAP_CODEC']);
    const after = r.rl.slice(1);
    expect(after.map((g) => g.options.ifNoneMatch)).toEqual(['e2', undefined]);
    expect(r.last.state).toBe('insync');
    expect(r.last.documents['resource-lists']?.content).toBe('good again');
  });
});

describe('transition: an update failure blamed on a held document', () => {
  const discovery = {
    root: 'http://xcap.test/xcap-root',
    capabilities: { auids: [], extensions: [], namespaces: [] },
    presRulesAuid: 'pres-rules',
    supported: ['resource-lists', 'rls-services', 'pres-rules'] as const,
  };
  const held = { content: 'bad', etag: 'e1', root: fakeDoc('bad') };
  const updating = {
    ...initialContext(),
    state: 'updating' as const,
    settings,
    discovery,
    firstFetch: false,
    documents: { 'resource-lists': held, 'rls-services': null },
    journal: [{ id: 'normalize-1', operation: { type: 'normalize' } }],
  };
  const error = new XcapCodecError('resource-lists', 'wrong root');

  it('forgets that document and fetches every document after the backoff', () => {
    const a = transition(updating, {
      type: 'updateFailed',
      error,
      documents: {},
      refetch: ['resource-lists'],
    });
    expect(a.context.state).toBe('fetching');
    expect(a.context.blocked).toBe('error');
    expect(a.context.documents).toEqual({ 'rls-services': null });
    expect(a.commands.map((c) => c.type)).toEqual(['saveCache', 'reportError', 'scheduleRetry']);
    const b = transition(a.context, { type: 'retryTimer' });
    const fetch = b.commands.find((c) => c.type === 'fetch');
    expect(fetch).toMatchObject({ names: discovery.supported });
    expect(fetch?.type === 'fetch' && fetch.documents['resource-lists']).toBeUndefined();
  });

  it('without a blamed document it retries the update as before', () => {
    const a = transition(updating, { type: 'updateFailed', error, documents: {} });
    expect(a.context.state).toBe('updating');
    expect(a.context.documents['resource-lists']).toBe(held);
  });
});
