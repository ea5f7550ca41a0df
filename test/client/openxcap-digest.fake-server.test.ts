/**
 * The client against a fake OpenXCAP (single-use nonces, challenge-less 401s; see
 * test/support/fake-openxcap-server.ts), counting round trips: a request costs at most one
 * extra round trip in steady state.
 */
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapClient, XcapHttpError } from '../../src/client/index.js';
import {
  type FakeOpenXcapServer,
  startFakeOpenXcapServer,
} from '../support/fake-openxcap-server.js';

const XUI = 'sip:alice@example.com';
const DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>';

let server: FakeOpenXcapServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(password = 'secret') {
  server = await startFakeOpenXcapServer({ users: { alice: 'secret' } });
  const client = new XcapClient({ root: server.root, xui: XUI, password });
  await lastValueFrom(client.put('resource-lists', DOC));
  return { server, client };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('single-use Digest nonces (fake OpenXCAP)', () => {
  it('sequential requests all succeed; after learning the server, each costs one extra round trip', async () => {
    const { server: s, client } = await setup();
    for (let i = 0; i < 10; i++)
      expect((await lastValueFrom(client.get('resource-lists'))).status).toBe(200);
    expect(s.stats.accepted).toBe(11);
    expect(s.stats.badCredentials).toBe(0);
    expect(s.stats.malformed).toBe(0);
    // One reuse of a nonce (the probe that teaches the client the server's nonces are
    // single-use), then never again.
    expect(s.stats.invalidNonce).toBe(1);
    const last = s.exchanges.slice(-10);
    // Steady state: a request without credentials (challenge), then its answer.
    expect(last.map((x) => x.status)).toEqual([401, 200, 401, 200, 401, 200, 401, 200, 401, 200]);
    expect(s.exchanges).toHaveLength(2 + 3 + 9 * 2);
  });

  it('40 parallel GETs on one client all succeed, each with its own nonce and one extra round trip', async () => {
    const { server: s, client } = await setup();
    // Teach the client first (a second sequential request), then measure steady state.
    await lastValueFrom(client.get('resource-lists'));
    const before = s.exchanges.length;
    const results = await Promise.all(
      Array.from({ length: 40 }, () => lastValueFrom(client.get('resource-lists'))),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const during = s.exchanges.slice(before);
    expect(during).toHaveLength(80);
    const nonces = during
      .filter((x) => x.status === 200)
      .map((x) => /nonce="([^"]+)"/.exec(x.authorization ?? '')?.[1]);
    expect(new Set(nonces).size).toBe(40);
  });

  it('40 parallel GETs on a fresh client all succeed', async () => {
    server = await startFakeOpenXcapServer({ users: { alice: 'secret' } });
    const client = new XcapClient({ root: server.root, xui: XUI, password: 'secret' });
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        lastValueFrom(client.put('resource-lists', DOC, { filename: `f${Math.random()}` })),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(server.exchanges).toHaveLength(80);
  });

  it('a new document is 201 with an ETag, and the ETag is usable at once', async () => {
    server = await startFakeOpenXcapServer();
    const client = new XcapClient({ root: server.root, xui: XUI, password: 'secret' });
    const created = await lastValueFrom(client.put('resource-lists', DOC, { ifNoneMatch: '*' }));
    expect(created.status).toBe(201);
    expect(created.etag).toMatch(/^e\d+$/);
    const replaced = await lastValueFrom(
      client.put('resource-lists', DOC, { etag: created.etag! }),
    );
    expect(replaced.status).toBe(200);
  });

  it('a wrong password is an XcapHttpError 401 saying the credentials were refused, with the body', async () => {
    server = await startFakeOpenXcapServer();
    const client = new XcapClient({ root: server.root, xui: XUI, password: 'wrong' });
    const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(e).toBeInstanceOf(XcapHttpError);
    expect(e.status).toBe(401);
    // Whose credentials: the Digest username (the user part of the XUI), never the password.
    expect(e.message).toContain('the server refused the credentials of "alice"');
    expect(e.message).not.toContain('wrong');
    expect(e.message).not.toContain('unparsable');
    expect(e.body).toBe('{"detail":"Invalid credentials or response"}');
    expect(server.exchanges).toHaveLength(2);
    // And the next request the same, not a broken-challenge error from a cached nonce.
    const again = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
    expect(again).toBeInstanceOf(XcapHttpError);
    expect(again.status).toBe(401);
    expect(server.exchanges).toHaveLength(4);
  });
});
