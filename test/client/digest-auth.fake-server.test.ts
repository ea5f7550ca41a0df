import { connect } from 'node:net';
import { inspect } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapAuthError, XcapClient, XcapHttpError } from '../../src/client/index.js';
import { undiciTransport } from '../../src/client/undici-transport.js';
import {
  expectedDigest,
  type FakeServer,
  parseAuthorization,
  startFakeServer,
} from './fake-xcap-server.js';

const XUI = 'sip:alice@example.com';
const PASSWORD = 'correct horse battery staple';
const REALM = 'example.com';

interface DigestServerOptions {
  /** How a nonce may be reused: Kamailio-like reusable, single-use, or stale after one use. */
  nonces?: 'reusable' | 'single-use' | 'stale-after-first';
  algorithms?: string[];
  qop?: boolean;
  password?: string;
}

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A fake Digest server; counts challenges and checks every response it gets. */
async function digestServer(o: DigestServerOptions = {}) {
  const stats = { challenges: 0, accepted: 0, badResponses: 0, authorizations: [] as string[] };
  const uses = new Map<string, number>();
  let counter = 0;
  const challenge = (stale = false) => {
    const nonce = `nonce-${++counter}-${Math.random().toString(36).slice(2)}`;
    uses.set(nonce, 0);
    return (o.algorithms ?? ['MD5']).map(
      (alg) =>
        `Digest realm="${REALM}", nonce="${nonce}", algorithm=${alg}${o.qop === false ? '' : ', qop="auth"'}, opaque="op"${stale ? ', stale=true' : ''}`,
    );
  };
  server = await startFakeServer((req, res) => {
    const a = parseAuthorization(req.headers.authorization);
    const deny = (stale = false) => {
      stats.challenges++;
      res.writeHead(401, { 'www-authenticate': challenge(stale) });
      res.end('auth required');
    };
    if (!a.nonce) return deny();
    if (req.headers.authorization) stats.authorizations.push(req.headers.authorization);
    const used = uses.get(a.nonce);
    if (used === undefined) return deny();
    if (
      a.response !== expectedDigest(a, o.password ?? PASSWORD, req.method) ||
      a.username !== 'alice'
    ) {
      stats.badResponses++;
      return deny();
    }
    if (used > 0 && o.nonces === 'single-use') return deny();
    if (used > 0 && o.nonces === 'stale-after-first') return deny(true);
    if (a.qop && Number.parseInt(a.nc!, 16) !== used + 1) {
      stats.badResponses++;
      return deny();
    }
    uses.set(a.nonce, used + 1);
    stats.accepted++;
    res.writeHead(200, { etag: '"ok"' });
    res.end('<ok/>');
  });
  return { server, stats };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('Digest authentication against a fake server', () => {
  it('answers an MD5 challenge, then reuses the nonce with nc=2 without another 401', async () => {
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    expect((await lastValueFrom(client.get('resource-lists'))).etag).toBe('ok');
    expect((await lastValueFrom(client.put('resource-lists', '<x/>'))).status).toBe(200);
    expect(stats.challenges).toBe(1);
    expect(stats.accepted).toBe(2);
    expect(stats.badResponses).toBe(0);
    expect(stats.authorizations.map((h) => parseAuthorization(h).nc)).toEqual([
      '00000001',
      '00000002',
    ]);
    // the Digest uri is the request-target, node selector encoding included
    await lastValueFrom(client.get('resource-lists', { node: 'resource-lists/list[@name="a b"]' }));
    expect(parseAuthorization(stats.authorizations[2]).uri).toBe(
      '/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22a%20b%22%5D',
    );
    expect(stats.badResponses).toBe(0);
  });

  it('picks SHA-256 when the server offers MD5 and SHA-256', async () => {
    const { server: s, stats } = await digestServer({ algorithms: ['MD5', 'SHA-256'] });
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists'));
    expect(parseAuthorization(stats.authorizations[0]).algorithm).toBe('SHA-256');
    expect(stats.accepted).toBe(1);
  });

  it('supports legacy RFC 2069 servers (no qop)', async () => {
    const { server: s, stats } = await digestServer({ qop: false });
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists'));
    expect(stats.accepted).toBe(1);
    expect(parseAuthorization(stats.authorizations[0]).qop).toBeUndefined();
  });

  it('retries silently with the new nonce on stale=true', async () => {
    const { server: s, stats } = await digestServer({ nonces: 'stale-after-first' });
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists'));
    const second = await lastValueFrom(client.get('resource-lists'));
    expect(second.status).toBe(200);
    expect(stats.accepted).toBe(2);
    expect(stats.challenges).toBe(2); // first contact + the stale one
  });

  it('gets a fresh challenge when a single-use nonce server rejects a reused nonce', async () => {
    const { server: s, stats } = await digestServer({ nonces: 'single-use' });
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    for (let i = 0; i < 3; i++)
      expect((await lastValueFrom(client.get('resource-lists'))).status).toBe(200);
    expect(stats.accepted).toBe(3);
    expect(stats.badResponses).toBe(0);
  });

  it('a wrong password ends in XcapHttpError 401 after one fresh attempt', async () => {
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI, password: 'wrong' });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(e).toBeInstanceOf(XcapHttpError);
    expect(e.status).toBe(401);
    expect(s.requests).toHaveLength(2);
    expect(stats.badResponses).toBe(1);
  });

  it('without a password a 401 is an XcapHttpError and no Authorization is sent', async () => {
    const { server: s } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(e.status).toBe(401);
    expect(s.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it.each([
    ['missing nonce', 'Digest realm="x", qop="auth"'],
    ['missing realm', 'Digest nonce="abc"'],
    ['unknown algorithm', 'Digest realm="x", nonce="n", algorithm=WHIRLPOOL'],
    ['garbage', '%%% not a challenge ==='],
  ])('a broken challenge (%s) gives XcapAuthError', async (_name, header) => {
    server = await startFakeServer((_q, res) => {
      res.writeHead(401, { 'www-authenticate': header });
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapAuthError;
    expect(e).toBeInstanceOf(XcapAuthError);
    expect(e.code).toBe('RXCAP_AUTH');
    expect(server.requests).toHaveLength(1);
  });

  it('a 401 without WWW-Authenticate gives XcapAuthError', async () => {
    server = await startFakeServer((_q, res) => {
      res.writeHead(401);
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    expect(await failure(lastValueFrom(client.get('resource-lists')))).toBeInstanceOf(
      XcapAuthError,
    );
  });

  it('refuses to send Basic credentials over plain http', async () => {
    server = await startFakeServer((_q, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' });
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapAuthError;
    expect(e).toBeInstanceOf(XcapAuthError);
    expect(e.message).toContain('Basic');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('uses the explicit username instead of the XUI user part', async () => {
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({
      root: s.root,
      xui: XUI,
      username: 'alice@example.com',
      password: PASSWORD,
    });
    await failure(lastValueFrom(client.get('resource-lists'))); // the fake only knows 'alice'
    expect(parseAuthorization(stats.authorizations[0]).username).toBe('alice@example.com');
  });
});

describe('nonce bookkeeping (fake server)', () => {
  it('concurrent requests on one reusable cached nonce use distinct nonce counts', async () => {
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    // The second request proves that the server takes a nonce more than once.
    await lastValueFrom(client.get('resource-lists'));
    await lastValueFrom(client.get('resource-lists'));
    await Promise.all([1, 2, 3].map(() => lastValueFrom(client.get('resource-lists'))));
    const ncs = stats.authorizations.map((h) => parseAuthorization(h).nc);
    expect(new Set(ncs).size).toBe(5);
    expect(stats.accepted).toBe(5);
    expect(stats.challenges).toBe(1);
    expect(s.requests).toHaveLength(6); // one round trip per request after the first
  });

  it('while the first reuse of a nonce is unanswered, other requests ask for their own challenge', async () => {
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists'));
    await Promise.all([1, 2, 3].map(() => lastValueFrom(client.get('resource-lists'))));
    // One probe with nc=2, two requests with a challenge each: nobody pays two extra trips.
    expect(stats.accepted).toBe(4);
    expect(stats.challenges).toBe(3);
    expect(s.requests).toHaveLength(2 + 1 + 2 * 2);
  });

  it('a nonce that went stale before its first reuse does not make the client think nonces are single-use', async () => {
    // Kamailio-like: nonces are reusable, but the first one expires (stale=true) before the
    // second request. The client must keep reusing nonces afterwards: 1 round trip a request.
    const issued = new Map<string, number>();
    let counter = 0;
    server = await startFakeServer((req, res) => {
      const a = parseAuthorization(req.headers.authorization);
      const challenge = (stale: boolean) => {
        const nonce = `n${++counter}`;
        issued.set(nonce, 0);
        res.writeHead(401, {
          'www-authenticate': `Digest realm="${REALM}", nonce="${nonce}", qop="auth"${stale ? ', stale=true' : ''}`,
        });
        res.end();
      };
      const used = a.nonce === undefined ? undefined : issued.get(a.nonce);
      if (used === undefined || a.response !== expectedDigest(a, PASSWORD, req.method))
        return challenge(false);
      if (a.nonce === 'n1' && used >= 1) return challenge(true); // n1 expired
      issued.set(a.nonce!, used + 1);
      res.writeHead(200, { etag: '"ok"' });
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists')); // 2: challenge n1, answer
    await lastValueFrom(client.get('resource-lists')); // 2: n1 stale -> n2
    expect(server.requests).toHaveLength(4);
    for (let i = 0; i < 5; i++) await lastValueFrom(client.get('resource-lists'));
    expect(server.requests).toHaveLength(9); // n2 reused, one round trip each
  });

  it('switches to the nextnonce of Authentication-Info (RFC 7616 §3.5)', async () => {
    const nonces: string[] = [];
    server = await startFakeServer((req, res) => {
      const a = parseAuthorization(req.headers.authorization);
      if (!a.nonce) {
        res.writeHead(401, {
          'www-authenticate': `Digest realm="${REALM}", nonce="first", qop="auth"`,
        });
        return void res.end();
      }
      nonces.push(`${a.nonce}/${a.nc}`);
      const ok = a.response === expectedDigest(a, PASSWORD, req.method);
      res.writeHead(ok ? 200 : 403, {
        'authentication-info': `nextnonce="next-${nonces.length}", qop=auth`,
      });
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    await lastValueFrom(client.get('resource-lists'));
    await lastValueFrom(client.get('resource-lists'));
    await lastValueFrom(client.get('resource-lists'));
    expect(nonces).toEqual(['first/00000001', 'next-1/00000001', 'next-2/00000001']);
  });
});

describe('credentials never leak (fake server)', () => {
  it('errors, their headers, JSON and inspect output contain no password, HA1 or Authorization', async () => {
    const secret = 'Sup3r-Secret-Pa55';
    const { server: s, stats } = await digestServer();
    const client = new XcapClient({ root: s.root, xui: XUI, password: secret });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(e.status).toBe(401);
    const sent = stats.authorizations[0]!;
    const a = parseAuthorization(sent);
    const { createHash } = await import('node:crypto');
    const ha1 = createHash('md5').update(`alice:${REALM}:${secret}`).digest('hex');
    const texts = [
      JSON.stringify(e),
      JSON.stringify({ ...e, message: e.message, stack: e.stack }),
      inspect(e, { depth: 10, showHidden: true }),
      String(e),
      inspect(client, { depth: 10, showHidden: true }),
      JSON.stringify(client),
    ];
    for (const t of texts) {
      expect(t).not.toContain(secret);
      expect(t).not.toContain(ha1);
      expect(t).not.toContain(a.response!);
      expect(t).not.toContain(sent);
    }
  });

  it('redacts authorization-like response headers in XcapHttpError.headers', async () => {
    server = await startFakeServer((_q, res) => {
      res.writeHead(500, { 'set-cookie': 'session=abcdef', 'authentication-info': 'rspauth="x"' });
      res.end();
    });
    const client = new XcapClient({ root: server.root, xui: XUI, password: PASSWORD });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(e.headers['set-cookie']).toBe('[redacted]');
    expect(e.headers['authentication-info']).toBe('[redacted]');
    expect(JSON.stringify(e)).not.toContain('abcdef');
  });
});

describe('Digest uri is the request-target on the wire (fake server)', () => {
  /** A Digest server that also refuses a response whose uri differs from the request line. */
  async function strictUriServer() {
    const seen: { requestLine: string; digestUri: string | undefined }[] = [];
    const s = await startFakeServer((req, res) => {
      const a = parseAuthorization(req.headers.authorization);
      if (a.nonce === 'n1') {
        seen.push({ requestLine: req.url, digestUri: a.uri });
        const ok = a.uri === req.url && a.response === expectedDigest(a, PASSWORD, req.method);
        res.writeHead(ok ? 200 : 401, ok ? { etag: '"ok"' } : {});
        res.end();
        return;
      }
      res.writeHead(401, { 'www-authenticate': 'Digest realm="r", nonce="n1", qop="auth"' });
      res.end();
    });
    server = s;
    return { s, seen };
  }

  it('an XCAP root with the default port (:80) still authenticates (RFC 7616 §3.4 uri)', async () => {
    const { s, seen } = await strictUriServer();
    // The root names port 80 explicitly; the dispatcher connects to the fake server instead.
    const dispatcher = new Agent({
      connect: (_opts, cb) => {
        const socket = connect(s.port, '127.0.0.1');
        socket.once('connect', () => cb(null, socket));
        socket.once('error', (e) => cb(e, null));
        return socket;
      },
    });
    try {
      const client = new XcapClient({
        root: 'http://xcap.example.com:80/xcap-root',
        xui: XUI,
        password: PASSWORD,
        dispatcher,
        transport: undiciTransport,
      });
      const r = await lastValueFrom(client.get('resource-lists'));
      expect(r.status).toBe(200);
      expect(seen[0]?.digestUri).toBe(
        '/xcap-root/resource-lists/users/sip:alice@example.com/index',
      );
    } finally {
      await dispatcher.close();
    }
  });

  it('a root whose path the URL parser normalizes authenticates with the normalized target', async () => {
    const { s, seen } = await strictUriServer();
    const client = new XcapClient({
      root: `http://127.0.0.1:${s.port}/x/../xcap-rööt`,
      xui: XUI,
      password: PASSWORD,
    });
    const r = await lastValueFrom(client.get('resource-lists'));
    expect(r.status).toBe(200);
    expect(seen[0]?.digestUri).toBe(seen[0]?.requestLine);
  });
});
