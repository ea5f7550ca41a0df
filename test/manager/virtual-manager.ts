/**
 * A manager on virtual time for the local-view and pending-edit tests: its scheduler is a
 * TestScheduler, the XCAP server the in-memory one behind a switch that makes every request a
 * network error (offline), and time moves only when the test advances it.
 */
import { type Observable, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { XcapNetworkError } from '../../src/client/errors.js';
import type { XcapError } from '../../src/errors.js';
import { createXcapManager, type PendingEdit, type XcapManager } from '../../src/manager.js';
import { defaultEngine } from '../../src/manager-defaults.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import type { DocumentEngine, HttpFactory, XcapHttp } from '../../src/streams/ports.js';
import { createInMemoryXcapServer } from '../../src/testing/in-memory-xcap-server.js';

export const ID = 'sip:alice@example.com';
export const ROOT = 'http://xcap.test/xcap-root';
export const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });

/** The latest value a replaying stream holds now (synchronously), or undefined. */
export function latest<T>(o: Observable<T>): T | undefined {
  let v: T | undefined;
  o.subscribe((x) => {
    v = x;
  }).unsubscribe();
  return v;
}

/** Every value of a stream, from now on. */
export function record<T>(o: Observable<T>): T[] {
  const out: T[] = [];
  o.subscribe((x) => out.push(x));
  return out;
}

/** Lets the store's promises (memoryStorage answers asynchronously) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Every request fails with a network error (retried quietly with backoff). */
export const offlineHttp: HttpFactory = () => {
  const fail = (method: string) =>
    throwError(() => new XcapNetworkError({ url: ROOT, method, cause: new Error('refused') }));
  return { get: () => fail('GET'), put: () => fail('PUT'), delete: () => fail('DELETE') };
};

/** Managers made by the tests, closed by {@link closeManagers}. */
export const managers: XcapManager[] = [];
/** Closes every manager the test made (from `afterEach`). */
export async function closeManagers(): Promise<void> {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
}

/** A manager on virtual time against the in-memory server, offline until `online = true`. */
export function setup(
  options: { storage?: StoragePort; engine?: DocumentEngine; latency?: number } = {},
) {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  const server = createInMemoryXcapServer({ latency: options.latency ?? 0, scheduler });
  const net = { online: false };
  const offline = (method: string): Observable<never> =>
    throwError(
      () =>
        new XcapNetworkError({
          url: ROOT,
          method,
          cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        }),
    );
  const http: HttpFactory = (c) => {
    const inner = server.http(c);
    const guarded: XcapHttp = {
      get: (...a) => (net.online ? inner.get(...a) : offline('GET')),
      put: (...a) => (net.online ? inner.put(...a) : offline('PUT')),
      delete: (...a) => (net.online ? inner.delete(...a) : offline('DELETE')),
    };
    return guarded;
  };
  const storage = options.storage ?? memoryStorage();
  const m = createXcapManager({
    account: { id: ID, auth: { password: 'pw' }, xcap: { root: ROOT } },
    storage,
    http,
    sip: server.diff,
    scheduler,
    random: () => 0,
    backoff: { initialDelay: 1_000, maxDelay: 8_000, factor: 2, jitter: 0 },
    ...(options.engine ? { engine: options.engine } : {}),
  });
  managers.push(m);
  const errors = record<XcapError>(m.error$);
  /** Moves virtual time forward by `ms`, running every timer due meanwhile. */
  const advance = async (ms: number) => {
    const until = scheduler.now() + ms;
    while (scheduler.now() < until) {
      scheduler.maxFrames = Math.min(until, scheduler.now() + 100);
      scheduler.flush();
      if (scheduler.now() < scheduler.maxFrames) scheduler.frame = scheduler.maxFrames;
      await settle();
    }
  };
  return { m, server, net, scheduler, storage, errors, advance };
}

/** An engine that counts its apply calls. */
export function countingEngine(): DocumentEngine & { applies: number } {
  const engine = {
    ...defaultEngine,
    applies: 0,
    apply: (...a: Parameters<DocumentEngine['apply']>) => {
      engine.applies++;
      return defaultEngine.apply(...a);
    },
  };
  return engine;
}

export const names = (edits: readonly PendingEdit[] | undefined) =>
  edits?.map((e) => `${e.operation.type}:${e.state}`);
