/**
 * The test server answers CORS (test-server/kamailio.cfg.in, event_route[xhttp:request]), so a
 * page on another origin can use it: a preflight is answered without a Digest challenge, and
 * every answer names the origin and exposes ETag and WWW-Authenticate. The browser run
 * (test/browser/) uses it for real; this proves the headers.
 */
import { lastValueFrom } from 'rxjs';
import { request } from 'undici';
import { beforeEach, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/node.js';
import { documentUrl, poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const ORIGIN = 'http://127.0.0.1:9';
const USER = poolUser(587);

describe('test server CORS', () => {
  beforeEach(() => wipeUserDocuments(USER));

  it('answers a preflight with 204 and the allowed methods and headers, without a challenge', async () => {
    const res = await request(documentUrl(USER, 'resource-lists'), {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type,if-match',
      },
    });
    await res.body.text();
    expect(res.statusCode).toBe(204);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-methods']).toBe('GET, PUT, DELETE');
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toBe(
      'authorization, content-type, if-match, if-none-match',
    );
  });

  it('exposes WWW-Authenticate on the challenge and ETag on the authenticated answer', async () => {
    const challenge = await request(documentUrl(USER, 'resource-lists'), {
      headers: { origin: ORIGIN },
    });
    await challenge.body.text();
    expect(challenge.statusCode).toBe(401);
    expect(challenge.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(challenge.headers['access-control-expose-headers']).toContain('WWW-Authenticate');

    const client = new XcapClient({
      root: testServer().xcapRoot,
      xui: USER.id,
      password: USER.password,
      headers: { origin: ORIGIN },
    });
    const put = await lastValueFrom(
      client.put(
        'resource-lists',
        '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>',
      ),
    );
    expect(put.etag).not.toBeNull();
    expect(put.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(put.headers['access-control-expose-headers']).toContain('ETag');
    const got = await lastValueFrom(client.get('resource-lists'));
    expect(got.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(got.etag).toBe(put.etag);
  });

  it('adds no CORS headers to a request without Origin (not a browser)', async () => {
    const res = await request(documentUrl(USER, 'resource-lists'));
    await res.body.text();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
