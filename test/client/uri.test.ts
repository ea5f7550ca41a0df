import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultUsername,
  encodePathSegment,
  nodeSelector,
  XcapClient,
  XcapNodeSelectorError,
  xcapUri,
} from '../../src/client/index.js';
import { XcapValidationError } from '../../src/errors.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

const REFERENCE_LOG = join(REFERENCE_LAYOUT_DIR, 'http-log.json');

describe('XCAP document URIs (RFC 4825 §6.2)', () => {
  it('builds the users tree with index as default filename, with or without a trailing /', () => {
    for (const root of ['http://xcap.example.com/xcap-root', 'http://xcap.example.com/xcap-root/'])
      expect(xcapUri(root, 'resource-lists', 'sip:alice@example.com').url).toBe(
        'http://xcap.example.com/xcap-root/resource-lists/users/sip:alice@example.com/index',
      );
  });

  it('builds the global tree', () => {
    expect(xcapUri('http://x/r', 'xcap-caps', 'sip:a@b', { global: true }).url).toBe(
      'http://x/r/xcap-caps/global/index',
    );
  });

  it('reproduces every URL the reference implementation requested (DESIGN §4 fixture)', () => {
    const log = JSON.parse(readFileSync(REFERENCE_LOG, 'utf8')) as { url: string }[];
    const client = new XcapClient({
      root: 'http://127.0.0.1:5080/xcap-root',
      xui: 'sip:alice@example.com',
    });
    const filenames: Record<string, string> = {
      'org.openmobilealliance.pres-content': 'oma_status-icon/index',
    };
    expect(log.length).toBeGreaterThan(5);
    for (const { url } of log) {
      const m = /^http:\/\/127\.0\.0\.1:5080\/xcap-root\/([^/]+)\/(users|global)\//.exec(url);
      expect(m).not.toBeNull();
      const auid = m![1]!;
      const built = client.url(auid, {
        global: m![2] === 'global',
        filename: filenames[auid] ?? 'index',
      });
      expect(built).toBe(url);
    }
  });

  it('encodes ?, /, #, % and space in the XUI but keeps : and @ plain', () => {
    expect(encodePathSegment('sip:alice@example.com')).toBe('sip:alice@example.com');
    expect(xcapUri('http://x', 'resource-lists', 'sip:a/b?c#d%e f@example.com').url).toBe(
      'http://x/resource-lists/users/sip:a%2Fb%3Fc%23d%25e%20f@example.com/index',
    );
  });

  it('appends /~~/ and the encoded node selector with namespace bindings (RFC 4825 §6.4 example)', () => {
    // RFC 4825 §6.4: http://xcap.example.com/test/users/sip:joe@example.com/index/~~/foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace1-uri)
    expect(
      xcapUri('http://xcap.example.com', 'test', 'sip:joe@example.com', {
        node: 'foo/a:bar/b:baz',
        namespaces: { a: 'urn:test:namespace1-uri', b: 'urn:test:namespace1-uri' },
      }).url,
    ).toBe(
      'http://xcap.example.com/test/users/sip:joe@example.com/index/~~/foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace1-uri)',
    );
  });

  it('builds the request target of an element PUT like the RFC 4825 examples', () => {
    // The encoded form matches the request-target used by RFC 4825-style examples, e.g.
    // /rls-services/users/sip:bill@example.com/index/~~/rls-services/service%5B@uri=%22sip:good-friends@example.com;myparam=abc%22%5D
    const { url, nodeKind } = xcapUri(
      'http://xcap.example.com',
      'rls-services',
      'sip:bill@example.com',
      {
        node: 'rls-services/service[@uri="sip:good-friends@example.com;myparam=abc"]',
      },
    );
    expect(new URL(url).pathname).toBe(
      '/rls-services/users/sip:bill@example.com/index/~~/rls-services/service%5B@uri=%22sip:good-friends@example.com;myparam=abc%22%5D',
    );
    expect(nodeKind).toBe('element');
  });

  it('takes a NodeSelector with its bindings and reports the node kind', () => {
    const node = nodeSelector().ns('p', 'urn:x').el('p:a').attr('b');
    const r = xcapUri('http://x', 'test', 'sip:a@b', { node });
    expect(r.url).toBe('http://x/test/users/sip:a@b/index/~~/p:a/@b?xmlns(p=urn:x)');
    expect(r.nodeKind).toBe('attribute');
  });

  // OpenXCAP answers 400 to any xmlns() in the query: send only the bindings a selector uses.
  it('sends no xmlns() for bindings the selector does not use', () => {
    const namespaces = { rl: 'urn:ietf:params:xml:ns:resource-lists', p: 'urn:x' };
    const plain = xcapUri('http://x', 'resource-lists', 'sip:a@b', {
      node: 'resource-lists/list[@name="a:b"]/namespace::*',
      namespaces,
    });
    expect(plain.url).not.toContain('?');
    const prefixed = xcapUri('http://x', 'resource-lists', 'sip:a@b', {
      node: 'rl:resource-lists/rl:list',
      namespaces,
    });
    expect(prefixed.url).toMatch(/\?xmlns\(rl=urn:ietf:params:xml:ns:resource-lists\)$/);
  });

  it('rejects an unbound prefix, bindings without a selector, bad AUIDs and filenames', () => {
    expect(() => xcapUri('http://x', 'test', 'sip:a@b', { node: 'p:a' })).toThrow(
      XcapNodeSelectorError,
    );
    expect(() => xcapUri('http://x', 'test', 'sip:a@b', { namespaces: { p: 'urn:x' } })).toThrow(
      XcapNodeSelectorError,
    );
    expect(() => xcapUri('http://x', 'a/b', 'sip:a@b')).toThrow(XcapValidationError);
    expect(() => xcapUri('http://x', 'test', 'sip:a@b', { filename: '../x' })).toThrow(
      XcapValidationError,
    );
  });

  it('keeps / in filenames as path separators', () => {
    expect(
      xcapUri('http://x', 'org.openmobilealliance.pres-content', 'sip:a@b', {
        filename: 'oma_status-icon/index',
      }).url,
    ).toBe('http://x/org.openmobilealliance.pres-content/users/sip:a@b/oma_status-icon/index');
  });
});

describe('defaultUsername', () => {
  it('takes the user part of the XUI', () => {
    expect(defaultUsername('sip:alice@example.com')).toBe('alice');
    expect(defaultUsername('sips:bob@example.com')).toBe('bob');
    expect(defaultUsername('carol')).toBe('carol');
  });
  it('is overridden by an explicit username (user@domain kept as given)', () => {
    const c = new XcapClient({
      root: 'http://x',
      xui: 'sip:alice@example.com',
      username: 'alice@example.com',
    });
    expect(c.username).toBe('alice@example.com');
    expect(new XcapClient({ root: 'http://x', xui: 'sip:alice@example.com' }).username).toBe(
      'alice',
    );
  });
});

describe('XcapClient root validation', () => {
  it.each([
    ['not a URI', 'xcap.example.com/root'],
    ['other scheme', 'ftp://xcap.example.com/root'],
    ['credentials in the root', 'http://alice:secret@xcap.example.com/root'],
    ['query', 'http://xcap.example.com/root?x=1'],
  ])('refuses %s', (_n, root) => {
    let err: unknown;
    try {
      new XcapClient({ root, xui: 'sip:a@b' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XcapValidationError);
    expect((err as XcapValidationError).field).toBe('root');
    expect(String((err as Error).message)).not.toContain('secret');
  });
});
