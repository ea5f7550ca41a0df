import { describe, expect, it } from 'vitest';
import {
  encodeNodeSelector,
  namespaceQuery,
  nodeKindOf,
  nodeSelector,
  quoteAttValue,
  validateNodeSelector,
  XcapNodeSelectorError,
} from '../../src/client/index.js';

// Percent-encodings are case-insensitive (RFC 3986 §2.1); the RFC's examples use lower case,
// rxcap writes upper case as RFC 3986 recommends.
const upperHex = (s: string) => s.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());

describe('node selector builder', () => {
  it('builds the example of the task brief', () => {
    const sel = nodeSelector()
      .el('resource-lists')
      .el('list', { name: 'friends' })
      .el('entry', { uri: 'sip:bob@example.com' })
      .attr('uri');
    expect(sel.toString()).toBe(
      'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/@uri',
    );
    expect(sel.kind).toBe('attribute');
  });

  it('builds position, position+attribute, any-name and namespace steps', () => {
    expect(nodeSelector().el('resource-lists').el('list', 2).toString()).toBe(
      'resource-lists/list[2]',
    );
    expect(nodeSelector().el('a').el('entry', 3, { uri: 'x' }).toString()).toBe(
      'a/entry[3][@uri="x"]',
    );
    expect(nodeSelector().el('a').el('*', 1).toString()).toBe('a/*[1]');
    const ns = nodeSelector().el('resource-lists').namespaceNodes();
    expect(ns.toString()).toBe('resource-lists/namespace::*');
    expect(ns.kind).toBe('namespace');
  });

  it('quotes attribute values containing quotes correctly (XML AttValue)', () => {
    expect(nodeSelector().el('e', { n: 'say "hi"' }).toString()).toBe(`e[@n='say "hi"']`);
    expect(nodeSelector().el('e', { n: "it's" }).toString()).toBe(`e[@n="it's"]`);
    expect(quoteAttValue(`a"b'c`)).toBe(`"a&quot;b'c"`);
    expect(quoteAttValue('a<b&c')).toBe('"a&lt;b&amp;c"');
    // whatever the quoting, the result validates
    for (const v of [`a"b'c`, 'a<b&c', "it's", 'say "hi"'])
      expect(validateNodeSelector(nodeSelector().el('e', { n: v }).toString())).toBe('element');
  });

  it('carries prefixed names with their bindings', () => {
    const sel = nodeSelector()
      .ns('rl', 'urn:ietf:params:xml:ns:resource-lists')
      .el('rl:resource-lists');
    expect(sel.toString()).toBe('rl:resource-lists');
    expect(sel.namespaces).toEqual({ rl: 'urn:ietf:params:xml:ns:resource-lists' });
  });

  it('rejects steps after a terminal step, bad positions and multi-attribute tests', () => {
    const attr = nodeSelector().el('a').attr('b');
    expect(() => attr.el('c')).toThrow(XcapNodeSelectorError);
    expect(() => nodeSelector().el('a', 0)).toThrow(XcapNodeSelectorError);
    expect(() => nodeSelector().el('a', 1.5)).toThrow(XcapNodeSelectorError);
    expect(() => nodeSelector().el('a', { x: '1', y: '2' })).toThrow(XcapNodeSelectorError);
    expect(() => nodeSelector().attr('b')).toThrow(XcapNodeSelectorError);
    expect(() => nodeSelector().el('1bad')).toThrow(XcapNodeSelectorError);
  });
});

