/**
 * Credentials go only where the account says: a manager without `xcap.root` takes its root from
 * DNS TXT, and a record naming a host off the account's domain must not receive a single
 * request (fake DNS port, fake XCAP server recording what reaches it).
 *
 * Regression: the manager sent its Digest exchange to whatever origin the TXT record named.
 */
import { firstValueFrom, of, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { XcapError } from '../src/errors.js';
import type { XcapManager } from '../src/manager.js';
import { createXcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import { onDomain } from '../src/streams/capabilities.js';
import type { AccountSettings } from '../src/streams/settings.js';
import { type FakeServer, startFakeServer } from './client/fake-xcap-server.js';

let server: FakeServer | undefined;
let manager: XcapManager | undefined;
afterEach(async () => {
  await manager?.close();
  await server?.close();
  manager = undefined;
  server = undefined;
});

describe('a root from DNS (fake DNS port, fake server)', () => {
  it('a TXT record naming a host off the account’s domain gets no request; RXCAP_CAPABILITIES says why', async () => {
    server = await startFakeServer((_q, res) => {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="n", qop="auth"' });
      res.end();
    });
    const asked: string[] = [];
    manager = createXcapManager({
      account: { id: 'sip:alice@example.com', auth: { password: 'secret' } },
      storage: memoryStorage(),
      dns: {
        resolveTxt: (name) => {
          asked.push(name);
          return of([[server!.root]]); // http://127.0.0.1:<port>/xcap-root
        },
      },
      backoff: { initialDelay: 20, maxDelay: 100, factor: 2, jitter: 0 },
    });
    const errors: XcapError[] = [];
    manager.error$.subscribe((e) => errors.push(e));
    await manager.start();
    // The refusal comes before any HTTP request, and the manager then waits for new settings.
    await firstValueFrom(manager.error$.pipe(timeout(10_000)));
    expect(asked).toEqual(['xcap.example.com']);
    expect(server.requests).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['RXCAP_CAPABILITIES']);
    expect(errors[0]?.message).toContain('127.0.0.1');
    expect(errors[0]?.message).toContain('not example.com or a subdomain of it');
    expect(manager.state).toBe('initializing');
  });
});

describe('a plain-http root (fake DNS port, fake server)', () => {
  /** A server that challenges every request with `challenge` and records what reaches it. */
  const challenging = (challenge: string) =>
    startFakeServer((_q, res) => {
      res.writeHead(401, { 'www-authenticate': challenge });
      res.end();
    });
  const DIGEST = 'Digest realm="x", nonce="n", qop="auth"';
  const startWith = async (account: AccountSettings) => {
    manager = createXcapManager({
      account,
      storage: memoryStorage(),
      dns: { resolveTxt: () => of([[server!.root]]) },
      backoff: { initialDelay: 20, maxDelay: 100, factor: 2, jitter: 0 },
    });
    const first = firstValueFrom(manager.error$.pipe(timeout(10_000)));
    await manager.start();
    return first;
  };

  it('a plain-http root from DNS is refused unless allowInsecureDiscoveredRoot: no request, RXCAP_CAPABILITIES with the hint', async () => {
    // Before: the root was used and the Digest exchange answered over cleartext http.
    server = await challenging(DIGEST);
    // The account's domain is the fake server's address, so only the scheme is in question.
    const error = await startWith({ id: 'sip:alice@127.0.0.1', auth: { password: 'secret' } });
    expect(error.code).toBe('RXCAP_CAPABILITIES');
    expect(error.message).toContain('only plain http');
    expect(error.message).toContain('xcap.allowInsecureDiscoveredRoot');
    expect(server.requests).toEqual([]);
  });

  it('with allowInsecureDiscoveredRoot the http root from DNS gets Digest, never Basic', async () => {
    server = await challenging(DIGEST);
    const error = await startWith({
      id: 'sip:alice@127.0.0.1',
      auth: { password: 'secret' },
      xcap: { allowInsecureDiscoveredRoot: true },
    });
    expect(error.code).toBe('RXCAP_HTTP'); // the fake refuses every answer
    const auth = server.requests.map((r) => r.headers.authorization ?? '');
    expect(auth.some((a) => a.startsWith('Digest '))).toBe(true);
    expect(auth.join()).not.toContain('secret');
  });

  it('a configured http root gets Digest, and Basic is never sent over http', async () => {
    server = await challenging(DIGEST);
    await startWith({
      id: 'sip:alice@example.com',
      auth: { password: 'secret' },
      xcap: { root: server.root },
    });
    expect(server.requests.some((r) => r.headers.authorization?.startsWith('Digest '))).toBe(true);
    await manager?.close();
    await server.close();

    server = await challenging('Basic realm="x"');
    const error = await startWith({
      id: 'sip:alice@example.com',
      auth: { password: 'secret' },
      xcap: { root: server.root },
    });
    expect(error.code).toBe('RXCAP_AUTH');
    expect(error.message).toContain('Basic');
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });
});

describe('onDomain', () => {
  it.each([
    ['https://example.com/x', 'example.com', true],
    ['https://xcap.example.com/x', 'example.com', true],
    ['https://a.b.example.com:8443/x', 'EXAMPLE.com', true],
    ['https://xcap.example.com./x', 'example.com', true],
    ['https://xcap.xn--bcher-kva.example/x', 'bücher.example', true],
    ['https://example.com.evil.net/x', 'example.com', false],
    ['https://badexample.com/x', 'example.com', false],
    ['https://127.0.0.1/x', 'example.com', false],
    ['https://192.0.2.1/x', '192.0.2.1', true],
    ['https://1.192.0.2.1/x', '192.0.2.1', false],
    ['not a uri', 'example.com', false],
  ])('%s on %s: %s', (uri, domain, expected) => {
    expect(onDomain(uri, domain)).toBe(expected);
  });
});
