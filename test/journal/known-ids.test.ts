import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import { KnownIds, XcapUnknownIdError } from '../../src/journal/known-ids.js';
import { operations } from '../../src/journal/operations.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { Group } from '../../src/model/group.js';
import { Policy } from '../../src/model/policy.js';

const uri = new ContactURI({ id: 'u1', uri: 'sip:bob@example.com' });
const bob = new Contact({ id: 'bob', name: 'Bob', uris: [uri] });
const friends = new Group({ id: 'friends', name: 'Friends', contacts: [bob] });
const boss = new Policy({ id: 'boss', name: 'Boss', uri: 'sip:boss@example.com' });
const book = { contacts: [bob], groups: [friends], policies: [boss] };
const carol = new Contact({ id: 'carol', name: 'Carol', uris: [] });

describe('KnownIds', () => {
  const refused: [string, () => ReturnType<typeof operations.normalize>, string][] = [
    [
      'update of an unknown contact',
      () => operations.updateContact('nobody', { name: 'x' }),
      'contact',
    ],
    ['remove of an unknown contact', () => operations.removeContact('nobody'), 'contact'],
    ['a second contact with an existing id', () => operations.addContact(bob), 'contact'],
    [
      'a URI of an unknown contact',
      () => operations.addContactUri('nobody', new ContactURI({ uri: 'sip:x@y.z' })),
      'contact',
    ],
    ['an unknown URI of a known contact', () => operations.removeContactUri('bob', 'nouri'), 'uri'],
    ['an existing URI id added again', () => operations.addContactUri('bob', uri), 'uri'],
    ['update of an unknown group', () => operations.updateGroup('nogroup', { name: 'x' }), 'group'],
    ['a member into an unknown group', () => operations.addGroupMember('nogroup', 'bob'), 'group'],
    [
      'an unknown member into a group',
      () => operations.addGroupMember('friends', 'nobody'),
      'contact',
    ],
    [
      'a group whose member is unknown',
      () => operations.addGroup(new Group({ name: 'G', contacts: ['nobody'] })),
      'contact',
    ],
    ['remove of an unknown policy', () => operations.removePolicy('nopolicy'), 'policy'],
    ['a second policy with an existing id', () => operations.addPolicy(boss), 'policy'],
  ];
  it.each(refused)('refuses %s', (_name, op, kind) => {
    const ids = KnownIds.of(book);
    let error: unknown;
    try {
      ids.check(op());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(XcapUnknownIdError);
    expect(error).toBeInstanceOf(XcapValidationError);
    expect((error as XcapUnknownIdError).kind).toBe(kind);
    expect((error as XcapUnknownIdError).code).toBe('RXCAP_INVALID_ARGUMENT');
  });

  it('accepts operations on known ids and on ids journaled since', () => {
    const ids = KnownIds.of(book);
    for (const op of [
      operations.updateContact('bob', { name: 'Robert' }),
      operations.removeContactUri('bob', 'u1'),
      operations.addGroupMember('friends', 'bob'),
      operations.updatePolicy('boss', { name: 'Chief' }),
      operations.addContact(carol),
    ]) {
      ids.check(op);
      ids.apply(op);
    }
    // Carol was added a moment ago (still in the journal): she may be named now.
    expect(() => ids.check(operations.addGroupMember('friends', 'carol'))).not.toThrow();
    // The URI removed above is gone.
    expect(() => ids.check(operations.removeContactUri('bob', 'u1'))).toThrow(XcapUnknownIdError);
  });

  it('a removed item is unknown afterwards', () => {
    const ids = KnownIds.of(book);
    ids.apply(operations.removeContact('bob'));
    ids.apply(operations.removeGroup('friends'));
    ids.apply(operations.removePolicy('boss'));
    expect(() => ids.check(operations.updateContact('bob', { name: 'x' }))).toThrow(/no contact/);
    expect(() => ids.check(operations.removeGroup('friends'))).toThrow(/no group/);
    expect(() => ids.check(operations.removePolicy('boss'))).toThrow(/no policy/);
  });

  // sipsimple's addressbook.xsd types every contact, URI, group and policy id as xs:ID, which
  // libxml2 requires to be unique in the whole document: one clash rejects the document.
  const taken: [string, () => ReturnType<typeof operations.normalize>, string][] = [
    [
      'a group with a contact id',
      () => operations.addGroup(new Group({ id: 'bob', name: 'G' })),
      'group',
    ],
    [
      'a policy with a group id',
      () => operations.addPolicy(new Policy({ id: 'friends', name: 'P', uri: 'sip:p@x.org' })),
      'policy',
    ],
    [
      'a contact with a policy id',
      () => operations.addContact(new Contact({ id: 'boss', name: 'C' })),
      'contact',
    ],
    [
      "a contact whose URI id is another contact's URI id",
      () =>
        operations.addContact(
          new Contact({
            id: 'dave',
            name: 'D',
            uris: [new ContactURI({ id: 'u1', uri: 'sip:d@x.org' })],
          }),
        ),
      'uri',
    ],
    [
      "a URI with another contact's URI id",
      () => operations.addContactUri('carol', new ContactURI({ id: 'u1', uri: 'sip:c@x.org' })),
      'uri',
    ],
    [
      'a URI with a group id',
      () => operations.addContactUri('bob', new ContactURI({ id: 'friends', uri: 'sip:c@x.org' })),
      'uri',
    ],
  ];
  it.each(taken)('refuses %s (ids are unique across kinds)', (_name, op, kind) => {
    const ids = KnownIds.of({ ...book, contacts: [bob, carol] });
    let error: unknown;
    try {
      ids.check(op());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(XcapUnknownIdError);
    expect((error as XcapUnknownIdError).kind).toBe(kind);
  });

  it('frees the ids of removed items, URIs included', () => {
    const ids = KnownIds.of({ ...book, contacts: [bob, carol] });
    ids.apply(operations.removeContact('bob'));
    expect(() =>
      ids.check(
        operations.addContactUri('carol', new ContactURI({ id: 'u1', uri: 'sip:c@x.org' })),
      ),
    ).not.toThrow();
    expect(() => ids.check(operations.addGroup(new Group({ id: 'bob', name: 'G' })))).not.toThrow();
    ids.apply(operations.addContactUri('carol', new ContactURI({ id: 'u1', uri: 'sip:c@x.org' })));
    expect(() => ids.check(operations.addGroup(new Group({ id: 'u1', name: 'G' })))).toThrow(
      XcapUnknownIdError,
    );
    ids.apply(operations.removeContactUri('carol', 'u1'));
    expect(() => ids.check(operations.addGroup(new Group({ id: 'u1', name: 'G' })))).not.toThrow();
  });
});
