import { describe, expect, it } from 'vitest';
import { parseXcapError } from '../../src/codecs/xcap-error.js';

const NS = 'urn:ietf:params:xml:ns:xcap-error';
const doc = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="${NS}">${inner}</xcap-error>`;

describe('parseXcapError (RFC 4825 §11)', () => {
  it.each([
    'not-well-formed',
    'not-utf-8',
    'schema-validation-error',
    'not-xml-frag',
    'not-xml-att-value',
    'cannot-insert',
    'cannot-delete',
    'constraint-failure',
  ])('reads <%s> with and without phrase', (type) => {
    expect(parseXcapError(doc(`<${type}/>`))).toEqual({ type });
    expect(parseXcapError(doc(`<${type} phrase="Because &amp; so"/>`))).toEqual({
      type,
      phrase: 'Because & so',
    });
  });

  it('reads <no-parent> with its ancestor', () => {
    const anc =
      'http://xcap.example.com/rls-services/users/sip:joe@example.com/index/~~/rls-services';
    expect(
      parseXcapError(doc(`<no-parent phrase="p"><ancestor>${anc}</ancestor></no-parent>`)),
    ).toEqual({
      type: 'no-parent',
      phrase: 'p',
      ancestor: anc,
    });
    expect(parseXcapError(doc('<no-parent/>'))).toEqual({ type: 'no-parent' });
  });

  it('reads <uniqueness-failure> with every exists field and alt-value (RFC 4825 §11.2 example)', () => {
    const body = doc(`
 <uniqueness-failure>
  <exists field="rls-services/service/@uri">
    <alt-value>sip:mybuddies@example.com</alt-value>
    <alt-value>sip:mybuddies2@example.com</alt-value>
  </exists>
  <exists field="rls-services/service/@other"/>
 </uniqueness-failure>`);
    expect(parseXcapError(body)).toEqual({
      type: 'uniqueness-failure',
      exists: [
        {
          field: 'rls-services/service/@uri',
          altValues: ['sip:mybuddies@example.com', 'sip:mybuddies2@example.com'],
        },
        { field: 'rls-services/service/@other', altValues: [] },
      ],
    });
  });

  it('reads <extension> and keeps its content elements', () => {
    const r = parseXcapError(
      doc('<extension><x:quota-exceeded xmlns:x="urn:example:x" limit="5"/></extension>'),
    );
    expect(r?.type).toBe('extension');
    const elements = r?.type === 'extension' ? r.elements : [];
    expect(elements.map((e) => [e.ns, e.name])).toEqual([['urn:example:x', 'quota-exceeded']]);
  });

  it('accepts a prefixed root', () => {
    expect(
      parseXcapError(`<e:xcap-error xmlns:e="${NS}"><e:cannot-delete phrase="x"/></e:xcap-error>`),
    ).toEqual({ type: 'cannot-delete', phrase: 'x' });
  });

  it('keeps an unknown condition as type unknown with its name and namespace', () => {
    expect(parseXcapError(doc('<future-condition phrase="f"/>'))).toMatchObject({
      type: 'unknown',
      condition: 'future-condition',
      ns: 'urn:ietf:params:xml:ns:xcap-error',
      phrase: 'f',
    });
    expect(parseXcapError(doc('<v:quota xmlns:v="urn:vendor"/>'))).toMatchObject({
      type: 'unknown',
      condition: 'quota',
      ns: 'urn:vendor',
    });
  });

  it('narrows on type (uniqueness-failure exposes exists without casts)', () => {
    const d = parseXcapError(
      doc('<uniqueness-failure><exists field="a/@b"/></uniqueness-failure>'),
    );
    const fields = d?.type === 'uniqueness-failure' ? d.exists.map((e) => e.field) : [];
    expect(fields).toEqual(['a/@b']);
  });

  it.each([
    ['not XML', 'Internal Server Error'],
    ['empty', ''],
    ['wrong namespace', '<xcap-error xmlns="urn:other"><cannot-delete/></xcap-error>'],
    ['wrong root', `<error xmlns="${NS}"><cannot-delete/></error>`],
    ['no condition', doc('')],
    ['truncated', doc('<cannot-delete').slice(0, -14)],
  ])('returns undefined for %s, never throws', (_name, body) => {
    expect(parseXcapError(body)).toBeUndefined();
  });
});
