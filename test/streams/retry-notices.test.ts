/**
 * The pipelines' own retries are told to `ports.retrying` (marble tests on virtual time): the
 * manager turns each notice into an event, so that status$ counts the failures and knows when
 * the next attempt is due, while the backoff stays the pipeline's.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { capabilitiesPipeline } from '../../src/streams/capabilities.js';
import type { MachineCommand, MachineEvent } from '../../src/streams/events.js';
import type { RetryNotice } from '../../src/streams/ports.js';
import { request } from '../../src/streams/request.js';
import { retryTimerPipeline } from '../../src/streams/retry-timer.js';
import { FakeHttpError, FakeNetworkError, fails, fakeHttp, fakePorts, ok } from './fakes.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));
const settings = { id: 'alice@example.org', xcap: { root: 'http://xcap.example.org/xcap-root' } };

describe('retry notices', () => {
  it('a request retried in place tells each wait: the error, the attempt and the delay', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET resource-lists', (_r, n) =>
        n <= 3 ? fails(ts, new FakeNetworkError()) : ok(ts, 'x', 'e1'),
      );
      const notices: (RetryNotice & { frame: number })[] = [];
      const ports = fakePorts(ts, http, {
        retrying: (n) => notices.push({ ...n, frame: ts.now() }),
      });
      request(ports, { method: 'GET', auid: 'resource-lists' }, () =>
        ports.http({ root: 'r', xui: 'x' }).get('resource-lists'),
      ).subscribe();
      ts.flush();
      // Failures at 1, 1002 and 3003 ms; waits of 1, 2 and 4 s (the backoff is unchanged).
      expect(http.requests.map((r) => r.frame)).toEqual([0, 1001, 3002, 7003]);
      expect(notices.map((n) => [n.frame, n.attempt, n.delay, n.error?.code])).toEqual([
        [1, 1, 1000, 'RXCAP_NETWORK'],
        [1002, 2, 2000, 'RXCAP_NETWORK'],
        [3003, 3, 4000, 'RXCAP_NETWORK'],
      ]);
    });
  });

  it('a rediscovery after a broken xcap-caps answer tells its wait (its failure is an event)', () => {
    const ts = newScheduler();
    ts.run(() => {
      const http = fakeHttp(ts);
      http.route('GET xcap-caps', () => fails(ts, new FakeHttpError(400)));
      const notices: RetryNotice[] = [];
      const ports = fakePorts(ts, http, { retrying: (n) => notices.push(n) });
      const commands$ = new Subject<MachineCommand>();
      const events: MachineEvent[] = [];
      capabilitiesPipeline(commands$, ports).subscribe((e) => events.push(e));
      commands$.next({ type: 'discoverCapabilities', settings });
      ts.schedule(() => commands$.next({ type: 'cancel' }), 2_500);
      ts.flush();
      expect(events.map((e) => e.type)).toEqual(['capabilitiesFailed', 'capabilitiesFailed']);
      expect(notices).toEqual([
        { attempt: 1, delay: 1000 },
        { attempt: 2, delay: 2000 },
      ]);
    });
  });

  it('the retry timer tells the delay of the scheduled retry', () => {
    const ts = newScheduler();
    ts.run(() => {
      const notices: RetryNotice[] = [];
      const ports = fakePorts(ts, fakeHttp(ts), { retrying: (n) => notices.push(n) });
      const commands$ = new Subject<MachineCommand>();
      retryTimerPipeline(commands$, ports).subscribe();
      commands$.next({ type: 'scheduleRetry', attempt: 3 });
      ts.flush();
      expect(notices).toEqual([{ attempt: 3, delay: 4000 }]);
    });
  });
});
