import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { XcapStoreClosedError, XcapStoreLockedError } from '../../src/store/errors.js';
import { indexedDbStorage } from '../../src/store/indexeddb-storage.js';
import { fakeWebLocks } from './fake-web-locks.js';
import { runStorageContract } from './storage-contract.js';

const ALICE = 'alice@example.com';
let dbCount = 0;
const freshName = () => `rxcap-test-${++dbCount}`;

runStorageContract({
  name: 'indexedDbStorage (fake-indexeddb)',
  durable: true,
  setup: () => {
    const databaseName = freshName();
    const locks = fakeWebLocks();
    return { open: () => indexedDbStorage({ databaseName, locks }) };
  },
});

describe('indexedDbStorage: one owner per account (fake Web Locks)', () => {
  it('a second store on the same account gets XcapStoreLockedError; another account is free', async () => {
    const databaseName = freshName();
    const locks = fakeWebLocks();
    const tab1 = indexedDbStorage({ databaseName, locks });
    const tab2 = indexedDbStorage({ databaseName, locks });
    await tab1.save([ALICE, 'journal'], ['op']);
    const e = await tab2.load([ALICE, 'journal']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapStoreLockedError);
    expect((e as XcapStoreLockedError).reason).toBe('held');
    await tab2.save(['bob@example.com', 'journal'], []);
    // Once the owner closes, the account is free: the next call takes it over.
    await tab1.close();
    expect(await tab2.load([ALICE, 'journal'])).toStrictEqual(['op']);
    await tab2.close();
    await new Promise((r) => setTimeout(r, 0)); // the lock goes when its callback settles
    expect(locks.held()).toStrictEqual([]);
  });

  it("whenLocked: 'wait' waits for the owner to close, telling onWait", async () => {
    const databaseName = freshName();
    const locks = fakeWebLocks();
    const tab1 = indexedDbStorage({ databaseName, locks });
    const waited: string[] = [];
    const tab2 = indexedDbStorage({
      databaseName,
      locks,
      whenLocked: 'wait',
      onWait: (a) => waited.push(a),
    });
    await tab1.save([ALICE, 'journal'], ['first']);
    let loaded: unknown = 'pending';
    const loading = tab2.load([ALICE, 'journal']).then((v) => {
      loaded = v;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(loaded).toBe('pending');
    expect(waited).toStrictEqual([ALICE]);
    await tab1.save([ALICE, 'journal'], ['second']);
    await tab1.close();
    await loading;
    expect(loaded).toStrictEqual(['second']);
    await tab2.close();
  });

  it('close() while waiting for the lock rejects the waiting call with XcapStoreClosedError', async () => {
    const databaseName = freshName();
    const locks = fakeWebLocks();
    const tab1 = indexedDbStorage({ databaseName, locks });
    const tab2 = indexedDbStorage({ databaseName, locks, whenLocked: 'wait' });
    await tab1.save([ALICE, 'x'], 1);
    const waiting = tab2.load([ALICE, 'x']).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    await tab2.close();
    expect(await waiting).toBeInstanceOf(XcapStoreClosedError);
    await tab1.close();
  });

  it('a lock stolen by another owner makes later calls fail as compromised', async () => {
    const databaseName = freshName();
    const locks = fakeWebLocks();
    const tab1 = indexedDbStorage({ databaseName, locks });
    await tab1.save([ALICE, 'x'], 1);
    await locks.request(`rxcap:${databaseName}:${ALICE}`, { steal: true }, async () => {});
    const e = await tab1.save([ALICE, 'x'], 2).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapStoreLockedError);
    expect((e as XcapStoreLockedError).reason).toBe('compromised');
    await tab1.close();
  });
});
