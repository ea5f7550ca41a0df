import { describe, expect, it } from 'vitest';
import { decodeUriValue } from '../../src/codecs/addressbook-uri.js';
import type { DocumentName } from '../../src/codecs/applications.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, children, NS } from '../../src/codecs/xml/tree.js';
import { XcapValidationError } from '../../src/errors.js';
import {
  applyOperation,
  applyOperations,
  type Documents,
  type ExtractedData,
  extractData,
  type Operation,
  operations,
} from '../../src/journal/index.js';
import {
  Contact,
  ContactURI,
  EventHandling,
  Group,
  Icon,
  OfflineStatus,
  Policy,
  RawPidf,
} from '../../src/model/index.js';
import { ctx, fixtureDocs, fixtureXml } from './fixture-helpers.js';

const BOB = 'id1720000000013868601871';
const BOB_SIP = 'id1720000000002511962465';
const SMITH = 'id1720000000036976660359';
const CAROL = 'id1720000000049185486675';
const CAROL_SIPS = 'id1720000000043692396455';
const FRANK = 'id1720000000084768453539';
const WORK = 'id1720000000112446723539';
const FRIENDS = 'id1720000000115585512641';
const EMPTY = 'id1720000000125112680438';
const TELEMARKETER = 'id1720000000135858190032';
const BOSS = 'id1720000000131574337320';

function lists(docs: Documents): Record<string, string[]> {
  return Object.fromEntries(
    children(docs['resource-lists']!, NS.resourceLists, 'list').map((l) => [
      attr(l, 'name')!,
      children(l, NS.resourceLists, 'entry')
        .map((e) => decodeUriValue(attr(e, 'uri')!))
        .sort(),
    ]),
  );
}

interface Case {
  name: string;
  op: () => Operation;
  changed: DocumentName[];
  skipped?: RegExp;
  check?: (after: ExtractedData, docs: Documents, before: ExtractedData) => void;
}

const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7]);
const fixtureIconBytes = () => extractData(fixtureDocs(), ctx).icon!;

