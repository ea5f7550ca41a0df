/**
 * What other clients wrote is kept exactly: python3-sipsimple's dangling `uris/@default`, its
 * `uri=""` contact URIs, and anchors another client wrote under another spelling of the same
 * XCAP root. Each is checked on the pure normalize (the document keeps its identity: no PUT)
 * and, in manager-first-sync.test.ts, on a manager's first sync.
 */
import { describe, expect, it } from 'vitest';
import { listAnchor, sameAnchor } from '../../src/codecs/addressbook-uri.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { attr, child, children, NS } from '../../src/codecs/xml/tree.js';
import { applyOperation, extractAddressbook, operations } from '../../src/journal/index.js';
import { ctx, fixtureDocs, fixtureXml } from './fixture-helpers.js';
import {
  DANGLING_DEFAULT,
  EMPTY_URI,
  withDanglingDefault,
  withEmptyUri,
} from './foreign-fixtures.js';

const BOB = 'id1720000000013868601871';

function normalized(docs: ReturnType<typeof fixtureDocs>, c = ctx) {
  return applyOperation(docs, operations.normalize(), c);
}

describe('another client’s items are kept as written', () => {
  it('a dangling uris/@default is kept and nothing is PUT (the model shows defaultUri null)', () => {
    const docs = { ...fixtureDocs(), 'resource-lists': parseXml(withDanglingDefault()) };
    const { docs: next, outcome } = normalized(docs);
    expect(outcome.changed).toEqual([]);
    expect(next['resource-lists']).toBe(docs['resource-lists']);
    const bob = extractAddressbook(docs['resource-lists']).contacts.find((c) => c.id === BOB);
    expect(bob?.defaultUri).toBeNull();
  });

  it('an operation on another contact leaves the dangling default as written', () => {
    const docs = { ...fixtureDocs(), 'resource-lists': parseXml(withDanglingDefault()) };
    const other = extractAddressbook(docs['resource-lists']).contacts.find((c) => c.id !== BOB)!;
    const { docs: next } = applyOperation(
      docs,
      operations.updateContact(other.id, { name: 'Renamed' }),
      ctx,
    );
    expect(uris(next['resource-lists']!, BOB)?.attributes).toContainEqual({
      ns: '',
      name: 'default',
      value: DANGLING_DEFAULT,
    });
  });

  it('an operation that sets the default replaces the dangling one', () => {
    const docs = { ...fixtureDocs(), 'resource-lists': parseXml(withDanglingDefault()) };
    const bob = extractAddressbook(docs['resource-lists']).contacts.find((c) => c.id === BOB)!;
    const target = bob.uris[1]!.id;
    const { docs: next } = applyOperation(
      docs,
      operations.updateContact(BOB, { defaultUri: target }),
      ctx,
    );
    expect(attr(uris(next['resource-lists']!, BOB)!, 'default')).toBe(target);
  });

  it('removing the default URI removes the default that named it', () => {
    const docs = fixtureDocs();
    const bob = extractAddressbook(docs['resource-lists']).contacts.find((c) => c.id === BOB)!;
    expect(bob.defaultUri).not.toBeNull();
    const { docs: next } = applyOperation(
      docs,
      operations.removeContactUri(BOB, bob.defaultUri!),
      ctx,
    );
    expect(attr(uris(next['resource-lists']!, BOB)!, 'default')).toBeUndefined();
  });

  it('a contact URI with uri="" is kept, with its derived entries, and nothing is PUT', () => {
    const docs = { ...fixtureDocs(), 'resource-lists': parseXml(withEmptyUri()) };
    const { docs: next, outcome } = normalized(docs);
    expect(outcome.changed).toEqual([]);
    expect(next['resource-lists']).toBe(docs['resource-lists']);
    // It stays out of the model (a ContactURI needs a URI), and an edit of the contact keeps it.
    const bob = extractAddressbook(docs['resource-lists']).contacts.find((c) => c.id === BOB)!;
    expect(bob.uris.map((u) => u.id)).not.toContain(EMPTY_URI);
    const { docs: edited } = applyOperation(
      docs,
      operations.updateContact(BOB, { name: 'Robert' }),
      ctx,
    );
    const kept = children(uris(edited['resource-lists']!, BOB)!, NS.addressbook, 'uri');
    expect(kept.map((u) => attr(u, 'id'))).toContain(EMPTY_URI);
    const granted = children(edited['resource-lists']!, NS.resourceLists, 'list').find(
      (l) => attr(l, 'name') === 'oma_grantedcontacts',
    )!;
    expect(children(granted, NS.resourceLists, 'entry').map((e) => attr(e, 'uri'))).toContain('');
  });

  it('anchors under another spelling of the XCAP root are kept (no rewrite loop)', () => {
    // The fixture's anchors say http://127.0.0.1:5080/xcap-root; this client says localhost.
    const docs = fixtureDocs();
    const other = { ...ctx, xcapRoot: 'http://localhost:5080/xcap-root' };
    const { docs: next, outcome } = normalized(docs, other);
    expect(outcome.changed).toEqual([]);
    expect(next).toBe(docs);
  });

  it('an anchor naming another list, document, user or server path is still corrected', () => {
    const docs = { ...fixtureDocs(), 'rls-services': parseXml(wrongAnchor()) };
    const other = { ...ctx, xcapRoot: 'http://localhost:5080/xcap-root' };
    const { outcome } = normalized(docs, other);
    expect(outcome.changed).toEqual(['rls-services']);
  });
});

