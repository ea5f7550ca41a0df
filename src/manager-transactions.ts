/**
 * The manager's transactions (split from manager.ts): journal entries issued inside
 * `startTransaction()` ... `commitTransaction()` (or `transaction(fn)`) are held back and handed
 * on together when the outermost transaction ends, so that they reach the server in one update.
 */
import type { JournalEntry } from './streams/events.js';

/**
 * Holds entries while a transaction is open and hands them to `append` when the outermost one
 * commits; outside a transaction every entry is handed on at once. Transactions nest.
 *
 * @example
 * ```ts
 * const tx = transactionQueue((entries) => input$.next({ type: 'journalAppended', entries }));
 * tx.transaction(() => { tx.add(a); tx.add(b); }); // append([a, b]) once
 * ```
 */
export function transactionQueue(append: (entries: JournalEntry[]) => void): {
  /** The entries held by the open transaction (the same array, emptied on commit). */
  readonly queued: readonly JournalEntry[];
  add(entry: JournalEntry): void;
  startTransaction(): void;
  commitTransaction(): void;
  transaction<T>(fn: () => T): T;
} {
  let depth = 0;
  const queued: JournalEntry[] = [];
  const startTransaction = (): void => {
    depth++;
  };
  const commitTransaction = (): void => {
    if (depth === 0) return;
    depth--;
    if (depth === 0) append(queued.splice(0));
  };
  const transaction = <T>(fn: () => T): T => {
    startTransaction();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      commitTransaction();
      throw e;
    }
    if (result instanceof Promise) {
      return result.finally(commitTransaction) as T;
    }
    commitTransaction();
    return result;
  };
  return {
    queued,
    add(entry) {
      if (depth > 0) queued.push(entry);
      else append([entry]);
    },
    startTransaction,
    commitTransaction,
    transaction,
  };
}
