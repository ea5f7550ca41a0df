import { defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryBackoff } from '../../src/operators/retry-backoff.js';

const policy = { initialDelay: 10, maxDelay: 50, factor: 2, jitter: 0 };

function testScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('backoffDelay', () => {
  it('grows exponentially and is capped by maxDelay', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([
      10, 20, 40, 50, 50, 50,
    ]);
  });

  it('draws the jittered delay from [d*(1-jitter), d]', () => {
    const p = { ...policy, initialDelay: 1000, maxDelay: 60_000, jitter: 0.5 };
    expect(backoffDelay(p, 1, () => 0)).toBe(1000);
    expect(backoffDelay(p, 1, () => 0.999999)).toBe(500);
    expect(backoffDelay(p, 2, () => 0.5)).toBe(1500);
  });

  it('honours a Retry-After larger than the backoff, capped by maxDelay', () => {
    expect(backoffDelay(policy, 1, () => 0, 30)).toBe(30);
    expect(backoffDelay(policy, 1, () => 0, 5)).toBe(10);
    expect(backoffDelay(policy, 1, () => 0, 5000)).toBe(50);
  });
});

describe('retryBackoff', () => {
  it('resubscribes after 10, 20, 40 ms and gives up after maxRetries', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-#');
      expectObservable(
        failing.pipe(retryBackoff({ ...policy, maxRetries: 3, scheduler: ts })),
      ).toBe('- 10ms - 20ms - 40ms -#');
      expectSubscriptions(failing.subscriptions).toBe([
        '^!',
        '- 10ms ^!',
        '- 10ms - 20ms ^!',
        '- 10ms - 20ms - 40ms ^!',
      ]);
    });
  });

  it('caps the delay at maxDelay and emits once the source recovers', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      let attempts = 0;
      const source = defer(() => (++attempts <= 5 ? cold<string>('#') : cold('(v|)', { v: 'ok' })));
      // Waits 10, 20, 40, 50, 50 = 170 ms.
      expectObservable(source.pipe(retryBackoff({ ...policy, scheduler: ts }))).toBe('170ms (v|)', {
        v: 'ok',
      });
    });
  });

  it('does not retry what shouldRetry refuses, and passes the failure count', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const counts: number[] = [];
      const source = cold('-#', undefined, { status: 401 });
      const result = source.pipe(
        retryBackoff({
          ...policy,
          scheduler: ts,
          shouldRetry: (e, count) => {
            counts.push(count);
            return (e as { status: number }).status !== 401;
          },
        }),
      );
      expectObservable(result).toBe('-#', undefined, { status: 401 });
      ts.flush();
      expect(counts).toEqual([1]);
    });
  });

  it('waits for Retry-After when the server asks for longer than the backoff', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      let attempts = 0;
      const source = defer(() =>
        ++attempts === 1
          ? cold<string>('#', undefined, { retryAfter: 45 })
          : cold('(v|)', { v: 'ok' }),
      );
      const result = source.pipe(
        retryBackoff({
          ...policy,
          scheduler: ts,
          retryAfter: (e) => (e as { retryAfter: number }).retryAfter,
        }),
      );
      expectObservable(result).toBe('45ms (v|)', { v: 'ok' });
    });
  });

  it('applies jitter from the injected random source', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      let attempts = 0;
      const source = defer(() => (++attempts <= 2 ? cold<string>('#') : cold('(v|)', { v: 'ok' })));
      const result = source.pipe(
        retryBackoff({ ...policy, jitter: 1, random: () => 0.5, scheduler: ts }),
      );
      // 10·(1−0.5) + 20·(1−0.5) = 15 ms.
      expectObservable(result).toBe('15ms (v|)', { v: 'ok' });
    });
  });

  it('resets the failure count after a value got through', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      let attempts = 0;
      const source = defer(() =>
        ++attempts <= 3 ? cold<string>('a#', { a: `a${attempts}` }) : cold('(v|)', { v: 'ok' }),
      );
      // Each attempt emits before failing, so every wait is the initial 10 ms.
      expectObservable(source.pipe(retryBackoff({ ...policy, scheduler: ts }))).toBe(
        'a 10ms b 10ms c 10ms (v|)',
        { a: 'a1', b: 'a2', c: 'a3', v: 'ok' },
      );
    });
  });

  it('unsubscribing during a wait cancels the pending retry', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-#');
      expectObservable(failing.pipe(retryBackoff({ ...policy, scheduler: ts })), '^ 15ms !').toBe(
        '',
      );
      expectSubscriptions(failing.subscriptions).toBe(['^!', '- 10ms ^!']);
    });
  });
});
