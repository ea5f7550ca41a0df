/**
 * Proves the facts of the Kamailio XCAP test server (DESIGN §4, test-server/README.md) with raw
 * HTTP: Digest (RFC 7616, MD5, qop=auth), ETags and conditional requests (RFC 4825 §7.11,
 * RFC 7232), large documents and xcap-caps (RFC 4825 §12). The Digest computation is a tiny
 * local one on purpose: the library's client is tested elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  documentUrl,
  poolUser,
  type TestUser,
  testServer,
  wipeUserDocuments,
} from '../support/test-server.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function header(a: Answer, name: string): string | undefined {
  const v = a.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

async function send(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const res = await request(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** RFC 7616 §3.4 response for MD5 with qop=auth, answering the given challenge. */
function digestAuthorization(
  challenge: string,
  method: string,
  url: string,
  username: string,
  password: string,
): string {
  const param = (name: string): string => {
    const m = new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge);
    if (m?.[1] === undefined) throw new Error(`challenge without ${name}: ${challenge}`);
    return m[1];
  };
  const realm = param('realm');
  const nonce = param('nonce');
  const uri = new URL(url).pathname;
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${username}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

/** Sends once without credentials, then answers the 401 challenge. */
async function sendAs(
  user: Pick<TestUser, 'username' | 'password'>,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const first = await send(method, url, headers, body);
  if (first.status !== 401) return first;
  const challenge = header(first, 'www-authenticate') ?? '';
  const authorization = digestAuthorization(challenge, method, url, user.username, user.password);
  return send(method, url, { ...headers, authorization }, body);
}

const RL_TYPE = { 'content-type': 'application/resource-lists+xml' };

