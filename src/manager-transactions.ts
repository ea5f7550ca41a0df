/**
 * The manager's transactions (split from manager.ts): journal entries issued inside
 * `startTransaction()` ... `commitTransaction()` (or `transaction(fn)`) are held back and handed
 * on together when the outermost transaction ends, so that they reach the server in one update.
 */
import { operations } from './journal/index.js';
import type { XcapManager } from './manager-types.js';
import type { JournalEntry } from './streams/events.js';
import type { OperationData } from './streams/ports.js';

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

/**
 * The manager's operation methods: each builds its operation (validating
 * synchronously, src/journal/operations.ts) and hands it to `journal`.
 *
 * @example const methods = operationMethods((op) => queue.add(op)); methods.addGroup(new Group({ name: 'Friends' }));
 */
export function operationMethods(
  journal: (operation: OperationData) => void,
): Pick<
  XcapManager,
  | 'addGroup'
  | 'updateGroup'
  | 'removeGroup'
  | 'addContact'
  | 'updateContact'
  | 'removeContact'
  | 'addContactUri'
  | 'updateContactUri'
  | 'removeContactUri'
  | 'addGroupMember'
  | 'removeGroupMember'
  | 'addPolicy'
  | 'updatePolicy'
  | 'removePolicy'
  | 'setDefaultPresencePolicy'
  | 'setDefaultDialogPolicy'
  | 'setStatusIcon'
  | 'setOfflineStatus'
> {
  return {
    addGroup: (g) => journal(operations.addGroup(g)),
    updateGroup: (g, ch) => journal(operations.updateGroup(g, ch)),
    removeGroup: (g) => journal(operations.removeGroup(g)),
    addContact: (c) => journal(operations.addContact(c)),
    updateContact: (c, ch) => journal(operations.updateContact(c, ch)),
    removeContact: (c) => journal(operations.removeContact(c)),
    addContactUri: (c, u) => journal(operations.addContactUri(c, u)),
    updateContactUri: (c, u, ch) => journal(operations.updateContactUri(c, u, ch)),
    removeContactUri: (c, u) => journal(operations.removeContactUri(c, u)),
    addGroupMember: (g, c) => journal(operations.addGroupMember(g, c)),
    removeGroupMember: (g, c) => journal(operations.removeGroupMember(g, c)),
    addPolicy: (p) => journal(operations.addPolicy(p)),
    updatePolicy: (p, ch) => journal(operations.updatePolicy(p, ch)),
    removePolicy: (p) => journal(operations.removePolicy(p)),
    setDefaultPresencePolicy: (p) => journal(operations.setDefaultPresencePolicy(p)),
    setDefaultDialogPolicy: (p) => journal(operations.setDefaultDialogPolicy(p)),
    setStatusIcon: (i) => journal(operations.setStatusIcon(i)),
    setOfflineStatus: (s) => journal(operations.setOfflineStatus(s)),
  };
}
