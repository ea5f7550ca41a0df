import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  chooseChallenge,
  type DigestChallenge,
  digestAuthorization,
  digestResponse,
  parseWwwAuthenticate,
} from '../../src/client/index.js';

// RFC 7616 §3.9.1: the MD5 and SHA-256 examples share these inputs.
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  uri: '/dir/index.html',
};

const header = (alg: string) =>
  `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${alg}, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`;

function challengeOf(h: string): DigestChallenge {
  const c = chooseChallenge(parseWwwAuthenticate(h));
  if (c.kind !== 'digest') throw new Error(`expected digest, got ${c.kind}`);
  return c.challenge;
}

const input = { ...RFC7616, method: 'GET', nc: 1 };

describe('Digest responses: RFC 7616 §3.9.1 test vectors', () => {
  it('MD5 gives response 8ca523f5e9506fed4657c9700eebdbec', () => {
    const ch = challengeOf(header('MD5'));
    expect(ch.qop).toBe('auth');
    expect(digestResponse(ch, input)).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('SHA-256 gives response 753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1', () => {
    expect(digestResponse(challengeOf(header('SHA-256')), input)).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('writes the Authorization header of the RFC example', () => {
    const auth = digestAuthorization(challengeOf(header('MD5')), input);
    expect(auth).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", ' +
        'algorithm=MD5, response="8ca523f5e9506fed4657c9700eebdbec", qop=auth, nc=00000001, ' +
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
  });

  it('the response depends on nc, so reused nonces are counted', () => {
    const ch = challengeOf(header('MD5'));
    expect(digestResponse(ch, { ...input, nc: 2 })).not.toBe(digestResponse(ch, input));
    expect(digestAuthorization(ch, { ...input, nc: 0x1a })).toContain('nc=0000001a');
  });

  it('RFC 2617 §3.5 example (qop=auth, MD5) gives 6629fae49393a05397450978507c4ef1', () => {
    const ch = challengeOf(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const r = {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
    };
    expect(digestResponse(ch, r)).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 2069 mode (no qop): response = H(HA1:nonce:HA2), no nc/cnonce sent', () => {
    // RFC 2069's own example value is wrong (known erratum), so the expectation is computed
    // here from the RFC 2069 §2.1.2 formula with node:crypto directly.
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ch = challengeOf(
      'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const r = {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: 'x',
    };
    const expected = md5(
      `${md5('Mufasa:testrealm@host.com:Circle Of Life')}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${md5('GET:/dir/index.html')}`,
    );
    expect(digestResponse(ch, r)).toBe(expected);
    const auth = digestAuthorization(ch, r);
    expect(auth).toContain(`response="${expected}"`);
    expect(auth).not.toContain('nc=');
    expect(auth).not.toContain('cnonce=');
    expect(auth).not.toContain('qop=');
  });

  it('-sess variants hash the cnonce into HA1', () => {
    const sess = challengeOf(header('MD5-sess'));
    expect(sess.sess).toBe(true);
    expect(digestResponse(sess, input)).not.toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse(sess, input)).toMatch(/^[0-9a-f]{32}$/);
    expect(digestAuthorization(sess, input)).toContain('algorithm=MD5-sess');
  });

  it('escapes quotes in the username and uses username* for non-ASCII (RFC 7616 §3.4.4)', () => {
    const ch = challengeOf(header('MD5'));
    expect(digestAuthorization(ch, { ...input, username: 'a"b' })).toContain('username="a\\"b"');
    expect(digestAuthorization(ch, { ...input, username: 'Jäsøn' })).toContain(
      "username*=UTF-8''J%C3%A4s%C3%B8n",
    );
  });

  it("username* percent-encodes ' ( ) * too, which are not RFC 8187 attr-chars", () => {
    const ch = challengeOf(header('MD5'));
    // A raw "'" would end the ext-value's language field and break the server's parse.
    expect(digestAuthorization(ch, { ...input, username: "Zoë O'Neil (x*)" })).toContain(
      "username*=UTF-8''Zo%C3%AB%20O%27Neil%20%28x%2A%29,",
    );
  });
});

describe('WWW-Authenticate parsing and challenge choice', () => {
  it('parses several challenges in one header and across headers', () => {
    const cs = parseWwwAuthenticate([
      'Digest realm="a", nonce="n1", algorithm=MD5, Digest realm="a", nonce="n2", algorithm=SHA-256',
      'Basic realm="b"',
    ]);
    expect(cs.map((c) => [c.scheme, c.params.nonce ?? c.params.realm])).toEqual([
      ['digest', 'n1'],
      ['digest', 'n2'],
      ['basic', 'b'],
    ]);
  });

  it('picks the strongest supported Digest algorithm (RFC 7616 §3.7)', () => {
    const c = chooseChallenge(
      parseWwwAuthenticate([
        'Digest realm="a", nonce="n1", algorithm=MD5, qop="auth"',
        'Digest realm="a", nonce="n2", algorithm=SHA-256, qop="auth"',
        'Digest realm="a", nonce="n3", algorithm=SHA-999, qop="auth"',
      ]),
    );
    expect(c.kind === 'digest' && c.challenge.nonce).toBe('n2');
  });

  it('prefers Digest over Basic', () => {
    const c = chooseChallenge(parseWwwAuthenticate('Basic realm="x", Digest realm="a", nonce="n"'));
    expect(c.kind).toBe('digest');
  });

  it('reads stale=true and quoted-pairs', () => {
    const c = challengeOf('Digest realm="r\\"q", nonce="n", stale=TRUE');
    expect(c.stale).toBe(true);
    expect(c.realm).toBe('r"q');
  });

  it.each([
    ['missing nonce', 'Digest realm="a", qop="auth"', 'missing nonce'],
    ['missing realm', 'Digest nonce="n"', 'missing realm'],
    ['unknown algorithm', 'Digest realm="a", nonce="n", algorithm=ROT13', 'unsupported algorithm'],
    ['unknown qop', 'Digest realm="a", nonce="n", qop="auth-conf"', 'unsupported qop'],
    ['garbage', '\u0000\u0001 ==,, "', 'unparsable'],
    ['unterminated quote', 'Digest realm="a, nonce="n', 'missing nonce'],
    ['unknown scheme', 'Negotiate abcdef==', 'unsupported authentication scheme'],
    ['empty', '', 'unparsable'],
  ])('a broken challenge (%s) is unusable, never a crash', (_n, h, reason) => {
    const c = chooseChallenge(parseWwwAuthenticate(h));
    expect(c.kind).toBe('unusable');
    expect(c.kind === 'unusable' && c.reason).toContain(reason);
  });
});

describe('basicAuthorization', () => {
  it('encodes user:password as UTF-8 base64 (RFC 7617 §2)', () => {
    expect(basicAuthorization('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });
});

describe('qop=auth-int', () => {
  it('hashes the entity body into HA2 (RFC 7616 §3.4.3)', () => {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ch = challengeOf('Digest realm="r", nonce="n", qop="auth-int"');
    expect(ch.qop).toBe('auth-int');
    const r = {
      username: 'u',
      password: 'p',
      method: 'PUT',
      uri: '/x',
      nc: 1,
      cnonce: 'c',
      body: '<a/>',
    };
    const ha2 = md5(`PUT:/x:${md5('<a/>')}`);
    expect(digestResponse(ch, r)).toBe(md5(`${md5('u:r:p')}:n:00000001:c:auth-int:${ha2}`));
  });
  it('prefers auth when both are offered', () => {
    expect(challengeOf('Digest realm="r", nonce="n", qop="auth-int,auth"').qop).toBe('auth');
  });
});
