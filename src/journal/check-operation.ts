/**
 * Validation of an operation read back from storage: a journal file is data from disk (another
 * version, a hand edit, a bug), so each record goes through the same builder the manager's
 * method used, and a record of an unexpected shape is refused instead of reaching `apply`
 * (regression test "journal records of an unexpected shape are refused by name and kept aside;
 * the others load").
 */
import { Pidf } from '../codecs/pidf.js';
import { XcapValidationError } from '../errors.js';
import { Contact, type ContactInit } from '../model/contact.js';
import { ContactURI, type ContactURIInit } from '../model/contact-uri.js';
import { Group, type GroupInit } from '../model/group.js';
import { Icon, type IconData } from '../model/icon.js';
import { Policy, type PolicyInit } from '../model/policy.js';
import { type Operation, operations } from './operations.js';

/**
 * The operation `value` describes, rebuilt by its own builder in {@link operations} (which
 * validates every field); throws {@link XcapValidationError} for anything else.
 *
 * @example
 * ```ts
 * checkOperation({ type: 'removeGroup', groupId: 'g1' }); // { type: 'removeGroup', groupId: 'g1' }
 * checkOperation({ type: 'addContact', contact: null }); // throws XcapValidationError
 * ```
 */
export function checkOperation(value: unknown): Operation {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new XcapValidationError('an operation must be an object', 'operation');
  const o = value as Record<string, unknown> & { type?: unknown };
  const id = (field: string): string => o[field] as string;
  const init = <T>(field: string): T => {
    const v = o[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new XcapValidationError(`operation.${field} must be an object`, `operation.${field}`);
    return v as T;
  };
  switch (o.type) {
    case 'normalize':
      return operations.normalize();
    case 'addGroup':
      return operations.addGroup(new Group(init<GroupInit>('group')));
    case 'updateGroup':
      return operations.updateGroup(id('groupId'), o.changes as never);
    case 'removeGroup':
      return operations.removeGroup(id('groupId'));
    case 'addContact':
      return operations.addContact(new Contact(init<ContactInit>('contact')));
    case 'updateContact':
      return operations.updateContact(id('contactId'), o.changes as never);
    case 'removeContact':
      return operations.removeContact(id('contactId'));
    case 'addContactUri':
      return operations.addContactUri(id('contactId'), new ContactURI(init<ContactURIInit>('uri')));
    case 'updateContactUri':
      return operations.updateContactUri(id('contactId'), id('uriId'), o.changes as never);
    case 'removeContactUri':
      return operations.removeContactUri(id('contactId'), id('uriId'));
    case 'addGroupMember':
      return operations.addGroupMember(id('groupId'), id('contactId'));
    case 'removeGroupMember':
      return operations.removeGroupMember(id('groupId'), id('contactId'));
    case 'addPolicy':
      return operations.addPolicy(new Policy(init<PolicyInit>('policy')));
    case 'updatePolicy':
      return operations.updatePolicy(id('policyId'), o.changes as never);
    case 'removePolicy':
      return operations.removePolicy(id('policyId'));
    case 'setDefaultPresencePolicy':
      return operations.setDefaultPresencePolicy(o.policy as string);
    case 'setDefaultDialogPolicy':
      return operations.setDefaultDialogPolicy(o.policy as string);
    case 'setStatusIcon':
      return operations.setStatusIcon(
        o.icon === null ? null : Icon.fromJSON({ ...init<IconData>('icon'), location: null }),
      );
    case 'setOfflineStatus': {
      if (o.pidf === null) return { type: 'setOfflineStatus', pidf: null };
      if (typeof o.pidf !== 'string')
        throw new XcapValidationError('operation.pidf must be a string or null', 'operation.pidf');
      try {
        Pidf.parse(o.pidf);
      } catch (cause) {
        throw new XcapValidationError('operation.pidf is not a PIDF document', 'operation.pidf', {
          cause,
        });
      }
      return { type: 'setOfflineStatus', pidf: o.pidf };
    }
    default:
      throw new XcapValidationError(
        `unknown operation type ${JSON.stringify(String(o.type).slice(0, 50))}`,
        'operation.type',
      );
  }
}
