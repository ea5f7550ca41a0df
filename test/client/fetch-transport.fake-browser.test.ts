/**
 * The fetch transport's browser-only paths, with a fake `fetch` that behaves as a browser's
 * does (an opaque TypeError for CORS refusals and outages alike, `type: 'cors'` responses
 * hiding unlisted headers, opaque redirects). The paths every runtime shares run against a
 * real server in xcap-client.fake-server.test.ts; the real browser run is test/browser/.
 */
import { asyncScheduler, lastValueFrom } from 'rxjs';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  CORS_REFUSED,
  createFetchTransport,
  fetchTransport,
  isCorsRefusal,
  isTransient,
  type TransportOptions,
  XcapAuthError,
  XcapClient,
  XcapNetworkError,
} from '../../src/client/index.js';
import { XcapValidationError } from '../../src/errors.js';

const PAGE = 'https://app.example.com';
const XUI = 'sip:alice@example.com';

interface Call {
  readonly url: string;
  readonly init: RequestInit;
}

/** A browser-like fetch: `answer` decides per call; every call is recorded. */
function fakeBrowserFetch(answer: (init: RequestInit, n: number) => Response | Error) {
  const calls: Call[] = [];
  const fetch = (async (url: string | URL | Request, init: RequestInit = {}) => {
    // As a browser does: a no-cors request must follow redirects (Fetch standard §5.3).
    if (init.mode === 'no-cors' && (init.redirect ?? 'follow') !== 'follow')
      throw new TypeError("no-cors requires redirect mode 'follow'");
    calls.push({ url: String(url), init });
    const a = answer(init, calls.length);
    if (a instanceof Error) throw a;
    return a;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

function typed(res: Response, type: ResponseType): Response {
  Object.defineProperty(res, 'type', { value: type });
  return res;
}

function options(): TransportOptions {
  return {
    timeouts: { connect: 1000, headers: 1000, body: 1000 },
    maxBodyBytes: 1024,
    signal: new AbortController().signal,
    scheduler: asyncScheduler,
    transport: fetchTransport,
  };
}

const REQ = { method: 'GET' as const, url: 'https://xcap.example.com/xcap-root/x', headers: {} };

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('fetch transport (fake browser fetch)', () => {
  it('omits credentials, bypasses the HTTP cache and does not follow redirects', async () => {
    const { fetch, calls } = fakeBrowserFetch(() => new Response('ok', { status: 200 }));
    const res = await createFetchTransport({ fetch, origin: PAGE })(REQ, options());
    expect(res.status).toBe(200);
    expect(new TextDecoder().decode(res.body)).toBe('ok');
    expect(calls[0]!.init).toMatchObject({
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'manual',
      mode: 'cors',
    });
  });

  it('a cross-origin failure whose no-cors probe gets an answer is a CORS refusal: not transient, with the headers to send', async () => {
    const { fetch, calls } = fakeBrowserFetch((init) =>
      init.mode === 'no-cors'
        ? typed(new Response(null, { status: 200 }), 'opaque')
        : new TypeError('Failed to fetch'),
    );
    const e = (await failure(
      createFetchTransport({ fetch, origin: PAGE })(REQ, options()),
    )) as XcapNetworkError;
    expect(e).toBeInstanceOf(XcapNetworkError);
    expect(e.causeCode).toBe(CORS_REFUSED);
    expect(isCorsRefusal(e)).toBe(true);
    expect(isTransient(e)).toBe(false);
    expect(e.message).toContain('Access-Control-Expose-Headers: ETag, WWW-Authenticate');
    expect(calls.map((c) => [c.init.method, c.init.mode])).toEqual([
      ['GET', 'cors'],
      ['HEAD', 'no-cors'],
    ]);
    expect(calls[1]!.init.credentials).toBe('omit');
  });

  it('a cross-origin failure whose probe fails too is an outage: transient, FETCH_FAILED', async () => {
    const { fetch } = fakeBrowserFetch(() => new TypeError('Failed to fetch'));
    const e = (await failure(
      createFetchTransport({ fetch, origin: PAGE })(REQ, options()),
    )) as XcapNetworkError;
    expect(e.causeCode).toBe('FETCH_FAILED');
    expect(isTransient(e)).toBe(true);
  });

  it('a same-origin failure is not probed (CORS does not apply)', async () => {
    const { fetch, calls } = fakeBrowserFetch(() => new TypeError('Failed to fetch'));
    const e = (await failure(
      createFetchTransport({ fetch, origin: 'https://xcap.example.com' })(REQ, options()),
    )) as XcapNetworkError;
    expect(e.causeCode).toBe('FETCH_FAILED');
    expect(calls).toHaveLength(1);
  });

  it('a CORS 401 whose WWW-Authenticate is not exposed is an XcapAuthError naming the header', async () => {
    const { fetch } = fakeBrowserFetch(() => typed(new Response('', { status: 401 }), 'cors'));
    const e = await failure(createFetchTransport({ fetch, origin: PAGE })(REQ, options()));
    expect(e).toBeInstanceOf(XcapAuthError);
    expect((e as Error).message).toContain('Access-Control-Expose-Headers');
  });

  it('an opaque redirect is a network error that says redirects are not followed', async () => {
    const { fetch } = fakeBrowserFetch(() =>
      typed(new Response(null, { status: 200 }), 'opaqueredirect'),
    );
    const e = (await failure(
      createFetchTransport({ fetch, origin: PAGE })(REQ, options()),
    )) as XcapNetworkError;
    expect(e.causeCode).toBe('REDIRECT');
  });

  it('XcapClient over fetch sends the Digest answer after a visible challenge', async () => {
    const { fetch, calls } = fakeBrowserFetch((_init, n) =>
      n === 1
        ? typed(
            new Response('', {
              status: 401,
              headers: { 'www-authenticate': 'Digest realm="x", nonce="n1", qop="auth"' },
            }),
            'cors',
          )
        : typed(new Response('<a/>', { status: 200, headers: { etag: '"e1"' } }), 'cors'),
    );
    const client = new XcapClient({
      root: 'https://xcap.example.com/xcap-root',
      xui: XUI,
      password: 'pw',
      transport: createFetchTransport({ fetch, origin: PAGE }),
    });
    const r = await lastValueFrom(client.get('resource-lists'));
    expect(r.etag).toBe('e1');
    const auth = new Headers(calls[1]!.init.headers).get('authorization');
    expect(auth).toMatch(/^Digest username="alice", realm="x", nonce="n1"/);
  });

  it('refuses an undici dispatcher with the fetch transport (it would be ignored)', async () => {
    const dispatcher = new Agent();
    expect(
      () => new XcapClient({ root: 'https://xcap.example.com/xcap-root', xui: XUI, dispatcher }),
    ).toThrow(XcapValidationError);
    await dispatcher.close();
  });
});
