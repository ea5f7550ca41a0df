import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeUriValue } from '../../src/codecs/addressbook-uri.js';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { attr, children, sameElement } from '../../src/codecs/xml/tree.js';
import { applyOperation, extractData, operations } from '../../src/journal/index.js';
import type { Addressbook } from '../../src/model/index.js';
import { ctx, expected, fixtureDocs, fixtureXml } from './fixture-helpers.js';

function asExpected(ab: Addressbook) {
  return {
    contacts: ab.contacts.map((c) => ({
      id: c.id,
      name: c.name,
      uris: c.uris.map((u) => ({
        id: u.id,
        uri: u.uri,
        type: u.type,
        attributes: { ...u.attributes },
      })),
      default_uri: c.defaultUri,
      presence: c.presence.toJSON(),
      dialog: c.dialog.toJSON(),
      attributes: { ...c.attributes },
    })),
    groups: ab.groups.map((g) => ({
      id: g.id,
      name: g.name,
      contacts: [...g.contactIds],
      attributes: { ...g.attributes },
    })),
    policies: ab.policies.map((p) => ({
      id: p.id,
      name: p.name,
      uri: p.uri,
      presence: p.presence.toJSON(),
      dialog: p.dialog.toJSON(),
      attributes: { ...p.attributes },
    })),
  };
}

describe('reference layout fixture (python3-sipsimple 5.5.0)', () => {
  it('extracts exactly the addressbook of expected.json', () => {
    const data = extractData(fixtureDocs(), ctx);
    expect(asExpected(data.addressbook)).toEqual(expected.addressbook);
    // Groups resolve their members to the extracted contacts.
    const friends = data.addressbook.groups[1]!;
    expect(friends.contacts.map((c) => c.name)).toEqual([
      'José Müller',
      'Carol Danvers',
      'Bob Smith',
    ]);
  });

  it('extracts the default policies', () => {
    const data = extractData(fixtureDocs(), ctx);
    expect(data.presenceRules.defaultPolicy).toBe(expected.default_presence_policy);
    expect(data.dialogRules.defaultPolicy).toBe(expected.default_dialog_policy);
  });

  it('extracts the status icon with its XCAP URI as location', () => {
    const icon = extractData(fixtureDocs(), ctx).icon!;
    const e = expected.status_icon;
    expect(icon.mimeType).toBe(e.mime_type);
    expect(icon.description).toBe(e.description);
    expect(icon.data.length).toBe(e.size);
    expect(createHash('sha256').update(icon.data).digest('hex')).toBe(e.sha256);
    expect(icon.toJSON().data).toBe(e.data_base64);
    expect(icon.location).toBe(e.url);
    const alt = extractData(fixtureDocs(), ctx, { iconLocation: 'https://cdn.example/icon.png' })
      .icon!;
    expect(alt.location).toBe('https://cdn.example/icon.png');
  });

  it('extracts the offline status as the stored PIDF', () => {
    const status = extractData(fixtureDocs(), ctx).offlineStatus!;
    const ours = parseXml(status.pidf.toXml());
    const theirs = parseXml(expected.offline_status.pidf_xml);
    expect(sameElement(ours, theirs)).toBe(true);
    expect(decodeUriValue(attr(ours, 'entity')!)).toBe(expected.offline_status.summary.entity);
  });

  it('normalize changes nothing on the reference documents (no spurious PUT, quirk 11)', () => {
    const docs = fixtureDocs();
    const { docs: next, outcome } = applyOperation(docs, operations.normalize(), ctx);
    expect(outcome).toEqual({ changed: [] });
    expect(next).toBe(docs);
    for (const n of DOCUMENT_NAMES) expect(next[n]).toBe(docs[n]);
  });

  it('rebuilding every derived list from scratch gives the lists of documents_view', () => {
    // Empty the derived lists, rls-services and rules; normalize must recompute them.
    const docs = fixtureDocs();
    const rl = docs['resource-lists']!;
    const emptied = {
      ...rl,
      children: rl.children.map((c) =>
        c.type === 'element' && attr(c, 'name') !== 'sipsimple_addressbook'
          ? { ...c, children: [] }
          : c,
      ),
    };
    const { docs: next, outcome } = applyOperation(
      { ...docs, 'resource-lists': emptied, 'rls-services': null, 'pres-rules': null },
      operations.normalize(),
      ctx,
    );
    expect(outcome.changed).toEqual(['resource-lists', 'rls-services', 'pres-rules']);
    const view = expected.documents_view.resource_lists;
    for (const list of children(next['resource-lists']!)) {
      const name = attr(list, 'name')!;
      const entries = children(list)
        .filter((e) => e.name === 'entry')
        .map((e) => decodeUriValue(attr(e, 'uri')!))
        .sort();
      expect(entries, name).toEqual(view[name].entries);
      if (view[name].externals)
        expect(children(list).map((e) => decodeUriValue(attr(e, 'anchor')!))).toEqual(
          view[name].externals,
        );
    }
    const rls = children(next['rls-services']!).map((s) => ({
      uri: attr(s, 'uri'),
      resource_list: decodeUriValue(
        children(s)[0]!
          .children.map((t) => (t.type === 'text' ? t.text : ''))
          .join(''),
      ),
      packages: children(children(s)[1]!).map((p) =>
        p.children.map((t) => (t.type === 'text' ? t.text : '')).join(''),
      ),
    }));
    expect(rls).toEqual(expected.documents_view.rls_services);
    // The recreated pres-rules states the default of a fresh skeleton (confirm).
    expect(extractData(next, ctx).presenceRules.defaultPolicy).toBe('confirm');
  });

  it('a fixture file parses to the same tree we compare against', () => {
    expect(sameElement(parseXml(fixtureXml('rls-services')), fixtureDocs()['rls-services']!)).toBe(
      true,
    );
  });
});
