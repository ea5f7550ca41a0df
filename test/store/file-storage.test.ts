import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import {
  XcapStoreCorruptError,
  XcapStoreIoError,
  XcapStoreLockedError,
} from '../../src/store/errors.js';
import { type FileStorageOptions, fileStorage } from '../../src/store/file-storage.js';
import type { StoragePort } from '../../src/store/storage-port.js';
import { runStorageContract } from '../../src/testing/storage-contract.js';

runStorageContract(
  {
    name: 'fileStorage',
    durable: true,
    setup: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rxcap-store-'));
      return {
        open: () => fileStorage(join(dir, 'store')),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  { describe, it, expect, beforeEach, afterEach },
);

describe('fileStorage (file specifics)', () => {
  let dir: string;
  let root: string;
  const opened: StoragePort[] = [];
  const open = (options?: FileStorageOptions) => {
    const s = fileStorage(root, options);
    opened.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxcap-store-'));
    root = join(dir, 'store');
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lays out one file per key under an encoded account directory', async () => {
    const storage = open();
    await storage.save(['Alice@example.com', 'journal'], []);
    await storage.save(['Alice@example.com', 'documents'], {});
    await storage.save(['bob'], 1);
    const account = join(root, '%41lice@example%2Ecom');
    expect((await readdir(account)).sort()).toStrictEqual(['documents.json', 'journal.json']);
    expect((await readdir(root)).sort()).toStrictEqual([
      '%41lice@example%2Ecom',
      '%41lice@example%2Ecom.lock',
      'bob.json',
      'bob.lock',
    ]);
    expect(JSON.parse(await readFile(join(account, 'journal.json'), 'utf8'))).toStrictEqual({
      format: 1,
      value: [],
    });
  });

  it.runIf(process.platform !== 'win32')('creates directories 0700 and files 0600', async () => {
    const storage = open();
    await storage.save(['alice@example.com', 'journal'], [1]);
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(root)).toBe(0o700);
    expect(await mode(join(root, 'alice@example%2Ecom'))).toBe(0o700);
    expect(await mode(join(root, 'alice@example%2Ecom', 'journal.json'))).toBe(0o600);
  });

  it('reports a truncated file as XcapStoreCorruptError and leaves it untouched', async () => {
    const storage = open();
    await storage.save(['alice@example.com', 'journal'], [{ id: '1', operation: 'x' }]);
    const file = join(root, 'alice@example%2Ecom', 'journal.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length - 5));
    const error = await storage.load(['alice@example.com', 'journal']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapStoreCorruptError);
    expect((error as XcapStoreCorruptError).code).toBe('RXCAP_STORE_CORRUPT');
    expect((error as XcapStoreCorruptError).path).toBe(file);
    expect((error as XcapStoreCorruptError).key).toStrictEqual(['alice@example.com', 'journal']);
    expect(await readFile(file, 'utf8')).toBe(text.slice(0, text.length - 5));
    // What the user can do: discard it; then the key is usable again.
    await storage.delete(['alice@example.com', 'journal']);
    expect(await storage.load(['alice@example.com', 'journal'])).toBeUndefined();
  });

  it('reports an invalid UTF-8 byte inside a JSON string as XcapStoreCorruptError (was decoded lossily)', async () => {
    const storage = open();
    await storage.save(['alice@example.com', 'journal'], [{ id: '1', operation: 'abc' }]);
    const file = join(root, 'alice@example%2Ecom', 'journal.json');
    const bytes = await readFile(file);
    const at = bytes.indexOf('abc');
    expect(at).toBeGreaterThan(0);
    // A flipped bit: 'b' (0x62) becomes 0xe2, a lead byte without its continuation bytes.
    const flipped = Buffer.from(bytes);
    flipped[at + 1] = 0xe2;
    await writeFile(file, flipped);
    const error = await storage.load(['alice@example.com', 'journal']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapStoreCorruptError);
    expect((error as XcapStoreCorruptError).code).toBe('RXCAP_STORE_CORRUPT');
    expect((error as XcapStoreCorruptError).path).toBe(file);
    expect((error as XcapStoreCorruptError).key).toStrictEqual(['alice@example.com', 'journal']);
    expect(Buffer.compare(await readFile(file), flipped)).toBe(0);
  });

  it('reports valid JSON that is not a store file as XcapStoreCorruptError', async () => {
    await mkdir(join(root, 'a'), { recursive: true });
    await writeFile(join(root, 'a', 'journal.json'), '[1,2]');
    await expect(open().load(['a', 'journal'])).rejects.toBeInstanceOf(XcapStoreCorruptError);
  });

  it('ignores foreign files and removes a dead writer’s temp files when taking the lock', async () => {
    await mkdir(join(root, 'a', 'sub.9999-abc.purge'), { recursive: true });
    await writeFile(join(root, 'a', 'journal.json.9999-abcdef.tmp'), '{"format":1,');
    await writeFile(join(root, 'a.json.9999-abcdef.tmp'), '{');
    await writeFile(join(root, 'README.txt'), 'not ours');
    await writeFile(join(root, 'a', 'Notes.json'), '{}');
    const storage = open();
    expect(await storage.keys()).toStrictEqual([]);
    expect(await storage.keys(['a'])).toStrictEqual([]);
    expect((await readdir(join(root, 'a'))).sort()).toStrictEqual(['Notes.json']);
    expect((await readdir(root)).sort()).toStrictEqual(['README.txt', 'a', 'a.lock']);
  });

  it('refuses a second fileStorage on the same account in this process', async () => {
    const first = open();
    await first.save(['alice@example.com', 'journal'], [1]);
    const second = open();
    const error = await second.load(['alice@example.com', 'journal']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapStoreLockedError);
    expect((error as XcapStoreLockedError).code).toBe('RXCAP_STORE_LOCKED');
    expect((error as XcapStoreLockedError).account).toBe('alice@example.com');
    expect((error as XcapStoreLockedError).reason).toBe('held');
    await expect(second.save(['alice@example.com', 'journal'], [2])).rejects.toBeInstanceOf(
      XcapStoreLockedError,
    );
    // Other accounts are free, and the owner's data is untouched.
    await second.save(['bob', 'journal'], [3]);
    expect(await first.load(['alice@example.com', 'journal'])).toStrictEqual([1]);
    // Once the owner closes, the second one can take over (the failure was not cached).
    await first.close();
    expect(await second.load(['alice@example.com', 'journal'])).toStrictEqual([1]);
  });

  it('refuses further operations once its lock was lost (compromised)', async () => {
    const storage = open({ staleMs: 2000 });
    await storage.save(['a', 'journal'], 1);
    // Someone removed our lock: proper-lockfile notices at its next refresh (<= staleMs / 2).
    await rm(join(root, 'a.lock'), { recursive: true });
    let error: unknown;
    for (let i = 0; i < 40 && error === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      error = await storage.load(['a', 'journal']).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(XcapStoreLockedError);
    expect((error as XcapStoreLockedError).reason).toBe('compromised');
    expect(await open().load(['a', 'journal'])).toBe(1);
  });

  it('refuses a key segment too long for a file name with XcapValidationError', async () => {
    const storage = open();
    const long = 'x'.repeat(201);
    await expect(storage.save(['a', long], 1)).rejects.toBeInstanceOf(XcapValidationError);
    await expect(storage.load([long])).rejects.toBeInstanceOf(XcapValidationError);
    await expect(storage.keys(['a', long])).rejects.toBeInstanceOf(XcapValidationError);
    // 'é' encodes as %C3%A9 (6 characters): 33 of them (198) fit in 200, 34 (204) do not.
    await storage.save(['a', 'é'.repeat(33)], 1);
    await expect(storage.save(['a', 'é'.repeat(34)], 1)).rejects.toBeInstanceOf(
      XcapValidationError,
    );
    expect(await storage.keys()).toStrictEqual([['a', 'é'.repeat(33)]]);
  });

  it('turns a file system failure into XcapStoreIoError with the system code', async () => {
    // A plain file where the store directory should be: every mkdir fails with ENOTDIR/EEXIST.
    await writeFile(root, 'in the way');
    const error = await open()
      .save(['a', 'journal'], 1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapStoreIoError);
    expect((error as XcapStoreIoError).code).toBe('RXCAP_STORE_IO');
    expect((error as XcapStoreIoError).syscallCode).toMatch(/^E[A-Z]+$/);
  });
});
