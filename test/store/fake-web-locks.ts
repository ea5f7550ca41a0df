/**
 * A fake of the browser's Web Locks API (`navigator.locks`), for Node where it is missing:
 * exclusive locks only, granted in request order, `ifAvailable`, `signal` and `steal`, as the
 * Web Locks spec describes them. The real one is exercised in Chromium (test/browser/).
 */

interface Waiter {
  readonly grant: () => void;
  readonly abort: (reason: unknown) => void;
}

export interface FakeWebLocks extends LockManager {
  /** Names currently held. */
  held(): string[];
}

export function fakeWebLocks(): FakeWebLocks {
  const holders = new Map<string, { reject: (e: unknown) => void }>();
  const waiting = new Map<string, Waiter[]>();

  const next = (name: string) => {
    holders.delete(name);
    const w = waiting.get(name)?.shift();
    w?.grant();
  };

  const request = (
    name: string,
    optionsOrCallback: LockOptions | LockGrantedCallback<unknown>,
    maybeCallback?: LockGrantedCallback<unknown>,
  ): Promise<unknown> => {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
    const callback = (
      typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback
    ) as (lock: Lock | null) => unknown;
    if (options.signal && options.ifAvailable)
      return Promise.reject(new DOMException('signal with ifAvailable', 'NotSupportedError'));
    const lock = { name, mode: 'exclusive' } as Lock;
    return new Promise((resolve, reject) => {
      const run = () => {
        let settled = false;
        holders.set(name, {
          reject: (e) => {
            settled = true;
            reject(e);
          },
        });
        Promise.resolve()
          .then(() => callback(lock))
          .then(
            (v) => {
              if (!settled) resolve(v);
            },
            (e) => {
              if (!settled) reject(e);
            },
          )
          .finally(() => {
            if (!settled) next(name);
          });
      };
      if (options.steal) {
        const h = holders.get(name);
        h?.reject(new DOMException('stolen', 'AbortError'));
        run();
        return;
      }
      if (!holders.has(name)) return run();
      if (options.ifAvailable) {
        Promise.resolve()
          .then(() => callback(null))
          .then(resolve, reject);
        return;
      }
      const queue = waiting.get(name) ?? [];
      waiting.set(name, queue);
      const waiter: Waiter = {
        grant: run,
        abort: (reason) => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(reason);
        },
      };
      queue.push(waiter);
      options.signal?.addEventListener(
        'abort',
        () => waiter.abort(new DOMException('aborted', 'AbortError')),
        { once: true },
      );
    });
  };

  return {
    request: request as LockManager['request'],
    query: async () => ({ held: [], pending: [] }),
    held: () => [...holders.keys()],
  };
}
