/**
 * A synchronous, immutable snapshot of the latest values of a set of streams, with a change
 * listener: the "external store" contract of React's `useSyncExternalStore` (a `getSnapshot`
 * that returns the same object while nothing changed, and a `subscribe(onChange)` returning
 * its unsubscribe), which Angular signals, Svelte stores and Vue refs can adapt as well.
 */
import type { Observable, Subscription } from 'rxjs';

/**
 * What a UI framework needs to read a changing value synchronously: `getSnapshot()` returns the
 * current immutable value (the same reference until something changed), `subscribe(onChange)`
 * calls `onChange` after each change and returns the function that stops it.
 *
 * @example
 * ```ts
 * const snapshot = useSyncExternalStore(manager.subscribe, manager.getSnapshot); // React
 * const book = signal(manager.getSnapshot().addressbook);                        // Angular
 * const stop = manager.subscribe(() => book.set(manager.getSnapshot().addressbook));
 * ```
 */
export interface ExternalStore<T> {
  getSnapshot(): T;
  subscribe(onChange: () => void): () => void;
}

/**
 * The fields of a snapshot: each a stream (its latest value is the field), or a nested group
 * of them (a nested immutable object, replaced only when one of its fields changes).
 *
 * @example const fields: SnapshotFields = { state: state$, local: { addressbook: local$ } };
 */
export interface SnapshotFields {
  readonly [name: string]: Observable<unknown> | SnapshotFields;
}

/**
 * The snapshot a {@link SnapshotFields} table describes: each stream replaced by the type of its
 * values.
 *
 * @example type S = SnapshotOf<{ state: Observable<XcapState> }>; // { readonly state: XcapState }
 */
export type SnapshotOf<F> = {
  readonly [K in keyof F]: F[K] extends Observable<infer V> ? V : SnapshotOf<F[K]>;
};

const isObservableLike = (x: unknown): x is Observable<unknown> =>
  typeof (x as { subscribe?: unknown }).subscribe === 'function';

/**
 * Subscribes to every stream of `fields` at once and keeps one frozen snapshot of their latest
 * values. Sources should replay their current value on subscription (a `BehaviorSubject`, a
 * `ReplaySubject` that has a value): a field whose source has not emitted yet is `undefined`.
 * A value identical (`Object.is`) to the field's current one changes nothing, so the snapshot
 * keeps its reference. Listeners are called synchronously after each change, and a listener
 * that reads `getSnapshot()` sees it. Source errors and completions freeze the field at its last value. `close()` ends
 * every subscription (the manager's streams end on their own when it closes).
 *
 * @example
 * ```ts
 * const store = snapshotStore({ state: state$, addressbook: addressbook$ });
 * store.subscribe(() => render(store.getSnapshot()));
 * ```
 */
export function snapshotStore<F extends SnapshotFields>(
  fields: F,
): ExternalStore<SnapshotOf<F>> & { close(): void } {
  let snapshot = Object.freeze(emptyOf(fields)) as SnapshotOf<F>;
  const listeners = new Set<() => void>();
  const subscriptions: Subscription[] = [];
  let building = true;

  const set = (path: readonly string[], value: unknown): void => {
    const next = withValue(snapshot as Record<string, unknown>, path, value);
    if (next === snapshot) return;
    snapshot = next as SnapshotOf<F>;
    if (building) return;
    // A copy: a listener may unsubscribe (or subscribe another) while we call them.
    for (const listener of [...listeners]) listener();
  };
  const walk = (group: SnapshotFields, path: readonly string[]): void => {
    for (const [name, source] of Object.entries(group)) {
      if (isObservableLike(source)) {
        subscriptions.push(
          source.subscribe({ next: (v) => set([...path, name], v), error: () => {} }),
        );
      } else walk(source, [...path, name]);
    }
  };
  walk(fields, []);
  building = false;

  return {
    getSnapshot: () => snapshot,
    subscribe(onChange) {
      // A wrapper per call: one function subscribed twice is two subscriptions, as in RxJS.
      const listener = (): void => onChange();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      for (const s of subscriptions) s.unsubscribe();
      listeners.clear();
    },
  };
}

/** The snapshot before any source emitted: every stream field undefined, groups present. */
function emptyOf(fields: SnapshotFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(fields))
    out[name] = isObservableLike(source) ? undefined : Object.freeze(emptyOf(source));
  return out;
}

/** `target` with `value` at `path`: the same object when nothing changed, else frozen copies along the path. */
function withValue(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  const current = target[head];
  const next =
    rest.length === 0 ? value : withValue(current as Record<string, unknown>, rest, value);
  if (Object.is(current, next)) return target;
  return Object.freeze({ ...target, [head]: next });
}
