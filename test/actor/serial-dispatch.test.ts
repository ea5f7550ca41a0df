import { describe, expect, it } from 'vitest';
import { serialDispatch } from '../../src/actor/serial-dispatch.js';

describe('serialDispatch', () => {
  it('an event sent while one is handled waits its turn (no re-entry)', () => {
    const log: string[] = [];
    const dispatch = serialDispatch((e: string) => {
      log.push(`begin ${e}`);
      if (e === 'a') dispatch('b');
      log.push(`end ${e}`);
    });
    dispatch('a');
    expect(log).toEqual(['begin a', 'end a', 'begin b', 'end b']);
  });

  it('a handler that throws does not leave the queue stuck: the next event is handled', () => {
    const handled: string[] = [];
    const dispatch = serialDispatch((e: string) => {
      if (e === 'bad') throw new Error('fake: handler bug');
      handled.push(e);
    });
    expect(() => dispatch('bad')).toThrow('fake: handler bug');
    dispatch('next');
    expect(handled).toEqual(['next']);
  });

  it('once closed, queued events are dropped', () => {
    let closed = false;
    const handled: string[] = [];
    const dispatch = serialDispatch(
      (e: string) => {
        handled.push(e);
        closed = true;
        dispatch('after');
      },
      () => closed,
    );
    dispatch('first');
    expect(handled).toEqual(['first']);
  });
});
