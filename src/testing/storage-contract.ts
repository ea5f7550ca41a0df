/**
 * The contract every StoragePort adapter must meet (modelled on automerge-repo's shared
 * storage adapter tests): rxcap's own `memoryStorage` and `fileStorage` run it, and so can an
 * adapter of yours (IndexedDB, PostgreSQL...). It takes your test framework's functions
 * (vitest's or jest's), so rxcap does not depend on one.
 */
import { XcapValidationError } from '../errors.js';
import { XcapStoreClosedError } from '../store/errors.js';
import type { StoragePort } from '../store/storage-port.js';

/**
 * What an adapter's test gives the contract for one test.
 *
 * @example const subject: ContractSubject = { open: () => myStorage(dir), cleanup: () => rm(dir, { recursive: true }) };
 */
export interface ContractSubject {
  /** Open the adapter; called again after close() to check persistence when durable. */
  open(): StoragePort;
  /** Remove what the adapter left behind (temp directory...). */
  cleanup?(): Promise<void>;
}

/**
 * How to run the contract against one adapter.
 *
 * @example runStorageContract({ name: 'myStorage', durable: true, setup: () => ({ open: () => myStorage() }) }, api);
 */
export interface ContractOptions {
  name: string;
  /** Whether values survive close() and a new open() (file store: yes; memory: no). */
  durable: boolean;
  /** Called before each test: a fresh, empty store. */
  setup(): ContractSubject | Promise<ContractSubject>;
}

/**
 * The matchers the contract uses (vitest's and jest's `expect` have them).
 *
 * @example const matchers: ContractMatchers = expect(await storage.load(['alice', 'journal']));
 */
export interface ContractMatchers {
  toBe(expected: unknown): void;
  toBeUndefined(): void;
  toStrictEqual(expected: unknown): void;
  toBeInstanceOf(expected: unknown): void;
  readonly rejects: { toBeInstanceOf(expected: unknown): Promise<void> | void };
  readonly resolves: { toBeUndefined(): Promise<void> | void };
}

/**
 * The test functions of your framework: `import { describe, it, expect, beforeEach, afterEach } from 'vitest'`.
 *
 * @example const api: ContractTestApi = { describe, it, expect, beforeEach, afterEach }; // from 'vitest'
 */
export interface ContractTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  beforeEach(body: () => Promise<void>): void;
  afterEach(body: () => Promise<void>): void;
  expect(actual: unknown): ContractMatchers;
}

const ALICE = 'alice@example.com';

/**
 * Declares the contract's tests for one adapter.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, expect, it } from 'vitest';
 * import { runStorageContract } from 'rxcap/testing';
 * runStorageContract(
 *   { name: 'myStorage', durable: true, setup: () => ({ open: () => myStorage(dbUrl) }) },
 *   { describe, it, expect, beforeEach, afterEach },
 * );
 * ```
 */
