/**
 * The RFC's own examples, quoted from RFC 4825: the §6.3 character encoding examples and every
 * request line of the §13 walk-through (Bill's resource-lists and rls-services), built with our
 * URI builder and node-selector builder, with the content types the RFC sends.
 *
 * The RFC writes percent escapes in lower case (`%5b`); RFC 3986 §2.1 makes the case
 * insignificant and recommends upper case, which we send, so escapes are compared
 * case-insensitively.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeNodeSelector,
  mimeTypeFor,
  nodeKindOf,
  nodeSelector,
  XcapClient,
} from '../../src/client/index.js';

const upperEscapes = (s: string) => s.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
const client = new XcapClient({ root: 'http://xcap.example.com', xui: 'sip:bill@example.com' });
const path = (url: string) => new URL(url).pathname;

describe('RFC 4825 §6.3: characters outside pchar are UTF-8 percent-encoded', () => {
  it.each([
    ['A', 'A'],
    ['\u00C0', '%C3%80'], // LATIN CAPITAL LETTER A WITH GRAVE
    ['\u30A2', '%E3%82%A2'], // KATAKANA LETTER A
  ])('%s -> %s', (char, encoded) => {
    expect(encodeNodeSelector(`resource-lists/list[@name="${char}"]`)).toBe(
      `resource-lists/list%5B@name=%22${encoded}%22%5D`,
    );
  });
});

describe('RFC 4825 §13 examples', () => {
  const friends = nodeSelector().el('resource-lists').el('list', { name: 'friends' });

  it('Figure 24: PUT of a new resource-lists document', () => {
    expect(path(client.url('resource-lists'))).toBe(
      '/resource-lists/users/sip:bill@example.com/index',
    );
    expect(mimeTypeFor('resource-lists', undefined)).toBe('application/resource-lists+xml');
  });

  it('Figure 25: PUT of the rls-services document, whose resource-list points at friends', () => {
    expect(path(client.url('rls-services'))).toBe('/rls-services/users/sip:bill@example.com/index');
    expect(mimeTypeFor('rls-services', undefined)).toBe('application/rls-services+xml');
    expect(upperEscapes(client.url('resource-lists', { node: friends }))).toBe(
      upperEscapes(
        'http://xcap.example.com/resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d',
      ),
    );
  });

  it('Figure 26: PUT of an entry element, as application/xcap-el+xml', () => {
    const node = friends.el('entry');
    expect(upperEscapes(path(client.url('resource-lists', { node })))).toBe(
      upperEscapes(
        '/resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d/entry',
      ),
    );
    expect(mimeTypeFor('resource-lists', nodeKindOf(node.toString()))).toBe(
      'application/xcap-el+xml',
    );
  });

  it('Figure 29: PUT of the nested close-friends list', () => {
    const node = friends.el('list', { name: 'close-friends' });
    expect(upperEscapes(path(client.url('resource-lists', { node })))).toBe(
      upperEscapes(
        '/resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d/list%5b@name=%22close-friends%22%5d',
      ),
    );
  });

  it('Figure 30: DELETE of the entry of sip:petri@example.com', () => {
    const node = nodeSelector()
      .el('resource-lists')
      .el('list')
      .el('list')
      .el('entry', { uri: 'sip:petri@example.com' });
    expect(upperEscapes(path(client.url('resource-lists', { node })))).toBe(
      upperEscapes(
        '/resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list/list/entry%5b@uri=%22sip:petri@example.com%22%5d',
      ),
    );
  });

  it('Figure 31: GET of an attribute, answered as application/xcap-att+xml', () => {
    const node = nodeSelector()
      .el('resource-lists')
      .el('list')
      .el('list')
      .el('entry', 2)
      .attr('uri');
    expect(upperEscapes(path(client.url('resource-lists', { node })))).toBe(
      upperEscapes(
        '/resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list/list/entry%5b2%5d/@uri',
      ),
    );
    expect(mimeTypeFor('resource-lists', nodeKindOf(node.toString()))).toBe(
      'application/xcap-att+xml',
    );
  });
});