const cases: Case[] = [
  {
    name: 'addContact appends a contact and grants its URIs',
    op: () =>
      operations.addContact(
        new Contact({
          id: 'zoe',
          name: 'Zoe',
          uris: [new ContactURI({ id: 'z1', uri: 'sip:zoe@example.com', type: 'SIP' })],
          defaultUri: 'z1',
          presence: new EventHandling('allow', true),
          attributes: { nick: null },
        }),
      ),
    changed: ['resource-lists'],
    check: (after, docs) => {
      const zoe = after.addressbook.contacts.at(-1)!;
      expect(zoe.toJSON()).toEqual({
        id: 'zoe',
        name: 'Zoe',
        uris: [{ id: 'z1', uri: 'sip:zoe@example.com', type: 'SIP', attributes: {} }],
        defaultUri: 'z1',
        presence: { policy: 'allow', subscribe: true },
        dialog: { policy: 'default', subscribe: false },
        attributes: { nick: null },
      });
      expect(lists(docs).oma_grantedcontacts).toContain('sip:zoe@example.com');
      expect(lists(docs).sipsimple_presence_rls).toContain('sip:zoe@example.com');
      expect(lists(docs).dialog_grantedcontacts).not.toContain('sip:zoe@example.com');
      expect(serializeXml(docs['resource-lists']!)).toContain(
        '<addressbook:contact id="zoe"><addressbook:name>Zoe</addressbook:name><addressbook:uris default="z1"><addressbook:uri id="z1" uri="sip:zoe@example.com" type="SIP"><sipsimple:attributes/></addressbook:uri></addressbook:uris><addressbook:dialog><addressbook:policy>default</addressbook:policy><addressbook:subscribe>false</addressbook:subscribe></addressbook:dialog><addressbook:presence><addressbook:policy>allow</addressbook:policy><addressbook:subscribe>true</addressbook:subscribe></addressbook:presence><sipsimple:attributes><sipsimple:attribute name="nick" nil="true"/></sipsimple:attributes></addressbook:contact>',
      );
    },
  },
  {
    name: 'updateContact renames in place and leaves the derived lists alone',
    op: () =>
      operations.updateContact(BOB, { name: 'Robert Smith', attributes: { auto_answer: 'true' } }),
    changed: ['resource-lists'],
    check: (after, docs, before) => {
      const bob = after.addressbook.contact(BOB)!;
      expect(bob.name).toBe('Robert Smith');
      expect(bob.attributes).toEqual({ preferred_media: 'audio', auto_answer: 'true' });
      expect(after.addressbook.contacts.map((c) => c.id)).toEqual(
        before.addressbook.contacts.map((c) => c.id),
      );
      expect(lists(docs)).toEqual(lists(fixtureDocs()));
    },
  },
  {
    name: 'updateContact moves a blocked contact to granted',
    op: () => operations.updateContact(SMITH, { presence: { policy: 'allow' } }),
    changed: ['resource-lists'],
    check: (after, docs) => {
      expect(after.addressbook.contact(SMITH)!.presence.toJSON()).toEqual({
        policy: 'allow',
        subscribe: false,
      });
      expect(lists(docs).oma_grantedcontacts).toContain('sip:sales@smith-sons.example');
      expect(lists(docs).oma_blockedcontacts).not.toContain('sip:sales@smith-sons.example');
      expect(lists(docs).dialog_blockedcontacts).toContain('sip:sales@smith-sons.example');
    },
  },
  {
    name: 'updateContact that sets the same values changes nothing',
    op: () =>
      operations.updateContact(BOB, {
        name: 'Bob Smith',
        presence: { policy: 'allow', subscribe: true },
      }),
    changed: [],
  },
  {
    name: 'updateContact into an OMA reserved presence policy is ignored (seed)',
    op: () => operations.updateContact(BOB, { presence: { policy: 'wp_prs_unlisted' as never } }),
    changed: [],
  },
  {
    name: 'updateContact sets and removes attributes and the default URI',
    op: () => operations.updateContact(CAROL, { removeAttributes: ['icon'], defaultUri: null }),
    changed: ['resource-lists'],
    check: (after) => {
      const carol = after.addressbook.contact(CAROL)!;
      expect(carol.attributes).toEqual({ preferred_media: 'audio' });
      expect(carol.defaultUri).toBeNull();
    },
  },
  {
    name: 'updateContact of an unknown contact is a reported no-op',
    op: () => operations.updateContact('nobody', { name: 'x' }),
    changed: [],
    skipped: /contact nobody not found/,
  },
  {
    name: 'removeContact removes it from groups and its URIs from the lists',
    op: () => operations.removeContact(BOB),
    changed: ['resource-lists'],
    check: (after, docs) => {
      expect(after.addressbook.contact(BOB)).toBeUndefined();
      expect(after.addressbook.group(WORK)!.contactIds).not.toContain(BOB);
      expect(after.addressbook.group(FRIENDS)!.contactIds).not.toContain(BOB);
      for (const l of Object.values(lists(docs))) {
        expect(l).not.toContain('sip:bob@example.com');
        expect(l).not.toContain('tel:+15551234567');
      }
    },
  },
  {
    name: 'addContactUri adds a URI and its list entries',
    op: () =>
      operations.addContactUri(FRANK, new ContactURI({ id: 'f2', uri: 'sip:frank@example.com' })),
    changed: ['resource-lists'],
    check: (after) => {
      expect(after.addressbook.contact(FRANK)!.uris.map((u) => u.uri)).toEqual([
        'tel:+4930123456',
        'sip:frank@example.com',
      ]);
    },
  },
  {
    name: 'updateContactUri changes the URI and replaces its entries',
    op: () =>
      operations.updateContactUri(BOB, BOB_SIP, { uri: 'sip:robert@example.com', type: null }),
    changed: ['resource-lists'],
    check: (after, docs) => {
      const u = after.addressbook.contact(BOB)!.uris[0]!;
      expect([u.uri, u.type]).toEqual(['sip:robert@example.com', null]);
      expect(lists(docs).oma_grantedcontacts).toContain('sip:robert@example.com');
      expect(lists(docs).oma_grantedcontacts).not.toContain('sip:bob@example.com');
    },
  },
  {
    name: 'removeContactUri clears the default it pointed to',
    op: () => operations.removeContactUri(CAROL, CAROL_SIPS),
    changed: ['resource-lists'],
    check: (after, docs) => {
      const carol = after.addressbook.contact(CAROL)!;
      expect(carol.uris.map((u) => u.uri)).toEqual(['sip:carol@example.com', 'tel:+442071234567']);
      expect(carol.defaultUri).toBeNull();
      expect(lists(docs).sipsimple_presence_rls).not.toContain('sips:carol@secure.example.net');
    },
  },
  {
    name: 'addGroup keeps known members only',
    op: () =>
      operations.addGroup(new Group({ id: 'fam', name: 'Family', contacts: [FRANK, 'ghost'] })),
    changed: ['resource-lists'],
    check: (after) => {
      expect(after.addressbook.group('fam')!.toJSON()).toEqual({
        id: 'fam',
        name: 'Family',
        contacts: [FRANK],
        attributes: {},
      });
    },
  },
  {
    name: 'updateGroup renames and merges attributes',
    op: () => operations.updateGroup(WORK, { name: 'Office', attributes: { position: '5' } }),
    changed: ['resource-lists'],
    check: (after) => {
      expect(after.addressbook.group(WORK)!.toJSON()).toMatchObject({
        name: 'Office',
        attributes: { position: '5' },
      });
    },
  },
  {
    name: 'removeGroup',
    op: () => operations.removeGroup(EMPTY),
    changed: ['resource-lists'],
    check: (after) => expect(after.addressbook.groups.map((g) => g.id)).toEqual([WORK, FRIENDS]),
  },
  {
    name: 'addGroupMember appends once',
    op: () => operations.addGroupMember(EMPTY, FRANK),
    changed: ['resource-lists'],
    check: (after) => expect(after.addressbook.group(EMPTY)!.contactIds).toEqual([FRANK]),
  },
  {
    name: 'addGroupMember of a member changes nothing',
    op: () => operations.addGroupMember(WORK, BOB),
    changed: [],
  },
  {
    name: 'addGroupMember of an unknown contact is a reported no-op',
    op: () => operations.addGroupMember(WORK, 'ghost'),
    changed: [],
    skipped: /contact ghost not found/,
  },
  {
    name: 'removeGroupMember',
    op: () => operations.removeGroupMember(FRIENDS, BOB),
    changed: ['resource-lists'],
    check: (after) => {
      expect(after.addressbook.group(FRIENDS)!.contactIds).not.toContain(BOB);
      expect(after.addressbook.group(WORK)!.contactIds).toContain(BOB);
    },
  },
  {
    name: 'addPolicy for a URI no contact has blocks it',
    op: () =>
      operations.addPolicy(
        new Policy({
          id: 'pol',
          name: 'Ex',
          uri: 'sip:ex@example.org',
          presence: { policy: 'block', subscribe: false },
        }),
      ),
    changed: ['resource-lists'],
    check: (after, docs) => {
      expect(after.addressbook.policy('pol')!.uri).toBe('sip:ex@example.org');
      expect(lists(docs).oma_blockedcontacts).toContain('sip:ex@example.org');
    },
  },
  {
    name: 'addPolicy for a contact URI is overridden by the contact (quirk 7)',
    op: () =>
      operations.addPolicy(
        new Policy({
          id: 'pol',
          name: 'x',
          uri: 'sip:bob@example.com',
          presence: { policy: 'block', subscribe: false },
        }),
      ),
    changed: ['resource-lists'],
    check: (_after, docs) => {
      expect(lists(docs).oma_blockedcontacts).not.toContain('sip:bob@example.com');
      expect(lists(docs).oma_grantedcontacts).toContain('sip:bob@example.com');
    },
  },
  {
    name: 'updatePolicy to a new URI drops the old entries',
    op: () => operations.updatePolicy(TELEMARKETER, { uri: 'sip:robocall@spam.example' }),
    changed: ['resource-lists'],
    check: (_after, docs) => {
      expect(lists(docs).oma_blockedcontacts).toContain('sip:robocall@spam.example');
      expect(lists(docs).oma_blockedcontacts).not.toContain('sip:spammer@spam.example');
    },
  },
  {
    name: 'removePolicy',
    op: () => operations.removePolicy(BOSS),
    changed: ['resource-lists'],
    check: (after, docs) => {
      expect(after.addressbook.policy(BOSS)).toBeUndefined();
      expect(lists(docs).oma_grantedcontacts).not.toContain('sip:boss@corp.example');
    },
  },
  {
    name: 'setDefaultPresencePolicy confirm swaps wp_prs_allow_unlisted for wp_prs_unlisted (quirk 9)',
    op: () => operations.setDefaultPresencePolicy('confirm'),
    changed: ['pres-rules'],
    check: (after, docs) => {
      expect(after.presenceRules.defaultPolicy).toBe('confirm');
      const ids = children(docs['pres-rules']!, NS.commonPolicy, 'rule').map((r) => attr(r, 'id'));
      expect(ids).toContain('wp_prs_unlisted');
      expect(ids).not.toContain('wp_prs_allow_unlisted');
    },
  },
  {
    name: 'setDefaultPresencePolicy to the current value changes nothing',
    op: () => operations.setDefaultPresencePolicy('allow'),
    changed: [],
  },
  {
    name: 'setDefaultDialogPolicy allow',
    op: () => operations.setDefaultDialogPolicy('allow'),
    changed: ['dialog-rules'],
    check: (after) => expect(after.dialogRules.defaultPolicy).toBe('allow'),
  },
  {
    name: 'setStatusIcon writes the pres-content document',
    op: () =>
      operations.setStatusIcon(new Icon({ data: png, mimeType: 'image/png', description: null })),
    changed: ['pres-content'],
    check: (after, docs) => {
      expect(after.icon!.data).toEqual(png);
      expect(after.icon!.description).toBeNull();
      expect(serializeXml(docs['pres-content']!, { declaration: false })).toBe(
        '<content xmlns="urn:oma:xml:prs:pres-content"><mime-type>image/png</mime-type><encoding>base64</encoding><data>iVBORw0KGgoHBw==</data></content>',
      );
    },
  },
  {
    name: 'setStatusIcon with the stored icon changes nothing',
    op: () => operations.setStatusIcon(fixtureIconBytes()),
    changed: [],
  },
  {
    name: 'setStatusIcon(null) deletes the document',
    op: () => operations.setStatusIcon(null),
    changed: ['pres-content'],
    check: (after, docs) => {
      expect(docs['pres-content']).toBeNull();
      expect(after.icon).toBeNull();
    },
  },
  {
    name: 'setOfflineStatus with the stored PIDF changes nothing',
    op: () =>
      operations.setOfflineStatus(new OfflineStatus(new RawPidf(fixtureXml('pidf-manipulation')))),
    changed: [],
  },
  {
    name: 'setOfflineStatus replaces the PIDF',
    op: () =>
      operations.setOfflineStatus(
        new OfflineStatus(
          new RawPidf(
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"/>',
          ),
        ),
      ),
    changed: ['pidf-manipulation'],
    check: (after) =>
      expect(after.offlineStatus!.pidf.toXml()).toContain('entity="sip:alice@example.com"'),
  },
  {
    name: 'setOfflineStatus(null) deletes the document',
    op: () => operations.setOfflineStatus(null),
    changed: ['pidf-manipulation'],
    check: (after) => expect(after.offlineStatus).toBeNull(),
  },
];