function resourceLists(entries: number, tag = 'x'): string {
  const items = Array.from(
    { length: entries },
    (_, i) =>
      `<entry uri="sip:${tag}${i}@example.com"><display-name>Contact ${i}</display-name></entry>`,
  ).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="l">${items}</list></resource-lists>`;
}

describe('Kamailio XCAP test server', () => {
  const env = testServer();
  const alice = env.users.alice;
  const aliceDoc = documentUrl(alice, 'resource-lists');

  beforeEach(() => wipeUserDocuments(alice));
  afterAll(() => wipeUserDocuments(alice));

  it('challenges an unauthenticated request with Digest MD5, qop=auth', async () => {
    const a = await send('GET', aliceDoc);
    expect(a.status).toBe(401);
    const challenge = header(a, 'www-authenticate') ?? '';
    expect(challenge).toMatch(/^Digest /);
    expect(challenge).toContain(`realm="${env.domain}"`);
    expect(challenge).toMatch(/qop="auth"/);
  });

  it('rejects a wrong password and another user’s documents', async () => {
    const wrong = await sendAs({ username: 'alice', password: 'not-it' }, 'GET', aliceDoc);
    expect(wrong.status).toBe(401);
    const bob = await sendAs(env.users.bob, 'GET', aliceDoc);
    expect(bob.status).toBe(403);
  });

  it('PUTs, GETs and DELETEs a resource-lists document with ETags', async () => {
    const doc = resourceLists(3);
    const put = await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, doc);
    expect(put.status).toBe(200); // Kamailio never answers 201 (README: deviations)
    const etag = header(put, 'etag');
    expect(etag).toMatch(/^".+"$/);

    const get = await sendAs(alice, 'GET', aliceDoc);
    expect(get.status).toBe(200);
    expect(get.body).toBe(doc);
    expect(header(get, 'etag')).toBe(etag);
    expect(header(get, 'content-type')).toBe('application/resource-lists+xml');

    const put2 = await sendAs(
      alice,
      'PUT',
      aliceDoc,
      { ...RL_TYPE, 'if-match': etag ?? '' },
      resourceLists(1),
    );
    expect(put2.status).toBe(200);
    expect(header(put2, 'etag')).not.toBe(etag);

    const del = await sendAs(alice, 'DELETE', aliceDoc, { 'if-match': header(put2, 'etag') ?? '' });
    expect(del.status).toBe(200);
    const gone = await sendAs(alice, 'GET', aliceDoc);
    expect(gone.status).toBe(404);
  });

  it('accepts the Digest username as user@domain too', async () => {
    const put = await sendAs(
      { username: `${alice.username}@${env.domain}`, password: alice.password },
      'PUT',
      aliceDoc,
      RL_TYPE,
      resourceLists(1),
    );
    expect(put.status).toBe(200);
  });

  it('answers 412 to If-None-Match: "*" on an existing document and to an If-Match mismatch', async () => {
    const put = await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, resourceLists(2));
    expect(put.status).toBe(200);
    const create = await sendAs(
      alice,
      'PUT',
      aliceDoc,
      { ...RL_TYPE, 'if-none-match': '"*"' },
      resourceLists(1),
    );
    expect(create.status).toBe(412);
    const stale = await sendAs(
      alice,
      'PUT',
      aliceDoc,
      { ...RL_TYPE, 'if-match': '"stale-etag"' },
      resourceLists(1),
    );
    expect(stale.status).toBe(412);
    const staleDelete = await sendAs(alice, 'DELETE', aliceDoc, { 'if-match': '"stale-etag"' });
    expect(staleDelete.status).toBe(412);
    // Nothing changed: the document still carries the first PUT's ETag.
    const get = await sendAs(alice, 'GET', aliceDoc);
    expect(header(get, 'etag')).toBe(header(put, 'etag'));
  });

  it('conditional writes are atomic: of two concurrent PUTs with one If-Match, one gets 412', async () => {
    // Without the config's per-user lock, xcap_server checks If-Match and writes in two steps in
    // each worker process, and both PUTs could succeed (a lost update).
    const statuses: number[][] = [];
    for (let round = 0; round < 15; round++) {
      const first = await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, resourceLists(1, `r${round}`));
      const ifMatch = { ...RL_TYPE, 'if-match': header(first, 'etag') ?? '' };
      const both = await Promise.all([
        sendAs(alice, 'PUT', aliceDoc, ifMatch, resourceLists(2, `a${round}`)),
        sendAs(alice, 'PUT', aliceDoc, ifMatch, resourceLists(3, `b${round}`)),
      ]);
      statuses.push(both.map((a) => a.status).sort());
    }
    expect(statuses).toEqual(Array(15).fill([200, 412]));
  });

  it('stores and returns a 5 MB document intact', async () => {
    let entries = 40_000;
    let doc = resourceLists(entries, 'big');
    while (Buffer.byteLength(doc) < 5 * 1024 * 1024) {
      entries += 5_000;
      doc = resourceLists(entries, 'big');
    }
    const put = await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, doc);
    expect(put.status).toBe(200);
    const get = await sendAs(alice, 'GET', aliceDoc);
    expect(get.status).toBe(200);
    expect(Buffer.byteLength(get.body)).toBe(Buffer.byteLength(doc));
    expect(md5(get.body)).toBe(md5(doc));
  });

  it('serves every AUID the reference account uses, dialog-rules and pres-content included', async () => {
    const user = poolUser(env.users.pool.count);
    wipeUserDocuments(user);
    const policy =
      '<?xml version="1.0" encoding="UTF-8"?>\n<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy"/>';
    const icon =
      '<?xml version="1.0" encoding="UTF-8"?>\n<content xmlns="urn:oma:xml:prs:pres-content"><mime-type>image/png</mime-type><encoding>base64</encoding><data>AAAA</data></content>';
    const docs: ReadonlyArray<readonly [string, string, string]> = [
      ['org.openmobilealliance.pres-rules', 'index', policy],
      ['pres-rules', 'index', policy],
      ['org.openxcap.dialog-rules', 'index', policy.replace('ruleset', 'ruleset ')],
      ['org.openmobilealliance.pres-content', 'oma_status-icon/index', icon],
    ];
    for (const [auid, file, doc] of docs) {
      const put = await sendAs(user, 'PUT', documentUrl(user, auid, file), {}, doc);
      expect(put.status, auid).toBe(200);
    }
    for (const [auid, file, doc] of docs) {
      const get = await sendAs(user, 'GET', documentUrl(user, auid, file));
      expect(get.status, auid).toBe(200);
      expect(get.body, auid).toBe(doc);
    }
    wipeUserDocuments(user);
  });

  it('lists the AUIDs in xcap-caps', async () => {
    const a = await send('GET', `${env.xcapRoot}/xcap-caps/global/index`);
    expect(a.status).toBe(200);
    expect(header(a, 'content-type')).toBe('application/xcap-caps+xml');
    const auids = [...a.body.matchAll(/<auid>([^<]+)<\/auid>/g)].map((m) => m[1]);
    expect(auids).toEqual(
      expect.arrayContaining([
        'resource-lists',
        'rls-services',
        'org.openmobilealliance.pres-rules',
        'pres-rules',
        'org.openxcap.dialog-rules',
        'pidf-manipulation',
        'org.openmobilealliance.pres-content',
        'xcap-caps',
      ]),
    );
  });

  // The deviations from RFC 4825 that test-server/README.md lists: pinned here so that a
  // Kamailio or config change that alters them is noticed.
  describe('documented deviations', () => {
    const list = (name: string, uri: string): string =>
      `<list xmlns="urn:ietf:params:xml:ns:resource-lists" name="${name}"><entry uri="${uri}"/></list>`;
    const twoLists =
      '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"><entry uri="sip:x@example.com"/></list><list name="b"/></resource-lists>';
    const sel = (path: string): string =>
      `${aliceDoc}/~~/${encodeURI(path).replaceAll('"', '%22')}`;

    it('element GET answers with the document MIME type; element PUT moves the element to the end', async () => {
      expect((await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, twoLists)).status).toBe(200);
      const el = await sendAs(alice, 'GET', sel('resource-lists/list[@name="a"]'));
      expect(el.status).toBe(200);
      expect(el.body).toBe('<list name="a"><entry uri="sip:x@example.com"/></list>');
      expect(header(el, 'content-type')).toBe('application/resource-lists+xml');

      const put = await sendAs(
        alice,
        'PUT',
        sel('resource-lists/list[@name="a"]'),
        { 'content-type': 'application/xcap-el+xml' },
        list('a', 'sip:y@example.com'),
      );
      expect(put.status).toBe(200);
      const doc = (await sendAs(alice, 'GET', aliceDoc)).body;
      expect(doc.indexOf('name="b"')).toBeLessThan(doc.indexOf('name="a"'));
      expect(doc).toContain('sip:y@example.com');
    });

    it('answers bare 500 to an attribute PUT, a prefixed node selector, bad XML and a missing DELETE', async () => {
      expect((await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, twoLists)).status).toBe(200);
      const attr = await sendAs(
        alice,
        'PUT',
        sel('resource-lists/list[@name="b"]/@name'),
        { 'content-type': 'application/xcap-att+xml' },
        'c',
      );
      expect(attr.status).toBe(500);
      expect(attr.body).toBe('');
      const prefixed = await sendAs(
        alice,
        'GET',
        `${sel('rl:resource-lists/rl:list[@name="b"]')}?xmlns(rl=urn:ietf:params:xml:ns:resource-lists)`,
      );
      expect(prefixed.status).toBe(500);
      expect((await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, 'not xml')).status).toBe(500);
      expect((await sendAs(alice, 'DELETE', aliceDoc)).status).toBe(200);
      expect((await sendAs(alice, 'DELETE', aliceDoc)).status).toBe(500);
    });

    it('stores a document of the wrong schema, and an unquoted If-None-Match * does not protect', async () => {
      expect((await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, '<foo/>')).status).toBe(200);
      const overwrite = await sendAs(
        alice,
        'PUT',
        aliceDoc,
        { ...RL_TYPE, 'if-none-match': '*' },
        twoLists,
      );
      expect(overwrite.status).toBe(200);
      expect((await sendAs(alice, 'GET', aliceDoc)).body).toBe(twoLists);
    });

    it('answers HEAD with 405 and GET with a matching If-None-Match with 304', async () => {
      const put = await sendAs(alice, 'PUT', aliceDoc, RL_TYPE, twoLists);
      const head = await sendAs(alice, 'HEAD', aliceDoc);
      expect(head.status).toBe(405);
      expect(header(head, 'allow')).toBe('GET, PUT, DELETE');
      const cached = await sendAs(alice, 'GET', aliceDoc, {
        'if-none-match': header(put, 'etag') ?? '',
      });
      expect(cached.status).toBe(304);
    });
  });
});
