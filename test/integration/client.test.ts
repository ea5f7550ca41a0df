/**
 * XcapClient against the real Kamailio 5.6 xcap_server (test-server/README.md). Uses pool users
 * u001–u020 only. Where Kamailio deviates from RFC 4825 the test asserts what the server does
 * and says so in a comment (DESIGN §4).
 */
import { lastValueFrom } from 'rxjs';
import { Agent, type Dispatcher } from 'undici';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeSelector, XcapClient, type XcapClientOptions, XcapHttpError } from '../../src/node.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const RL_NS = 'urn:ietf:params:xml:ns:resource-lists';
const doc = (lists: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="${RL_NS}">${lists}</resource-lists>`;
const FRIENDS = doc(
  '<list name="friends"><entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>' +
    '<entry uri="sip:carol@example.com"><display-name>Carol</display-name></entry></list>',
);

function clientFor(user: TestUser, extra: Partial<XcapClientOptions> = {}): XcapClient {
  return new XcapClient({
    root: testServer().xcapRoot,
    xui: user.id,
    password: user.password,
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

beforeAll(() => {
  testServer(); // clear message when the server is not running
});

describe('whole-document lifecycle on Kamailio', () => {
  const user = poolUser(1);
  beforeEach(() => wipeUserDocuments(user));

  it('PUT new (If-None-Match *), GET, 304, PUT If-Match, 412 on a stale ETag, DELETE', async () => {
    const c = clientFor(user);
    const created = await lastValueFrom(c.put('resource-lists', FRIENDS, { ifNoneMatch: '*' }));
    // Kamailio deviation: creation answers 200, RFC 4825 §8.2.5 / RFC 9110 say 201.
    expect(created.status).toBe(200);
    expect(created.etag).toMatch(/^sr-/);

    // The quoted "*" (our default) is understood: the document exists now -> 412.
    const again = (await failure(
      lastValueFrom(c.put('resource-lists', FRIENDS, { ifNoneMatch: '*' })),
    )) as XcapHttpError;
    expect(again).toBeInstanceOf(XcapHttpError);
    expect(again.status).toBe(412);

    const got = await lastValueFrom(c.get('resource-lists'));
    expect(got.status).toBe(200);
    expect(got.body).toBe(FRIENDS);
    expect(got.etag).toBe(created.etag);
    expect(got.contentType).toBe('application/resource-lists+xml');

    const notModified = await lastValueFrom(c.get('resource-lists', { ifNoneMatch: got.etag! }));
    expect(notModified.status).toBe(304);
    expect(notModified.etag).toBe(created.etag);

    const updated = await lastValueFrom(
      c.put('resource-lists', doc('<list name="other"/>'), { etag: got.etag! }),
    );
    expect(updated.status).toBe(200);
    expect(updated.etag).not.toBe(created.etag);

    const stale = (await failure(
      lastValueFrom(c.put('resource-lists', FRIENDS, { etag: created.etag! })),
    )) as XcapHttpError;
    expect(stale.status).toBe(412);
    const staleDelete = (await failure(
      lastValueFrom(c.delete('resource-lists', { etag: created.etag! })),
    )) as XcapHttpError;
    expect(staleDelete.status).toBe(412);

    const deleted = await lastValueFrom(c.delete('resource-lists', { etag: updated.etag! }));
    expect(deleted.status).toBe(200);
    const gone = (await failure(lastValueFrom(c.get('resource-lists')))) as XcapHttpError;
    expect(gone.status).toBe(404);
  });

  it('a conditional GET with a different ETag returns the document', async () => {
    const c = clientFor(user);
    await lastValueFrom(c.put('resource-lists', FRIENDS));
    const r = await lastValueFrom(c.get('resource-lists', { ifNoneMatch: 'not-the-etag' }));
    expect(r.status).toBe(200);
    expect(r.body).toBe(FRIENDS);
  });

  it('stores a document of 5 MB and more and reads it back intact', async () => {
    const c = clientFor(user);
    const entries: string[] = [];
    let size = 0;
    for (let i = 0; size < 5.2 * 1024 * 1024; i++) {
      const e = `<entry uri="sip:user${i}@example.com"><display-name>User number ${i} ü</display-name></entry>`;
      entries.push(e);
      size += e.length;
    }
    const big = doc(`<list name="big">${entries.join('')}</list>`);
    expect(new TextEncoder().encode(big).byteLength).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    const put = await lastValueFrom(c.put('resource-lists', big));
    expect(put.status).toBe(200);
    const got = await lastValueFrom(c.get('resource-lists'));
    expect(got.bytes.byteLength).toBe(new TextEncoder().encode(big).byteLength);
    expect(got.body === big).toBe(true);
  });
});

describe('element and attribute nodes on Kamailio', () => {
  const user = poolUser(2);
  const friends = nodeSelector().el('resource-lists').el('list', { name: 'friends' });
  const bob = friends.el('entry', { uri: 'sip:bob@example.com' });

  beforeEach(async () => {
    wipeUserDocuments(user);
    await lastValueFrom(clientFor(user).put('resource-lists', FRIENDS));
  });

  it('GETs an element by attribute predicate', async () => {
    const r = await lastValueFrom(clientFor(user).get('resource-lists', { node: bob }));
    expect(r.status).toBe(200);
    expect(r.body).toContain('<entry uri="sip:bob@example.com">');
    expect(r.body).toContain('<display-name>Bob</display-name>');
    expect(r.body).not.toContain('carol');
    // Kamailio deviation: answers with the document MIME type, RFC 4825 §7.6 wants
    // application/xcap-el+xml.
    expect(r.contentType).toBe('application/resource-lists+xml');
  });

  it('GETs an element by position and an attribute value', async () => {
    const c = clientFor(user);
    const second = await lastValueFrom(c.get('resource-lists', { node: friends.el('entry', 2) }));
    expect(second.body).toContain('sip:carol@example.com');
    const uri = await lastValueFrom(c.get('resource-lists', { node: bob.attr('uri') }));
    // RFC 4825 §7.9: the attribute value, unquoted (Kamailio again uses the document MIME type).
    expect(uri.body).toBe('sip:bob@example.com');
  });

  it('PUTs a new element and replaces an existing one', async () => {
    const c = clientFor(user);
    const dave = friends.el('entry', { uri: 'sip:dave@example.com' });
    const put = await lastValueFrom(
      c.put(
        'resource-lists',
        '<entry uri="sip:dave@example.com"><display-name>Dave</display-name></entry>',
        {
          node: dave,
        },
      ),
    );
    expect(put.status).toBe(200);
    expect(put.etag).not.toBeNull();
    const after = await lastValueFrom(c.get('resource-lists', { node: dave }));
    expect(after.body).toContain('Dave');

    await lastValueFrom(
      c.put(
        'resource-lists',
        '<entry uri="sip:bob@example.com"><display-name>Robert</display-name></entry>',
        {
          node: bob,
        },
      ),
    );
    const whole = (await lastValueFrom(c.get('resource-lists'))).body;
    expect(whole).toContain('Robert');
    expect(whole).not.toContain('>Bob<');
    // Kamailio deviation: the replaced element moves to the end of its parent (RFC 4825 §8.2.4
    // keeps its position).
    expect(whole.indexOf('Robert')).toBeGreaterThan(whole.indexOf('Dave'));
  });

  it('DELETEs an element; it is gone afterwards', async () => {
    const c = clientFor(user);
    const del = await lastValueFrom(c.delete('resource-lists', { node: bob }));
    expect(del.status).toBe(200);
    const e = (await failure(
      lastValueFrom(c.get('resource-lists', { node: bob })),
    )) as XcapHttpError;
    expect(e.status).toBe(404);
    expect((await lastValueFrom(c.get('resource-lists'))).body).toContain('carol');
  });

  it('conditional element PUT with a stale document ETag is refused with 412', async () => {
    const c = clientFor(user);
    const before = await lastValueFrom(c.get('resource-lists'));
    await lastValueFrom(
      c.put('resource-lists', '<entry uri="sip:x@example.com"/>', {
        node: friends.el('entry', { uri: 'sip:x@example.com' }),
        etag: before.etag!,
      }),
    );
    const e = (await failure(
      lastValueFrom(
        c.put('resource-lists', '<entry uri="sip:y@example.com"/>', {
          node: friends.el('entry', { uri: 'sip:y@example.com' }),
          etag: before.etag!,
        }),
      ),
    )) as XcapHttpError;
    expect(e.status).toBe(412);
  });

  it('attribute PUT and prefixed selectors fail with a bare 500 (Kamailio deviations)', async () => {
    const c = clientFor(user);
    // RFC 4825 §7.7 allows attribute PUT; Kamailio answers 500 without an xcap-error body.
    const attr = (await failure(
      lastValueFrom(c.put('resource-lists', '"sip:robert@example.com"', { node: bob.attr('uri') })),
    )) as XcapHttpError;
    expect(attr.status).toBe(500);
    expect(attr.xcapError).toBeUndefined();
    const prefixed = (await failure(
      lastValueFrom(
        c.get('resource-lists', {
          node: nodeSelector().ns('rl', RL_NS).el('rl:resource-lists').el('rl:list', 1),
        }),
      ),
    )) as XcapHttpError;
    expect(prefixed.status).toBe(500);
  });
});

describe('Digest against Kamailio', () => {
  it('a wrong password ends in XcapHttpError 401', async () => {
    const user = poolUser(3);
    const c = clientFor({ ...user, password: 'not-the-password' });
    const e = (await failure(lastValueFrom(c.get('resource-lists')))) as XcapHttpError;
    expect(e).toBeInstanceOf(XcapHttpError);
    expect(e.status).toBe(401);
    expect(e.message).toContain('the server refused the credentials');
    expect(JSON.stringify(e)).not.toContain('not-the-password');
    expect(e.message).not.toContain('not-the-password');
  });

  it('reuses the nonce, and recovers when the server refuses a cached nonce', async () => {
    const user = poolUser(4);
    wipeUserDocuments(user);
    // An undici interceptor that counts requests on the wire and, when asked, corrupts the
    // nonce of the next Authorization: the server then refuses it as it would an expired or
    // single-use nonce, and the client must fetch a fresh challenge and retry once.
    let sent = 0;
    let corruptNext = false;
    const dispatcher = new Agent().compose(
      (dispatch: Dispatcher['dispatch']) => (opts, handler) => {
        sent++;
        const headers = { ...(opts.headers as Record<string, string>) };
        if (corruptNext && headers.authorization) {
          corruptNext = false;
          headers.authorization = headers.authorization.replace(
            /nonce="([^"]*)"/,
            'nonce="AAAA$1"',
          );
        }
        return dispatch({ ...opts, headers }, handler);
      },
    );
    const c = clientFor(user, { dispatcher });
    await failure(lastValueFrom(c.get('resource-lists'))); // 404: no document yet
    expect(sent).toBe(2); // challenge + authenticated request
    await lastValueFrom(c.put('resource-lists', FRIENDS));
    expect(sent).toBe(3); // cached nonce, nc=2: no extra round trip
    corruptNext = true;
    const r = await lastValueFrom(c.get('resource-lists'));
    expect(r.body).toBe(FRIENDS);
    expect(sent).toBe(5); // refused nonce -> fresh challenge -> success
    await dispatcher.close();
  });

  it('reusable nonces: one round trip per request once a nonce is known, also 20 in parallel', async () => {
    const user = poolUser(6);
    wipeUserDocuments(user);
    let sent = 0;
    const dispatcher = new Agent().compose(
      (dispatch: Dispatcher['dispatch']) => (opts, handler) => {
        sent++;
        return dispatch(opts, handler);
      },
    );
    const c = clientFor(user, { dispatcher });
    await lastValueFrom(c.put('resource-lists', FRIENDS));
    expect(sent).toBe(2); // the challenge, then the answer
    for (let i = 0; i < 10; i++) await lastValueFrom(c.get('resource-lists'));
    expect(sent).toBe(12);
    const all = await Promise.all(
      Array.from({ length: 20 }, () => lastValueFrom(c.get('resource-lists'))),
    );
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(sent).toBe(32);
    await dispatcher.close();
  });
});

describe('unsubscribe against Kamailio', () => {
  it('unsubscribing right after subscribe leaves the server usable and emits nothing', async () => {
    const user = poolUser(5);
    wipeUserDocuments(user);
    const c = clientFor(user);
    const seen: unknown[] = [];
    const sub = c
      .put('resource-lists', FRIENDS)
      .subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    // whatever reached the server, the account still works
    const put = await lastValueFrom(c.put('resource-lists', FRIENDS));
    expect(put.status).toBe(200);
  });
});