describe('operations on the reference documents', () => {
  it.each(cases)('$name', (c) => {
    const docs = fixtureDocs();
    const before = extractData(docs, ctx);
    const op = c.op();
    // Operations are plain data: they survive a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(op))).toEqual(op);
    const { docs: after, outcome } = applyOperation(docs, op, ctx);
    expect(outcome.changed).toEqual(c.changed);
    if (c.skipped) expect(outcome.skipped).toMatch(c.skipped);
    else expect(outcome.skipped).toBeUndefined();
    for (const [name, doc] of Object.entries(docs))
      if (!c.changed.includes(name as DocumentName))
        expect(after[name as DocumentName], name).toBe(doc);
    if (c.changed.length === 0) expect(after).toBe(docs);
    c.check?.(extractData(after, ctx), after, before);
    // Applying the same operation again changes nothing.
    const again = applyOperation(after, op, ctx);
    expect(again.outcome.changed).toEqual([]);
    expect(again.docs).toBe(after);
  });
});

describe('operation builders validate synchronously', () => {
  it.each([
    ['bad id', () => operations.removeContact('0bad')],
    ['bad policy', () => operations.updateContact('c', { presence: { policy: 'maybe' as never } })],
    [
      'bad subscribe',
      () => operations.updatePolicy('p', { dialog: { subscribe: 'yes' as never } }),
    ],
    ['bad URI', () => operations.updateContactUri('c', 'u', { uri: 'nonsense' })],
    ['bad attribute', () => operations.updateGroup('g', { attributes: { a: 1 as never } })],
    ['bad default policy', () => operations.setDefaultPresencePolicy('sometimes')],
    ['not an icon', () => operations.setStatusIcon({} as never)],
    ['not an offline status', () => operations.setOfflineStatus('x' as never)],
    // A PIDF that can never apply is refused up front, not journaled and skipped later.
    [
      'offline status that is not XML',
      () => operations.setOfflineStatus(new OfflineStatus(new RawPidf('<presence'))),
    ],
    [
      'offline status that is not a PIDF',
      () => operations.setOfflineStatus(new OfflineStatus(new RawPidf('<a/>'))),
    ],
    [
      'offline status PIDF without entity',
      () =>
        operations.setOfflineStatus(
          new OfflineStatus(new RawPidf('<presence xmlns="urn:ietf:params:xml:ns:pidf"/>')),
        ),
    ],
  ])('%s', (_name, fn) => {
    expect(fn).toThrow(XcapValidationError);
  });

  it('journal data that became invalid is skipped when applied, never thrown', () => {
    const docs = fixtureDocs();
    const bogus = [
      { type: 'addContact', contact: { id: '9', name: 'x' } },
      { type: 'setOfflineStatus', pidf: '<not-pidf/>' },
      { type: 'setStatusIcon', icon: { data: '@@', mimeType: 'image/png', description: null } },
      { type: 'frobnicate' },
    ] as unknown as Operation[];
    const { docs: after, outcomes } = applyOperations(docs, bogus, ctx);
    expect(after).toBe(docs);
    for (const o of outcomes) expect(o.skipped).toBeDefined();
  });
});