describe('validateNodeSelector', () => {
  it.each([
    ['resource-lists/list[@name="friends"]', 'element'],
    ['/resource-lists/list/entry/@uri', 'attribute'],
    ["resource-lists/list[1][@name='x']", 'element'],
    ['resource-lists/namespace::*', 'namespace'],
    ['a:foo/b:bar', 'element'],
  ] as const)('accepts %s as %s', (sel, kind) => {
    expect(validateNodeSelector(sel, { a: 'urn:a', b: 'urn:b' })).toBe(kind);
  });

  it.each([
    ['resource-lists/list[@name="friends"', 'unbalanced "["'],
    ['resource-lists/list@name="friends"]', 'quote outside a predicate'],
    ['resource-lists/list[@name="friends]', 'unterminated quote'],
    ['resource-lists/list]', 'unbalanced "]"'],
    ['resource-lists//list', 'empty step'],
    ['', 'empty selector'],
    ['p:resource-lists', 'prefix "p" has no binding'],
    ['resource-lists/list[@p:name="x"]', 'prefix "p" has no binding'],
    ['resource-lists/@name/list', 'an attribute step must be last'],
    ['resource-lists/list[0]', 'bad position'],
    ['resource-lists/list[@name="a"][1]', 'bad position'],
    ['resource-lists/list[name="x"]', 'bad predicate'],
    ['resource-lists/list[@name="a&b"]', 'raw "<" or "&"'],
  ])('rejects %s (%s)', (sel, reason) => {
    let err: unknown;
    try {
      validateNodeSelector(sel);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XcapNodeSelectorError);
    expect((err as XcapNodeSelectorError).code).toBe('RXCAP_NODE_SELECTOR');
    expect((err as XcapNodeSelectorError).message).toContain(reason);
    expect((err as XcapNodeSelectorError).selector).toBe(sel);
  });

  it('reports the position of the problem', () => {
    try {
      validateNodeSelector('a/b[@c="d"');
      expect.unreachable();
    } catch (e) {
      expect((e as XcapNodeSelectorError).position).toBe(3);
    }
  });

  it('nodeKindOf reads the last step', () => {
    expect(nodeKindOf('a/b[@c="x/y"]')).toBe('element');
    expect(nodeKindOf('a/b/@c')).toBe('attribute');
    expect(nodeKindOf('a/namespace::*')).toBe('namespace');
  });
});

describe('encodeNodeSelector (RFC 4825 §6.3 escaping)', () => {
  it('encodes ", [, ] and space, keeps / between steps, @, :, = and \'', () => {
    expect(encodeNodeSelector('resource-lists/list[@name="my friends"]')).toBe(
      'resource-lists/list%5B@name=%22my%20friends%22%5D',
    );
    expect(encodeNodeSelector("a/b[@c='d']")).toBe("a/b%5B@c='d'%5D");
  });

  it('matches the encoded entry-ref of the RFC 4826 / OpenXCAP examples (case-insensitive hex)', () => {
    // From the resource-lists example used by OpenXCAP's test-suite (RFC 4826 §3.3 style):
    // ref="resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d"
    const expected =
      'resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d';
    expect(
      encodeNodeSelector('resource-lists/list[@name="list1"]/entry[@uri="sip:petri@example.com"]'),
    ).toBe(upperHex(expected));
  });

  it('encodes non-ASCII as UTF-8 octets and % itself', () => {
    expect(encodeNodeSelector('a/b[@n="é"]')).toBe('a/b%5B@n=%22%C3%A9%22%5D');
    expect(encodeNodeSelector('a/b[@n="100%"]')).toBe('a/b%5B@n=%22100%25%22%5D');
    expect(encodeNodeSelector('a/b[@n="x#y?z"]')).toBe('a/b%5B@n=%22x%23y%3Fz%22%5D');
  });

  it('never encodes ~ (the ~~ separator and ~ in values stay plain)', () => {
    expect(encodeNodeSelector('a/b[@n="~~"]')).toBe('a/b%5B@n=%22~~%22%5D');
  });

  it('drops a leading / (python-xcaplib writes /resource-lists/...)', () => {
    expect(encodeNodeSelector('/resource-lists/list')).toBe('resource-lists/list');
  });
});

describe('namespaceQuery (RFC 4825 §6.4)', () => {
  it('writes one xmlns() per binding', () => {
    expect(namespaceQuery({ a: 'urn:test:namespace1-uri', b: 'urn:test:namespace1-uri' })).toBe(
      'xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace1-uri)',
    );
  });
  it('percent-encodes characters not allowed in a query', () => {
    expect(namespaceQuery({ a: 'http://x/y#z w' })).toBe('xmlns(a=http://x/y%23z%20w)');
  });
  it('rejects a prefix that is not an NCName', () => {
    expect(() => namespaceQuery({ 'a b': 'urn:x' })).toThrow(XcapNodeSelectorError);
  });
});