export function runStorageContract(
  { name, durable, setup }: ContractOptions,
  api: ContractTestApi,
): void {
  const { describe, it, expect, beforeEach, afterEach } = api;
  describe(`storage contract: ${name}`, () => {
    let subject: ContractSubject;
    let storage: StoragePort;
    const opened: StoragePort[] = [];
    const open = () => {
      const s = subject.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      subject = await setup();
      storage = open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await subject.cleanup?.();
    });

    it('loads undefined for a key never saved', async () => {
      expect(await storage.load([ALICE, 'journal'])).toBeUndefined();
      expect(await storage.load(['nobody'])).toBeUndefined();
    });

    it('round-trips JSON values of every kind', async () => {
      const values: [string, unknown][] = [
        ['object', { a: 1, b: [true, null, 'x'], c: { d: -1.5e-7 } }],
        ['array', [1, 'two', { three: 3 }]],
        ['string', 'plain'],
        ['empty-string', ''],
        ['zero', 0],
        ['false', false],
        ['null', null],
      ];
      for (const [k, v] of values) await storage.save([ALICE, k], v);
      for (const [k, v] of values) expect(await storage.load([ALICE, k])).toStrictEqual(v);
    });

    it('reads back JSON semantics: undefined properties dropped, NaN becomes null', async () => {
      await storage.save([ALICE, 'x'], { keep: 1, drop: undefined, nan: Number.NaN });
      expect(await storage.load([ALICE, 'x'])).toStrictEqual({ keep: 1, nan: null });
    });

    it('keeps what was saved even if the caller mutates the value afterwards', async () => {
      const value = { list: [1, 2] };
      const saving = storage.save([ALICE, 'x'], value);
      value.list.push(3);
      await saving;
      const loaded = (await storage.load([ALICE, 'x'])) as { list: number[] };
      expect(loaded).toStrictEqual({ list: [1, 2] });
      loaded.list.push(4);
      expect(await storage.load([ALICE, 'x'])).toStrictEqual({ list: [1, 2] });
    });

    it('round-trips non-ASCII text and awkward key segments', async () => {
      const value = { name: 'Zoë Ødegård 李小龙 🎉', xml: '<a b="&quot;"/>\u0000\u2028' };
      const keys = [
        ['Ünïcødé@例え.jp', 'journal'],
        ['sip:bob@example.com', 'a/b\\c', '..', '.', '%2E', 'CON'],
        ['Alice@Example.com', 'x'],
      ];
      for (const key of keys) await storage.save(key, value);
      for (const key of keys) expect(await storage.load(key)).toStrictEqual(value);
      // Case matters even on case-insensitive file systems.
      expect(await storage.load(['alice@example.com', 'x'])).toBeUndefined();
    });

    it('round-trips a large value (4 MB of XML)', async () => {
      const content = `<list>${'<entry uri="sip:x@example.com">é</entry>'.repeat(100_000)}</list>`;
      await storage.save([ALICE, 'documents'], { 'resource-lists': { content, etag: '"1"' } });
      const loaded = (await storage.load([ALICE, 'documents'])) as Record<
        string,
        { content: string }
      >;
      expect(loaded['resource-lists']?.content).toBe(content);
    });

    it('overwrites a value saved under the same key', async () => {
      await storage.save([ALICE, 'journal'], ['a']);
      await storage.save([ALICE, 'journal'], ['b', 'c']);
      expect(await storage.load([ALICE, 'journal'])).toStrictEqual(['b', 'c']);
      expect(await storage.keys([ALICE])).toStrictEqual([[ALICE, 'journal']]);
    });

    it('applies unawaited saves to one key in call order', async () => {
      const saves = Array.from({ length: 20 }, (_, i) => storage.save([ALICE, 'journal'], i));
      await Promise.all(saves);
      expect(await storage.load([ALICE, 'journal'])).toBe(19);
    });

    it('saves concurrently to different keys', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => [i % 2 ? ALICE : 'bob', `k${i}`]);
      await Promise.all(keys.map((key, i) => storage.save(key, { i })));
      const loaded = await Promise.all(keys.map((key) => storage.load(key)));
      expect(loaded).toStrictEqual(keys.map((_, i) => ({ i })));
    });

    it('deletes a key, and deleting a missing key is not an error', async () => {
      await storage.save([ALICE, 'journal'], [1]);
      await storage.save([ALICE, 'documents'], {});
      await storage.delete([ALICE, 'journal']);
      expect(await storage.load([ALICE, 'journal'])).toBeUndefined();
      expect(await storage.load([ALICE, 'documents'])).toStrictEqual({});
      await expect(storage.delete([ALICE, 'journal'])).resolves.toBeUndefined();
      await expect(storage.delete(['nobody', 'x'])).resolves.toBeUndefined();
    });

    it('lists keys by whole-segment prefix, sorted', async () => {
      await storage.save([ALICE, 'journal'], 1);
      await storage.save([ALICE, 'documents'], 2);
      await storage.save([ALICE, 'sub', 'deep'], 3);
      await storage.save([ALICE], 4);
      await storage.save(['alice@example.com2', 'journal'], 5);
      expect(await storage.keys([ALICE])).toStrictEqual([
        [ALICE],
        [ALICE, 'documents'],
        [ALICE, 'journal'],
        [ALICE, 'sub', 'deep'],
      ]);
      expect(await storage.keys([ALICE, 'sub'])).toStrictEqual([[ALICE, 'sub', 'deep']]);
      expect(await storage.keys([ALICE, 'journal'])).toStrictEqual([[ALICE, 'journal']]);
      expect(await storage.keys(['nobody'])).toStrictEqual([]);
      const all = [
        [ALICE],
        [ALICE, 'documents'],
        [ALICE, 'journal'],
        [ALICE, 'sub', 'deep'],
        ['alice@example.com2', 'journal'],
      ];
      expect(await storage.keys()).toStrictEqual(all);
      expect(await storage.keys([])).toStrictEqual(all);
    });

    it('purges everything under a prefix and nothing else', async () => {
      await storage.save([ALICE], 0);
      await storage.save([ALICE, 'journal'], 1);
      await storage.save([ALICE, 'sub', 'deep'], 2);
      await storage.save(['alice@example.com2', 'journal'], 3);
      await storage.save(['bob', 'journal'], 4);
      await storage.purge([ALICE, 'sub']);
      expect(await storage.keys([ALICE])).toStrictEqual([[ALICE], [ALICE, 'journal']]);
      await storage.purge([ALICE]);
      expect(await storage.keys()).toStrictEqual([
        ['alice@example.com2', 'journal'],
        ['bob', 'journal'],
      ]);
      expect(await storage.load([ALICE, 'journal'])).toBeUndefined();
      expect(await storage.load(['alice@example.com2', 'journal'])).toBe(3);
      await expect(storage.purge(['nobody'])).resolves.toBeUndefined();
      // The account can be used again after a purge.
      await storage.save([ALICE, 'journal'], 5);
      expect(await storage.load([ALICE, 'journal'])).toBe(5);
    });

    it('rejects bad keys and values with XcapValidationError, storing nothing', async () => {
      const badKeys: unknown[] = [[], [''], [ALICE, ''], 'alice', [ALICE, 1], undefined];
      for (const key of badKeys) {
        await expect(storage.save(key as string[], 1)).rejects.toBeInstanceOf(XcapValidationError);
        await expect(storage.load(key as string[])).rejects.toBeInstanceOf(XcapValidationError);
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [undefined, () => 1, 10n, cyclic]) {
        await expect(storage.save([ALICE, 'x'], value)).rejects.toBeInstanceOf(XcapValidationError);
      }
      await expect(storage.purge([])).rejects.toBeInstanceOf(XcapValidationError);
      expect(await storage.keys()).toStrictEqual([]);
    });

    it('refuses a key segment with a lone surrogate (it would share the U+FFFD key file)', async () => {
      for (const seg of ['a\uD800', '\uDC00b'])
        await expect(storage.save([ALICE, seg], 1)).rejects.toBeInstanceOf(XcapValidationError);
      await expect(storage.save(['a\uD800', 'x'], 1)).rejects.toBeInstanceOf(XcapValidationError);
      expect(await storage.load([ALICE, 'a\uFFFD'])).toBeUndefined();
      expect(await storage.load(['a\uFFFD', 'x'])).toBeUndefined();
      expect(await storage.keys()).toStrictEqual([]);
      // A well-formed astral character is a fine segment.
      await storage.save([ALICE, 'a\u{1F600}'], 2);
      expect(await storage.keys([ALICE])).toStrictEqual([[ALICE, 'a\u{1F600}']]);
    });

    it('rejects every method with XcapStoreClosedError after close()', async () => {
      await storage.save([ALICE, 'journal'], 1);
      await storage.close();
      await storage.close(); // idempotent
      const calls = [
        () => storage.load([ALICE, 'journal']),
        () => storage.save([ALICE, 'journal'], 2),
        () => storage.delete([ALICE, 'journal']),
        () => storage.purge([ALICE]),
        () => storage.keys(),
        () => storage.keys([ALICE]),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(XcapStoreClosedError);
        expect((error as XcapStoreClosedError).code).toBe('RXCAP_STORE_CLOSED');
      }
    });

    it('finishes saves started before close()', async () => {
      const saving = storage.save([ALICE, 'journal'], 'last');
      await storage.close();
      await saving;
      await expect(storage.load([ALICE, 'journal'])).rejects.toBeInstanceOf(XcapStoreClosedError);
      if (durable) expect(await open().load([ALICE, 'journal'])).toBe('last');
    });

    if (durable) {
      it('keeps values, deletions and purges across close() and reopen', async () => {
        await storage.save([ALICE, 'journal'], [{ id: 'op-1', operation: { n: 'é' } }]);
        await storage.save([ALICE, 'documents'], { d: 1 });
        await storage.save([ALICE, 'gone'], 1);
        await storage.save(['bob', 'journal'], 2);
        await storage.delete([ALICE, 'gone']);
        await storage.purge(['bob']);
        await storage.close();
        const reopened = open();
        expect(await reopened.keys()).toStrictEqual([
          [ALICE, 'documents'],
          [ALICE, 'journal'],
        ]);
        expect(await reopened.load([ALICE, 'journal'])).toStrictEqual([
          { id: 'op-1', operation: { n: 'é' } },
        ]);
        expect(await reopened.load([ALICE, 'documents'])).toStrictEqual({ d: 1 });
      });
    } else {
      it('starts empty in each new instance', async () => {
        await storage.save([ALICE, 'journal'], 1);
        await storage.close();
        expect(await open().keys()).toStrictEqual([]);
      });
    }
  });
}
