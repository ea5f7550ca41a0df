/**
 * Transactions: operations made inside one are held back and handed to the manager together
 * when it commits (so they reach the server in one update), or dropped when it rolls back.
 * Each transaction is its caller's: operations made elsewhere meanwhile are not captured
 * (regression test "flush() after an operation made outside an open transaction waits for
 * that operation").
 */
import { XcapValidationError } from '../errors.js';
import type { JournalEntry } from '../streams/events.js';
import type { OperationData } from '../streams/ports.js';
import { type OperationMethods, operationMethods } from './operation-methods.js';

/**
 * A transaction: its own operation methods, `commit()` and `rollback()`.
 *
 * @example const tx = manager.startTransaction(); tx.addGroup(group); tx.commit();
 */
export interface XcapTransaction extends OperationMethods {
  /** Hands the held operations to the manager (or to the enclosing transaction); once. */
  commit(): void;
  /** Drops the held operations; once. */
  rollback(): void;
  /** False once committed or rolled back. */
  readonly open: boolean;
}

/**
 * What transactions need from the manager.
 *
 * @example transactions({ entry: (op) => ({ id: generateId(), operation: op }), commit: send, rolledBack: rebuild })
 */
export interface TransactionDeps {
  /** Validates an operation (throws) and makes its journal entry. */
  entry(operation: OperationData): JournalEntry;
  /** Operations committed by an outermost transaction, or made outside any. */
  commit(entries: readonly JournalEntry[]): void;
  /** A transaction dropped its operations (the known ids must forget them). */
  rolledBack(): void;
}

interface Scope {
  readonly entries: JournalEntry[];
  readonly parent: Scope | null;
  open: boolean;
}

/**
 * The manager's transactions and its operation entry point.
 *
 * @example
 * ```ts
 * const tx = transactions(deps);
 * tx.transaction(() => { manager.addGroup(a); manager.addGroup(b); }); // commit([a, b]) once
 * ```
 */
export function transactions(deps: TransactionDeps): {
  /** An operation made through the manager: into the running `transaction(fn)`, if any. */
  journal(operation: OperationData): void;
  /** The operations every open transaction holds (the ids they name exist for the caller). */
  held(): readonly JournalEntry[];
  startTransaction(): XcapTransaction;
  commitTransaction(tx?: XcapTransaction): void;
  transaction<T>(fn: (tx: XcapTransaction) => T): T;
} {
  /** The transaction whose `fn` runs synchronously right now: manager methods join it. */
  let current: Scope | null = null;
  const openScopes = new Set<Scope>();
  const started: XcapTransaction[] = [];

  const add = (scope: Scope | null, entry: JournalEntry): void => {
    if (scope === null) deps.commit([entry]);
    else scope.entries.push(entry);
  };
  const handle = (parent: Scope | null): { tx: XcapTransaction; scope: Scope } => {
    const scope: Scope = { entries: [], parent, open: true };
    openScopes.add(scope);
    const close = (): boolean => {
      if (!scope.open) return false;
      scope.open = false;
      openScopes.delete(scope);
      return true;
    };
    const tx: XcapTransaction = {
      ...operationMethods((op) => {
        if (!scope.open)
          throw new XcapValidationError('the transaction was committed or rolled back', 'tx');
        scope.entries.push(deps.entry(op));
      }),
      commit() {
        if (!close()) return;
        const entries = scope.entries.splice(0);
        if (entries.length === 0) return;
        // A nested transaction commits into its parent, unless the parent has ended meanwhile.
        if (parent?.open) parent.entries.push(...entries);
        else deps.commit(entries);
      },
      rollback() {
        if (!close()) return;
        scope.entries.length = 0;
        deps.rolledBack();
      },
      get open() {
        return scope.open;
      },
    };
    return { tx, scope };
  };

  return {
    journal(operation) {
      add(current, deps.entry(operation));
    },
    held: () => [...openScopes].flatMap((s) => s.entries),
    startTransaction() {
      const { tx } = handle(null);
      started.push(tx);
      return tx;
    },
    commitTransaction(tx) {
      const target = tx ?? [...started].reverse().find((t) => t.open);
      target?.commit();
      for (let i = started.length - 1; i >= 0; i--) if (!started[i]!.open) started.splice(i, 1);
    },
    transaction<T>(fn: (tx: XcapTransaction) => T): T {
      const parentScope = current;
      const { tx, scope } = handle(parentScope);
      // Manager methods called synchronously inside fn join this transaction.
      current = scope;
      let result: T;
      try {
        result = fn(tx);
      } catch (e) {
        tx.rollback();
        throw e;
      } finally {
        current = parentScope;
      }
      if (isPromiseLike(result)) {
        return Promise.resolve(result).then(
          (v) => {
            tx.commit();
            return v;
          },
          (e: unknown) => {
            tx.rollback();
            throw e;
          },
        ) as T;
      }
      tx.commit();
      return result;
    },
  };
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
