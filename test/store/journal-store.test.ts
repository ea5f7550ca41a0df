import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import { XcapStoreCorruptError } from '../../src/store/errors.js';
import { journalKey, journalStore } from '../../src/store/journal-store.js';
import { memoryStorage } from '../../src/store/memory-storage.js';

interface FakeOp {
  kind: string;
  name?: string;
}

describe('journalStore', () => {
  it('loads an empty journal when nothing was saved', async () => {
    expect(await journalStore(memoryStorage(), 'alice@example.com').load()).toStrictEqual([]);
  });

  it('round-trips records in order and resets applied to false on load', async () => {
    const storage = memoryStorage();
    const journal = journalStore<FakeOp>(storage, 'alice@example.com');
    await journal.save([
      { id: 'op-1', operation: { kind: 'addGroup', name: 'Friends' }, applied: true },
      { id: 'op-2', operation: { kind: 'removeContact' } },
      { id: 'op-3', operation: { kind: 'addContact', name: 'Zoë' }, applied: false },
    ]);
    expect(await journal.load()).toStrictEqual([
      { id: 'op-1', operation: { kind: 'addGroup', name: 'Friends' }, applied: false },
      { id: 'op-2', operation: { kind: 'removeContact' }, applied: false },
      { id: 'op-3', operation: { kind: 'addContact', name: 'Zoë' }, applied: false },
    ]);
    // `applied` is runtime state only: it is not persisted.
    expect(await storage.load(journalKey('alice@example.com'))).toStrictEqual([
      { id: 'op-1', operation: { kind: 'addGroup', name: 'Friends' } },
      { id: 'op-2', operation: { kind: 'removeContact' } },
      { id: 'op-3', operation: { kind: 'addContact', name: 'Zoë' } },
    ]);
  });

  it('keeps accounts apart and deletes the key when the journal becomes empty', async () => {
    const storage = memoryStorage();
    const alice = journalStore(storage, 'alice@example.com');
    const bob = journalStore(storage, 'bob@example.com');
    await alice.save([{ id: 'a', operation: 1 }]);
    await bob.save([{ id: 'b', operation: 2 }]);
    expect((await alice.load()).map((r) => r.id)).toStrictEqual(['a']);
    await alice.save([]);
    expect(await alice.load()).toStrictEqual([]);
    expect(await storage.keys()).toStrictEqual([['bob@example.com', 'journal']]);
  });

  it('refuses malformed records with XcapValidationError and keeps the saved journal', async () => {
    const journal = journalStore(memoryStorage(), 'alice@example.com');
    await journal.save([{ id: 'ok', operation: 1 }]);
    const bad: unknown[][] = [
      [{ id: 1, operation: 1 }],
      [{ id: 'x' }],
      [
        { id: 'x', operation: 1 },
        { id: 'x', operation: 2 },
      ],
      [null],
      [{ id: 'x', operation: 10n }],
    ];
    for (const records of bad) {
      await expect(journal.save(records as never)).rejects.toBeInstanceOf(XcapValidationError);
    }
    expect((await journal.load()).map((r) => r.id)).toStrictEqual(['ok']);
  });

  it('reports a stored journal of the wrong shape as XcapStoreCorruptError', async () => {
    const storage = memoryStorage();
    const journal = journalStore(storage, 'alice@example.com');
    for (const value of [{}, 'text', [{ id: 'x' }], [{ operation: 1 }]]) {
      await storage.save(journalKey('alice@example.com'), value);
      const error = await journal.load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(XcapStoreCorruptError);
      expect((error as XcapStoreCorruptError).key).toStrictEqual(['alice@example.com', 'journal']);
    }
  });

  it('refuses an empty account id', () => {
    expect(() => journalStore(memoryStorage(), '')).toThrow(XcapValidationError);
  });
});
