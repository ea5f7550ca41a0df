/**
 * The operation methods shared by the manager and its transactions.
 */
import { operations } from '../journal/index.js';
import type { OperationData } from '../streams/ports.js';
import type { XcapManager } from './types.js';

/**
 * The operation methods of the manager and of a transaction.
 *
 * @example const edit: OperationMethods = manager; edit.addGroup(new Group({ name: 'Friends' }));
 */
export type OperationMethods = Pick<
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
>;

/**
 * The operation methods: each builds its operation (validating synchronously, throwing a typed
 * error and journaling nothing on bad input; src/journal/operations.ts) and hands it to `journal`.
 *
 * @example const methods = operationMethods((op) => queue.add(op)); methods.addGroup(new Group({ name: 'Friends' }));
 */
export function operationMethods(journal: (operation: OperationData) => void): OperationMethods {
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
