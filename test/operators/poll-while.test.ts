import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { pollWhile } from '../../src/operators/poll-while.js';

describe('pollWhile', () => {
  it('ticks every 2 minutes while polling is needed and stops when it is not', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, expectObservable }) => {
      const needed = hot('t 299999ms f', { t: true, f: false });
      expectObservable(needed.pipe(pollWhile({ period: 120_000, scheduler: ts }))).toBe(
        '120000ms a 119999ms b',
        { a: 0, b: 1 },
      );
    });
  });

  it('repeated true flags do not restart the period', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, expectObservable }) => {
      const needed = hot('t 59999ms t 200000ms f', { t: true, f: false });
      expectObservable(needed.pipe(pollWhile({ period: 120_000, scheduler: ts }))).toBe(
        '120000ms a 119999ms b',
        { a: 0, b: 1 },
      );
    });
  });

  it('restarts the period when polling becomes needed again', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    ts.run(({ hot, expectObservable }) => {
      const needed = hot('f 9ms t 79ms f 9ms t', { t: true, f: false });
      expectObservable(needed.pipe(pollWhile({ period: 50, scheduler: ts })), '^ 220ms !').toBe(
        '60ms a 89ms a 49ms b',
        { a: 0, b: 1 },
      );
    });
  });
});
