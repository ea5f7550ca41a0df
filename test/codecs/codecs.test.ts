import { describe, expect, it } from 'vitest';
import {
  decodeDialogRules,
  decodePresContent,
  decodePresence,
  decodePresRules,
  decodeResourceLists,
  decodeRlsServices,
  decodeXcapCaps,
  encodePresRules,
  encodeResourceLists,
  encodeRlsServices,
  NS,
  Pidf,
  parseXml,
  serializeXml,
  XcapCodecError,
  XmlParseError,
} from '../../src/codecs/index.js';

const RL = `xmlns="${NS.resourceLists}"`;
const CPX = `xmlns:cp="${NS.commonPolicy}" xmlns:pr="${NS.presRules}"`;

function codecError(f: () => unknown): XcapCodecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(XcapCodecError);
    expect((e as XcapCodecError).code).toBe('RXCAP_CODEC');
    return e as XcapCodecError;
  }
  throw new Error('no error');
}

describe('codec errors name the document and element', () => {
  it('wrong root', () => {
    const e = codecError(() =>
      decodeResourceLists(parseXml(`<rls-services xmlns="${NS.rlsServices}"/>`)),
    );
    expect(e.document).toBe('resource-lists');
    expect(e.message).toContain('resource-lists');
  });
  it('entry without uri', () => {
    const e = codecError(() =>
      decodeResourceLists(parseXml(`<resource-lists ${RL}><list><entry/></list></resource-lists>`)),
    );
    expect(e.element).toBe('entry');
  });
  it('rule without id, invalid sub-handling, invalid boolean, invalid provide-user-input', () => {
    expect(
      codecError(() => decodePresRules(parseXml(`<cp:ruleset ${CPX}><cp:rule/></cp:ruleset>`)))
        .element,
    ).toBe('cp:rule');
    const bad = (actions: string) =>
      `<cp:ruleset ${CPX}><cp:rule id="r"><cp:actions>${actions}</cp:actions></cp:rule></cp:ruleset>`;
    expect(
      codecError(() => decodePresRules(parseXml(bad('<pr:sub-handling>maybe</pr:sub-handling>'))))
        .element,
    ).toBe('pr:sub-handling');
    const tr = (t: string) =>
      `<cp:ruleset ${CPX}><cp:rule id="r"><cp:transformations>${t}</cp:transformations></cp:rule></cp:ruleset>`;
    codecError(() => decodePresRules(parseXml(tr('<pr:provide-mood>yes</pr:provide-mood>'))));
    codecError(() =>
      decodePresRules(parseXml(tr('<pr:provide-user-input>some</pr:provide-user-input>'))),
    );
  });
  it('unpaired validity from/until', () => {
    codecError(() =>
      decodePresRules(
        parseXml(
          `<cp:ruleset ${CPX}><cp:rule id="r"><cp:conditions><cp:validity><cp:from>x</cp:from></cp:validity></cp:conditions></cp:rule></cp:ruleset>`,
        ),
      ),
    );
  });
  it('pres-content: bad base64, missing data, unsupported encoding', () => {
    const pc = (inner: string) => parseXml(`<content xmlns="${NS.presContent}">${inner}</content>`);
    expect(codecError(() => decodePresContent(pc('<data>@@@</data>'))).element).toBe('data');
    expect(decodePresContent(pc('<data>QUJD</data>')).data).toEqual(new Uint8Array([65, 66, 67]));
    codecError(() => decodePresContent(pc('<mime-type>image/png</mime-type>')));
    codecError(() =>
      decodePresContent(pc('<encoding>quoted-printable</encoding><data>QUJD</data>')),
    );
  });
  it('pidf: missing entity, tuple without status, invalid basic', () => {
    const p = (attrs: string, inner: string) =>
      parseXml(`<presence xmlns="${NS.pidf}" ${attrs}>${inner}</presence>`);
    codecError(() => decodePresence(p('', '')));
    codecError(() => decodePresence(p('entity="sip:a@b"', '<tuple id="t"/>')));
    codecError(() =>
      decodePresence(
        p('entity="sip:a@b"', '<tuple id="t"><status><basic>maybe</basic></status></tuple>'),
      ),
    );
  });
  it('Pidf.parse passes XML errors through', () => {
    expect(() => Pidf.parse('<presence')).toThrow(XmlParseError);
  });
});