describe('sameAnchor', () => {
  const root = 'http://127.0.0.1:5080/xcap-root';
  const ours = listAnchor(root, 'sip:alice@example.com', 'oma_buddylist');
  const spelled = (r: string, xui = 'sip:alice@example.com', list = 'oma_buddylist') =>
    listAnchor(r, xui, list);

  it.each([
    ['the same text', ours, true],
    [
      'percent-encoded the way python3-sipsimple writes it',
      'http%3A//127.0.0.1%3A5080/xcap-root/resource-lists/users/sip%3Aalice%40example.com/index/~~/resource-lists/list%5B%40name%3D%22oma_buddylist%22%5D',
      true,
    ],
    ['another host name', spelled('http://localhost:5080/xcap-root'), true],
    ['a trailing slash on the root', spelled('http://127.0.0.1:5080/xcap-root/'), true],
    ['another port', spelled('http://localhost:5081/xcap-root'), false],
    ['another scheme', spelled('https://localhost:5080/xcap-root'), false],
    ['another server path', spelled('http://127.0.0.1:5080/other-root'), false],
    ['another user', spelled('http://localhost:5080/xcap-root', 'sip:bob@example.com'), false],
    [
      'another list',
      spelled('http://localhost:5080/xcap-root', undefined, 'oma_allcontacts'),
      false,
    ],
    ['not an http URI', 'urn:x:/xcap-root/resource-lists/users/sip:alice@example.com/index', false],
    [
      'with credentials in the authority',
      spelled('http://mallory@localhost:5080/xcap-root'),
      false,
    ],
  ])('%s', (_name, stored, same) => {
    expect(sameAnchor(stored, ours, root)).toBe(same);
  });
});

function uris(rl: ReturnType<typeof parseXml>, contactId: string) {
  const book = children(rl, NS.resourceLists, 'list').find(
    (l) => attr(l, 'name') === 'sipsimple_addressbook',
  )!;
  const contact = children(book, NS.addressbook, 'contact').find(
    (c) => attr(c, 'id') === contactId,
  )!;
  return child(contact, NS.addressbook, 'uris');
}

/** rls-services whose presence service points at another user's list. */
function wrongAnchor(): string {
  return fixtureXml('rls-services').replace(
    'sip%3Aalice%40example.com/index/~~/resource-lists/list%5B%40name%3D%22sipsimple_presence_rls',
    'sip%3Abob%40example.com/index/~~/resource-lists/list%5B%40name%3D%22sipsimple_presence_rls',
  );
}
