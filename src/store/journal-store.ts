/**
 * Persistence of one account's journal: the operations made offline or not yet acknowledged by
 * the server, in order. Browser-safe, on top of any {@link StoragePort}. The store knows nothing
 * of operation types: an operation is any JSON-serializable value (the journal module's
 * serializable operations; never closures, like TanStack Query's persisted mutations).
 *
 * The journal has its own key (`[accountId, 'journal']`), apart from the document cache, so that
 * saving it on every operation writes only the (small) journal.
 */
import { XcapValidationError } from '../errors.js';
import { XcapJournalRecordError, XcapStoreCorruptError } from './errors.js';
import type { StorageKey, StoragePort } from './storage-port.js';

/**
 * One journaled operation.
 *
 * @example
 * ```ts
 * const record: JournalRecord = { id: 'op-1', operation: { kind: 'addContact', contact: {...} } };
 * ```
 */
export interface JournalRecord<Op = unknown> {
  /** Unique id of the record (stable across saves). */
  id: string;
  /** The serializable operation. */
  operation: Op;
  /** Whether the operation is applied to the documents being sent (in memory only). */
  applied?: boolean;
}

/**
 * The storage key of an account's journal.
 *
 * @example
 * ```ts
 * journalKey('alice@example.com'); // ['alice@example.com', 'journal']
 * ```
 */
export function journalKey(accountId: string): StorageKey {
  if (typeof accountId !== 'string' || accountId.length === 0) {
    throw new XcapValidationError('accountId must be a non-empty string', 'accountId');
  }
  return [accountId, 'journal'];
}

/**
 * The storage key where refused journal records are kept aside (never deleted: a user or a
 * later version may still recover them).
 *
 * @example refusedJournalKey('sip:alice@example.com') // ['sip:alice@example.com', 'journal-refused']
 */
export function refusedJournalKey(accountId: string): StorageKey {
  return [journalKey(accountId)[0]!, 'journal-refused'];
}

/**
 * A record `loadChecked` refused, with the typed error that names it.
 *
 * @example refused.map((r) => r.error.recordId)
 */
export interface RefusedRecord {
  readonly record: unknown;
  readonly error: XcapJournalRecordError;
}

/**
 * The journal of one account, on top of a storage port.
 *
 * `applied` is not persisted: after a reload nothing is known to be applied to fresh documents
 * (applied operations are dropped only after a successful PUT), so `load()` returns
 * every record with `applied: false`.
 *
 * @example
 * ```ts
 * const journal = journalStore<MyOp>(storage, 'alice@example.com');
 * await journal.save([{ id: 'op-1', operation: op }]);
 * await journal.load(); // [{ id: 'op-1', operation: op, applied: false }]
 * ```
 */
export function journalStore<Op = unknown>(
  storage: StoragePort,
  accountId: string,
): {
  /** The saved records, in order, all with `applied: false`; `[]` when there are none. */
  load(): Promise<JournalRecord<Op>[]>;
  /**
   * The saved records, each checked by `check` (which returns the operation or throws): a record
   * that fails is refused with an {@link XcapJournalRecordError} naming it, the others load. A
   * journal that is not an array rejects with XcapStoreCorruptError (never dropped).
   */
  loadChecked(
    check: (operation: unknown) => Op,
  ): Promise<{ records: JournalRecord<Op>[]; refused: RefusedRecord[] }>;
  /** Append `refused` records to the ones kept aside under {@link refusedJournalKey}. */
  setAside(refused: readonly RefusedRecord[]): Promise<void>;
  /** Replace the saved journal with `records` (an empty array deletes it). */
  save(records: readonly JournalRecord<Op>[]): Promise<void>;
} {
  const key = journalKey(accountId);
  return {
    async load() {
      const value = await storage.load(key);
      if (value === undefined) return [];
      return checkRecords(key, value).map((r) => ({
        id: r.id,
        operation: r.operation as Op,
        applied: false,
      }));
    },
    async loadChecked(check) {
      const value = await storage.load(key);
      if (value === undefined) return { records: [], refused: [] };
      if (!Array.isArray(value))
        throw new XcapStoreCorruptError(key, 'the journal is not an array');
      const records: JournalRecord<Op>[] = [];
      const refused: RefusedRecord[] = [];
      const seen = new Set<string>();
      value.forEach((r: unknown, index) => {
        const record = r as { id?: unknown; operation?: unknown } | null;
        const id = typeof record?.id === 'string' ? record.id : undefined;
        try {
          if (typeof record !== 'object' || record === null || id === undefined || id === '')
            throw new XcapValidationError('a journal record needs a string id', 'id');
          if (seen.has(id)) throw new XcapValidationError('the id is duplicated', 'id');
          const operation = check(record.operation);
          seen.add(id);
          records.push({ id, operation, applied: false });
        } catch (cause) {
          refused.push({ record: r, error: new XcapJournalRecordError(key, index, id, { cause }) });
        }
      });
      return { records, refused };
    },
    async setAside(refused) {
      if (refused.length === 0) return;
      const asideKey = refusedJournalKey(accountId);
      const kept = await storage.load(asideKey);
      const before = Array.isArray(kept) ? kept : kept === undefined ? [] : [kept];
      await storage.save(asideKey, [...before, ...refused.map((r) => r.record ?? null)]);
    },
    async save(records) {
      checkRecords(key, records, (message) => new XcapValidationError(message, 'records'));
      if (records.length === 0) {
        // Nothing pending: remove the file rather than keep an empty one.
        await storage.delete(key);
        return;
      }
      await storage.save(
        key,
        records.map((r) => ({ id: r.id, operation: r.operation })),
      );
    },
  };
}

function checkRecords(
  key: StorageKey,
  value: unknown,
  fail: (message: string) => Error = (message) => new XcapStoreCorruptError(key, message),
): { id: string; operation: unknown }[] {
  if (!Array.isArray(value)) throw fail('the journal is not an array');
  const seen = new Set<string>();
  value.forEach((r: unknown, i) => {
    const record = r as { id?: unknown; operation?: unknown } | null;
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.id !== 'string' ||
      record.operation === undefined
    ) {
      throw fail(`journal record ${i} is malformed`);
    }
    if (seen.has(record.id)) {
      throw fail(`journal record id ${JSON.stringify(record.id)} is duplicated`);
    }
    seen.add(record.id);
  });
  return value as { id: string; operation: unknown }[];
}
