import { BehaviorSubject, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type ExternalStore, snapshotStore } from '../../src/manager/snapshot-store.js';
import { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { fakeXcapManager, stateValues } from '../../src/testing/index.js';

const newScheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));

/** The snapshots a UI would render: the current one at subscription, then one per change. */
const renders = <T>(store: ExternalStore<T>): Observable<T> =>
  new Observable<T>((sub) => {
    sub.next(store.getSnapshot());
    return store.subscribe(() => sub.next(store.getSnapshot()));
  });

const bob = new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });

describe('snapshotStore', () => {
  it('holds the latest value of every stream, undefined until one emits', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const store = snapshotStore({
        a: hot('^-x---y', { x: 1, y: 2 }),
        b: hot('^---z', { z: 'z' }),
      });
      expectObservable(renders(store)).toBe('s-t-u-v', {
        s: { a: undefined, b: undefined },
        t: { a: 1, b: undefined },
        u: { a: 1, b: 'z' },
        v: { a: 2, b: 'z' },
      });
    });
  });

  it('keeps the same object while nothing changed, also when a stream repeats a value', () => {
    newScheduler().run(({ hot, flush }) => {
      const book = new Addressbook([bob]);
      const store = snapshotStore({ book: hot('^-b-b', { b: book }), n: hot('^--1', { 1: 1 }) });
      const seen: unknown[] = [];
      store.subscribe(() => seen.push(store.getSnapshot()));
      const before = store.getSnapshot();
      expect(store.getSnapshot()).toBe(before);
      flush();
      // Two changes (book, then n); the repeated book is no change.
      expect(seen).toHaveLength(2);
      expect(store.getSnapshot()).toBe(seen[1]);
      expect(store.getSnapshot().book).toBe(book);
      expect(Object.isFrozen(store.getSnapshot())).toBe(true);
    });
  });

  it('a nested group is replaced only when one of its fields changes', () => {
    newScheduler().run(({ hot, flush }) => {
      const store = snapshotStore({
        top: hot('^-a---b', { a: 'a', b: 'b' }),
        local: { x: hot('^---1', { 1: 1 }), y: hot('^') },
      });
      const locals: unknown[] = [];
      store.subscribe(() => locals.push(store.getSnapshot().local));
      flush();
      expect(locals[0]).toEqual({ x: undefined, y: undefined });
      expect(locals[1]).toEqual({ x: 1, y: undefined });
      // `top` changed last: the local group kept its reference.
      expect(locals[2]).toBe(locals[1]);
      expect(Object.isFrozen(locals[2])).toBe(true);
    });
  });

  it('replaying sources give their value at once; unsubscribe and close stop the calls', () => {
    newScheduler().run(({ hot, flush }) => {
      const store = snapshotStore({
        now: new BehaviorSubject('replayed'),
        later: hot('^-1-2', { 1: 1, 2: 2 }),
      });
      expect(store.getSnapshot()).toEqual({ now: 'replayed', later: undefined });
      let calls = 0;
      const stop = store.subscribe(() => {
        calls++;
        stop();
      });
      flush();
      expect(calls).toBe(1);
      expect(store.getSnapshot().later).toBe(2);
    });
    newScheduler().run(({ hot, flush }) => {
      const store = snapshotStore({ n: hot('^-1-2', { 1: 1, 2: 2 }) });
      const seen: number[] = [];
      store.subscribe(() => seen.push(store.getSnapshot().n ?? 0));
      store.subscribe(() => seen.push(store.getSnapshot().n ?? 0));
      hot('--c').subscribe(() => store.close());
      flush();
      expect(seen).toEqual([1, 1]);
      expect(store.getSnapshot().n).toBe(1);
    });
  });
});

describe('fakeXcapManager: getSnapshot and subscribe read the scripted streams', () => {
  it('state from options until state$ emits, data fields undefined until they emit', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const book = new Addressbook([bob]);
      const manager = fakeXcapManager(
        {
          state$: cold('-a-b', stateValues('fetching', 'insync')),
          addressbook$: cold('---x', { x: book }),
        },
        { state: 'initializing' },
      );
      expectObservable(renders(manager), '^---!').toBe('ab-(cd)', {
        a: expect.objectContaining({
          state: 'initializing',
          status: expect.objectContaining({ state: 'initializing', failures: 0 }),
          pending: [],
          addressbook: undefined,
          local: expect.objectContaining({ addressbook: undefined }),
        }),
        b: expect.objectContaining({ state: 'fetching', addressbook: undefined }),
        c: expect.objectContaining({ state: 'insync', addressbook: undefined }),
        d: expect.objectContaining({ state: 'insync', addressbook: book }),
      });
    });
  });
});
