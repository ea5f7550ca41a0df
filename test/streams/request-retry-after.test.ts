/**
 * Retry-After from an HTTP peer, on virtual time: whatever the server writes, the retry of a
 * manager request waits within [backoff, backoff.maxDelay] (and never past a day, the cap of
 * `retryAfterMs`), so a hostile value can neither storm the server nor stall the sync for years.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  isTransient,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  XcapHttpError,
} from '../../src/client/index.js';
import type { PipelinePorts } from '../../src/streams/ports.js';
import { request } from '../../src/streams/request.js';
import { fakeHttp, fakePorts, ok } from './fakes.js';

const busy = (retryAfter: string) =>
  new XcapHttpError({
    status: 503,
    url: 'http://xcap.example.org/xcap-root/resource-lists/users/sip:a@example.org/index',
    method: 'GET',
    headers: { 'retry-after': retryAfter },
    body: '',
  });

/** The frames of the GETs of a request answered 503 three times, then 200. */
function retryFrames(retryAfter: string, backoff: PipelinePorts['backoff']): number[] {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  let frames: number[] = [];
  ts.run(() => {
    const http = fakeHttp(ts);
    http.route('GET resource-lists', (_r, n) =>
      n <= 3
        ? (ts.createColdObservable('1ms #', undefined, busy(retryAfter)) as never)
        : ok(ts, 'x', 'e1'),
    );
    const ports = fakePorts(ts, http, {
      backoff,
      isTransient,
      // As the manager wires it: the real parser, against the wall clock.
      retryAfterMs: (e) => retryAfterMs(e),
    });
    request(ports, { method: 'GET', auid: 'resource-lists' }, () =>
      ports.http({ root: 'r', xui: 'x' }).get('resource-lists'),
    ).subscribe();
    ts.flush();
    frames = http.requests.map((r) => r.frame);
  });
  return frames;
}

const gaps = (frames: number[]) => frames.slice(1).map((f, i) => f - frames[i]! - 1);

const backoff = { initialDelay: 1000, maxDelay: 60_000, factor: 2, jitter: 0 };

describe('Retry-After from an HTTP peer is bounded (virtual time)', () => {
  it.each([
    ['10 years', '315360000'],
    ['a 400-digit number', '9'.repeat(400)],
    ['an HTTP-date in year 9999', 'Fri, 31 Dec 9999 23:59:59 GMT'],
  ])('%s waits backoff.maxDelay, no longer', (_name, value) => {
    expect(gaps(retryFrames(value, backoff))).toEqual([60_000, 60_000, 60_000]);
  });

  it.each([
    ['a negative number', '-5'],
    ['garbage', 'soon, maybe'],
    ['an HTTP-date in the past', 'Sun, 06 Nov 1994 08:49:37 GMT'],
  ])('%s falls back to the backoff (never a retry storm)', (_name, value) => {
    expect(gaps(retryFrames(value, backoff))).toEqual([1000, 2000, 4000]);
  });

  // Regression: with a backoff.maxDelay past a timer's limit (2^31-1 ms), a 10-year
  // Retry-After was waited in full, which a real timer turns into 1 ms: a request storm.
  it('a huge backoff.maxDelay still waits at most MAX_RETRY_AFTER_MS for a Retry-After', () => {
    const frames = retryFrames('315360000', { ...backoff, maxDelay: Number.MAX_SAFE_INTEGER });
    expect(gaps(frames)).toEqual([MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS]);
    expect(MAX_RETRY_AFTER_MS).toBeLessThan(2 ** 31 - 1);
  });
});