describe('resource-lists details', () => {
  it('writes RFC items before foreign elements even when the foreign ones came first (quirk 13)', () => {
    const xml = `<resource-lists ${RL} xmlns:x="urn:x"><list name="l"><x:item/><entry uri="sip:a@b"/></list></resource-lists>`;
    const out = serializeXml(encodeResourceLists(decodeResourceLists(parseXml(xml))));
    expect(out.indexOf('<entry')).toBeLessThan(out.indexOf('<x:item'));
  });
  it('keeps display names with xml:lang, nested lists, entry-refs and foreign attributes', () => {
    const xml = `<resource-lists ${RL} xmlns:x="urn:x" x:a="1"><list name="l" x:b="2"><display-name xml:lang="de">Freunde</display-name><list><entry-ref ref="resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list%5B@name=%22l%22%5D/entry%5B@uri=%22sip:c@d%22%5D"/></list></list></resource-lists>`;
    const doc = decodeResourceLists(parseXml(xml));
    expect(doc.otherAttributes).toEqual([{ ns: 'urn:x', name: 'a', value: '1', prefix: 'x' }]);
    const l = doc.lists[0]!;
    expect(l.displayName).toEqual({ value: 'Freunde', lang: 'de' });
    expect(l.otherAttributes[0]!.name).toBe('b');
    const inner = l.items[0]!;
    expect(inner.kind).toBe('list');
    if (inner.kind !== 'list') return;
    const ref = inner.items[0]!;
    expect(ref.kind === 'entry-ref' && ref.ref).toBe(
      'resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list[@name="l"]/entry[@uri="sip:c@d"]',
    );
    const again = serializeXml(encodeResourceLists(doc));
    expect(again).toContain('list%5B@name=%22l%22%5D/entry%5B@uri=%22sip:c@d%22%5D');
    expect(again).toContain('xml:lang="de"');
  });
  it('declares the default sipsimple prefixes for a new document', () => {
    const out = serializeXml(
      encodeResourceLists({
        lists: [{ kind: 'list', name: 'a', items: [], extensions: [], otherAttributes: [] }],
        extensions: [],
        otherAttributes: [],
      }),
    );
    expect(out).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<rl:resource-lists xmlns:rl="${NS.resourceLists}" xmlns:addressbook="${NS.addressbook}" xmlns:sipsimple="${NS.sipsimpleAddressbook}"><rl:list name="a"/></rl:resource-lists>`,
    );
  });
});

describe('rls-services details', () => {
  it('reads an inline list whose items are in the resource-lists namespace (RFC 4826 §4.3)', () => {
    const xml = `<rls-services xmlns="${NS.rlsServices}" xmlns:rl="${NS.resourceLists}"><service uri="sip:m@x"><list name="marketing"><rl:entry uri="sip:joe@example.com"/></list><packages><package>presence</package></packages></service></rls-services>`;
    const doc = decodeRlsServices(parseXml(xml));
    const s = doc.services[0]!;
    expect(s.source.kind).toBe('list');
    if (s.source.kind === 'list')
      expect(s.source.list.items[0]).toMatchObject({ kind: 'entry', uri: 'sip:joe@example.com' });
    const out = serializeXml(encodeRlsServices({ ...doc, shape: undefined }));
    expect(out).toContain(`<list xmlns:rl="${NS.resourceLists}" name="marketing">`);
    expect(out).toContain('<rl:entry uri="sip:joe@example.com"/>');
  });
  it('requires a resource-list or list', () => {
    codecError(() =>
      decodeRlsServices(
        parseXml(`<rls-services xmlns="${NS.rlsServices}"><service uri="sip:a@b"/></rls-services>`),
      ),
    );
  });
});

describe('common-policy details', () => {
  it('decodes identity one/many/except, sphere, validity and transformations', () => {
    const xml = `<cp:ruleset ${CPX}><cp:rule id="r"><cp:conditions><cp:identity><cp:one id="sip%3Abob%40x"/><cp:many domain="example.com"><cp:except id="sip:eve@example.com"/><cp:except domain="bad.example.com"/></cp:many></cp:identity><cp:sphere value="work"/><cp:validity><cp:from>2024-01-01T00:00:00Z</cp:from><cp:until>2024-12-31T00:00:00Z</cp:until></cp:validity><x:mine xmlns:x="urn:x"/></cp:conditions><cp:actions><pr:sub-handling>confirm</pr:sub-handling><x:act xmlns:x="urn:x"/></cp:actions><cp:transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:class>friends</pr:class></pr:provide-persons><pr:provide-activities>true</pr:provide-activities><pr:provide-mood>0</pr:provide-mood><pr:provide-user-input>bare</pr:provide-user-input><pr:provide-unknown-attribute ns="urn:y" name="z">true</pr:provide-unknown-attribute><pr:provide-all-attributes/></cp:transformations></cp:rule></cp:ruleset>`;
    const rule = decodePresRules(parseXml(xml)).rules[0]!;
    const [identity, sphere, validity] = rule.conditions!.items;
    expect(identity).toMatchObject({
      kind: 'identity',
      ones: [{ id: 'sip:bob@x' }],
      manys: [
        {
          domain: 'example.com',
          excepts: [{ id: 'sip:eve@example.com' }, { domain: 'bad.example.com' }],
        },
      ],
    });
    expect(sphere).toMatchObject({ kind: 'sphere', value: 'work' });
    expect(validity).toMatchObject({
      kind: 'validity',
      intervals: [{ from: '2024-01-01T00:00:00Z', until: '2024-12-31T00:00:00Z' }],
    });
    expect(rule.conditions!.extensions.map((e) => e.name)).toEqual(['mine']);
    expect(rule.actions).toMatchObject({ subHandling: 'confirm' });
    expect(rule.actions!.extensions.map((e) => e.name)).toEqual(['act']);
    const t = rule.transformations!;
    expect(t.provideServices).toMatchObject({ all: true, items: [] });
    expect(t.providePersons).toMatchObject({
      all: false,
      items: [{ name: 'class', value: 'friends' }],
    });
    expect(t.flags).toEqual({ 'provide-activities': true, 'provide-mood': false });
    expect(t.provideUserInput).toBe('bare');
    expect(t.provideUnknownAttributes).toEqual([{ ns: 'urn:y', name: 'z', value: true }]);
    expect(t.provideAllAttributes).toBe(true);
    const out = serializeXml(encodePresRules(decodePresRules(parseXml(xml))));
    expect(out).toContain('<pr:provide-mood>false</pr:provide-mood>');
    expect(decodePresRules(parseXml(out))).toEqual(
      decodePresRules(parseXml(out.replace('false', 'false'))),
    );
  });
  it('reads dialog-rules sub-handling in the AG namespace', () => {
    const xml = `<cp:ruleset xmlns:cp="${NS.commonPolicy}" xmlns:dr="${NS.dialogRules}"><cp:rule id="r"><cp:actions><dr:sub-handling>polite-block</dr:sub-handling></cp:actions></cp:rule></cp:ruleset>`;
    expect(decodeDialogRules(parseXml(xml)).rules[0]!.actions!.subHandling).toBe('polite-block');
  });
});

describe('pidf details', () => {
  it('decodes RPID, CIPID, devices and tuple details', () => {
    const xml = `<presence xmlns="${NS.pidf}" xmlns:dm="${NS.dataModel}" xmlns:rpid="${NS.rpid}" xmlns:c="${NS.cipid}" entity="sip:a@b"><tuple id="t1"><status><basic>open</basic></status><dm:deviceID>urn:uuid:1</dm:deviceID><contact priority="0.8">sip:a@pc</contact><note xml:lang="en">hi</note><timestamp>2024-01-01T00:00:00Z</timestamp></tuple><note>doc note</note><dm:person id="p1"><rpid:activities from="2024-01-01T00:00:00Z"><rpid:note>lunch</rpid:note><rpid:meal/><rpid:other>cooking</rpid:other></rpid:activities><rpid:mood><rpid:happy/></rpid:mood><rpid:user-input idle-threshold="600">idle</rpid:user-input><c:display-name xml:lang="de">Alice</c:display-name><c:homepage>http://a.example</c:homepage><dm:note>person note</dm:note></dm:person><dm:device id="d1"><dm:deviceID>urn:uuid:1</dm:deviceID></dm:device></presence>`;
    const p = decodePresence(parseXml(xml));
    const t = p.tuples[0]!;
    expect(t).toMatchObject({
      id: 't1',
      status: { basic: 'open' },
      deviceId: 'urn:uuid:1',
      contact: { uri: 'sip:a@pc', priority: '0.8' },
      notes: [{ value: 'hi', lang: 'en' }],
      timestamp: '2024-01-01T00:00:00Z',
    });
    expect(p.notes).toEqual([{ value: 'doc note' }]);
    const person = p.persons[0]!;
    expect(person.activities).toMatchObject({
      from: '2024-01-01T00:00:00Z',
      notes: [{ value: 'lunch' }],
      values: ['meal'],
      others: [{ value: 'cooking' }],
    });
    expect(person.mood?.values).toEqual(['happy']);
    expect(person.userInput?.value).toBe('idle');
    expect(person.cipid).toEqual({
      displayName: { value: 'Alice', lang: 'de' },
      homepage: 'http://a.example',
    });
    expect(person.notes).toEqual([{ value: 'person note' }]);
    expect(p.devices[0]).toMatchObject({ id: 'd1', deviceId: 'urn:uuid:1' });
    const again = Pidf.parse(Pidf.fromPresence(p).toXml());
    expect(again.presence).toEqual({ ...p, shape: again.presence.shape });
  });
});

describe('xcap-caps', () => {
  it('decodes auids, extensions and namespaces', () => {
    const xml = `<xcap-caps xmlns="${NS.xcapCaps}"><auids><auid>resource-lists</auid><auid>rls-services</auid></auids><extensions/><namespaces><namespace>${NS.resourceLists}</namespace></namespaces></xcap-caps>`;
    const caps = decodeXcapCaps(parseXml(xml));
    expect(caps.auids).toEqual(['resource-lists', 'rls-services']);
    expect(caps.extensions).toEqual([]);
    expect(caps.namespaces).toEqual([NS.resourceLists]);
  });
});
