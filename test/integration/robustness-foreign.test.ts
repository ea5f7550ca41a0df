/**
 * Foreign data survives rxcap: documents another client wrote on Kamailio — its own pres-rules
 * and dialog-rules rules, its own resource list and entries, an RLS service, unknown extension
 * elements and attributes in contacts and URIs — are kept, equal in meaning (`sameElement`
 * after `parseXml`), through a full sync cycle with edits (add, update and remove contacts,
 * default policy changes). A second manager then finds nothing to write.
 */
import { filter, firstValueFrom, lastValueFrom, type Observable, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/xcap-client.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { attr, children, NS, sameElement, type XmlElement } from '../../src/codecs/xml/tree.js';
import type { XcapManager } from '../../src/manager.js';
import { createXcapManager } from '../../src/manager.js';
import type { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { TraceEntry } from '../../src/streams/ports.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const X = 'urn:example:other-client';
const RL = NS.resourceLists;
const CP = NS.commonPolicy;
const RLS = NS.rlsServices;
const AB = NS.addressbook;

const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

/** The documents another client wrote for `xui` (`user` is the user part). */
function foreignDocuments(xui: string, user: string, root: string) {
  const resourceLists = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook" xmlns:ss="urn:ag-projects:sipsimple:xml:ns:addressbook" xmlns:x="${X}">
  <list name="their_friends"><display-name>Their friends</display-name><entry uri="sip:zed@example.org"><display-name>Zed</display-name></entry><x:meta x:rank="1">kept</x:meta></list>
  <list name="oma_grantedcontacts"><entry uri="sip:other-client-grant@example.org"><display-name>granted elsewhere</display-name></entry></list>
  <list name="sipsimple_addressbook">
    <entry uri="sip:their-entry@example.org"/>
    <ab:contact id="kim" x:color="blue">
      <ab:name>Kim</ab:name>
      <ab:uris default="k1"><ab:uri id="k1" uri="sip:kim@example.org" type="SIP" x:tag="t1"><ss:attributes/></ab:uri></ab:uris>
      <ab:dialog><ab:policy>default</ab:policy><ab:subscribe>false</ab:subscribe></ab:dialog>
      <ab:presence><ab:policy>allow</ab:policy><ab:subscribe>true</ab:subscribe></ab:presence>
      <ss:attributes><ss:attribute name="org">Kim Inc</ss:attribute></ss:attributes>
      <x:note x:lang="en">keep me</x:note>
    </ab:contact>
    <ab:contact id="lee">
      <ab:name>Lee</ab:name>
      <ab:uris><ab:uri id="l1" uri="sip:lee@example.org"><ss:attributes/></ab:uri></ab:uris>
      <ab:dialog><ab:policy>default</ab:policy><ab:subscribe>false</ab:subscribe></ab:dialog>
      <ab:presence><ab:policy>default</ab:policy><ab:subscribe>false</ab:subscribe></ab:presence>
      <ss:attributes/>
    </ab:contact>
    <ab:contact id="max" x:vip="yes">
      <ab:name>Max</ab:name>
      <ab:uris default="m1"><ab:uri id="m1" uri="sip:max@example.org" type="SIP"><ss:attributes><ss:attribute name="label">desk</ss:attribute></ss:attributes><x:hint>ext 12</x:hint></ab:uri></ab:uris>
      <ab:dialog><ab:policy>default</ab:policy><ab:subscribe>false</ab:subscribe></ab:dialog>
      <ab:presence><ab:policy>default</ab:policy><ab:subscribe>false</ab:subscribe></ab:presence>
      <ss:attributes/>
      <x:badge level="gold"/>
    </ab:contact>
  </list>
  <x:extension x:version="2">foreign top-level element</x:extension>
</resource-lists>`;
  const presRules = `<?xml version="1.0" encoding="UTF-8"?>
<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules" xmlns:x="${X}">
  <cp:rule id="their_rule"><cp:conditions><cp:identity><cp:one id="sip:boss@example.org"/></cp:identity></cp:conditions><cp:actions><pr:sub-handling>allow</pr:sub-handling><x:priority>5</x:priority></cp:actions><cp:transformations><pr:provide-services><pr:all-services/></pr:provide-services></cp:transformations></cp:rule>
</cp:ruleset>`;
  const dialogRules = `<?xml version="1.0" encoding="UTF-8"?>
<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy" xmlns:dr="urn:ag-projects:xml:ns:dialog-rules">
  <cp:rule id="their_dialog_rule"><cp:conditions><cp:identity><cp:one id="sip:boss@example.org"/></cp:identity></cp:conditions><cp:actions><dr:sub-handling>allow</dr:sub-handling></cp:actions></cp:rule>
</cp:ruleset>`;
  const list = `${root}/resource-lists/users/${encodeURIComponent(xui)}/index/~~/resource-lists/list%5B@name=%22their_friends%22%5D`;
  const rlsServices = `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:${user}+friends@example.com"><resource-list>${list}</resource-list><packages><package>presence</package></packages></service></rls-services>`;
  return { resourceLists, presRules, dialogRules, rlsServices };
}

const byAttr = (els: XmlElement[], name: string, value: string) =>
  els.find((e) => attr(e, name) === value);

describe('robustness: foreign data in the documents', () => {
  const user = poolUser(302);

  it('other clients’ rules, lists, services and extensions survive a sync cycle with edits', {
    timeout: 60_000,
  }, async () => {
    wipeUserDocuments(user);
    const env = testServer();
    const client = new XcapClient({ root: env.xcapRoot, xui: user.id, password: user.password });
    const docs = foreignDocuments(user.id, user.username, env.xcapRoot);
    await lastValueFrom(client.put('resource-lists', docs.resourceLists));
    await lastValueFrom(client.put('org.openmobilealliance.pres-rules', docs.presRules));
    await lastValueFrom(client.put('org.openxcap.dialog-rules', docs.dialogRules));
    await lastValueFrom(client.put('rls-services', docs.rlsServices));
    const before = {
      rl: parseXml(docs.resourceLists),
      pr: parseXml(docs.presRules),
      dr: parseXml(docs.dialogRules),
      rls: parseXml(docs.rlsServices),
    };

    const account = {
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root: env.xcapRoot },
    };
    const a = createXcapManager({ account, storage: memoryStorage() });
    managers.push(a);
    await a.start();
    await wait(a.state$, (s) => s.state === 'insync');
    const first = await firstValueFrom(a.addressbook$);
    expect(first.contacts.map((c) => c.id).sort()).toEqual(['kim', 'lee', 'max']);

    // Edits: add, update, remove a contact; change both default policies.
    a.transaction(() => {
      a.addContact(
        new Contact({
          id: 'nina',
          name: 'Nina',
          uris: [new ContactURI({ id: 'n1', uri: 'sip:nina@example.org' })],
        }),
      );
      a.updateContact('kim', { name: 'Kim Updated', presence: { policy: 'block' } });
      a.removeContact('lee');
      a.setDefaultPresencePolicy('allow');
      a.setDefaultDialogPolicy('block');
    });
    const edited = (ab: Addressbook) =>
      ab.contacts.some((c) => c.name === 'Kim Updated') && !ab.contacts.some((c) => c.id === 'lee');
    const ab = await wait(a.addressbook$, edited);
    await wait(a.state$, (s) => s.state === 'insync');
    expect(ab.contacts.map((c) => c.id).sort()).toEqual(['kim', 'max', 'nina']);
    expect((await firstValueFrom(a.presenceRules$)).defaultPolicy).toBe('allow');
    expect((await firstValueFrom(a.dialogRules$)).defaultPolicy).toBe('block');

    const get = async (auid: string) => parseXml((await firstValueFrom(client.get(auid))).body);
    const after = {
      rl: await get('resource-lists'),
      pr: await get('org.openmobilealliance.pres-rules'),
      dr: await get('org.openxcap.dialog-rules'),
      rls: await get('rls-services'),
    };

    // resource-lists: the foreign list, the foreign top-level element, the foreign grant and
    // the foreign entry among the addressbook items are kept as they were.
    const lists = (d: XmlElement) => children(d, RL, 'list');
    const same = (x: XmlElement | undefined, y: XmlElement | undefined) =>
      x !== undefined && y !== undefined && sameElement(x, y);
    expect(
      same(
        byAttr(lists(after.rl), 'name', 'their_friends'),
        byAttr(lists(before.rl), 'name', 'their_friends'),
      ),
    ).toBe(true);
    expect(
      same(children(after.rl, X, 'extension')[0], children(before.rl, X, 'extension')[0]),
    ).toBe(true);
    const entries = (d: XmlElement, list: string) =>
      children(byAttr(lists(d), 'name', list)!, RL, 'entry');
    expect(
      same(
        byAttr(
          entries(after.rl, 'oma_grantedcontacts'),
          'uri',
          'sip:other-client-grant@example.org',
        ),
        byAttr(
          entries(before.rl, 'oma_grantedcontacts'),
          'uri',
          'sip:other-client-grant@example.org',
        ),
      ),
    ).toBe(true);
    expect(
      same(
        byAttr(entries(after.rl, 'sipsimple_addressbook'), 'uri', 'sip:their-entry@example.org'),
        byAttr(entries(before.rl, 'sipsimple_addressbook'), 'uri', 'sip:their-entry@example.org'),
      ),
    ).toBe(true);

    // Contacts: the untouched one is kept whole; the updated one keeps its extensions.
    const contacts = (d: XmlElement) =>
      children(byAttr(lists(d), 'name', 'sipsimple_addressbook')!, AB, 'contact');
    expect(
      same(byAttr(contacts(after.rl), 'id', 'max'), byAttr(contacts(before.rl), 'id', 'max')),
    ).toBe(true);
    const kim = byAttr(contacts(after.rl), 'id', 'kim')!;
    const kimBefore = byAttr(contacts(before.rl), 'id', 'kim')!;
    expect(attr(kim, 'color', X)).toBe('blue');
    expect(same(children(kim, X, 'note')[0], children(kimBefore, X, 'note')[0])).toBe(true);
    const kimUri = children(children(kim, AB, 'uris')[0]!, AB, 'uri')[0]!;
    expect(attr(kimUri, 'tag', X)).toBe('t1');
    expect(byAttr(contacts(after.rl), 'id', 'lee')).toBeUndefined();
    expect(byAttr(contacts(after.rl), 'id', 'nina')).toBeDefined();

    // Rules and services of the other client are kept as they were.
    const rules = (d: XmlElement) => children(d, CP, 'rule');
    expect(
      same(
        byAttr(rules(after.pr), 'id', 'their_rule'),
        byAttr(rules(before.pr), 'id', 'their_rule'),
      ),
    ).toBe(true);
    expect(
      same(
        byAttr(rules(after.dr), 'id', 'their_dialog_rule'),
        byAttr(rules(before.dr), 'id', 'their_dialog_rule'),
      ),
    ).toBe(true);
    const friends = `sip:${user.username}+friends@example.com`;
    expect(
      same(
        byAttr(children(after.rls, RLS, 'service'), 'uri', friends),
        byAttr(children(before.rls, RLS, 'service'), 'uri', friends),
      ),
    ).toBe(true);

    // A second manager reads the same and has nothing to write: the result is a fixed point.
    const b = createXcapManager({ account, storage: memoryStorage() });
    managers.push(b);
    const traces: TraceEntry[] = [];
    b.trace$.subscribe((t) => traces.push(t));
    await b.start();
    await wait(b.state$, (s) => s.state === 'insync');
    expect((await firstValueFrom(b.addressbook$)).toJSON()).toEqual(ab.toJSON());
    expect(traces.filter((t) => t.method !== 'GET')).toEqual([]);
  });
});
