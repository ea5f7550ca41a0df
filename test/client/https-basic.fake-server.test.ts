/**
 * Basic over https and TLS verification, against a fake https server with a throw-away
 * self-signed certificate made by openssl at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isCertificateFailure,
  isTransient,
  XcapAuthError,
  XcapClient,
  XcapNetworkError,
} from '../../src/client/index.js';
import { undiciTransport } from '../../src/client/undici-transport.js';

let dir: string;
let cert: string;
let server: Server;
let root: string;
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxcap-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization === `Basic ${Buffer.from('alice:s3cret').toString('base64')}`) {
      res.writeHead(200, { etag: '"b1"' });
      res.end('<ok/>');
    } else {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="xcap"' });
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  root = `https://127.0.0.1:${(server.address() as AddressInfo).port}/xcap-root`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('https fake server', () => {
  it('verifies TLS by default: a self-signed certificate is refused', async () => {
    const client = new XcapClient({ root, xui: 'sip:alice@example.com', password: 's3cret' });
    const error = await lastValueFrom(client.get('resource-lists')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapNetworkError);
    // Retrying cannot fix a refused certificate: the manager must report it, not retry quietly.
    expect(isCertificateFailure(error)).toBe(true);
    expect(isTransient(error)).toBe(false);
  });

  it('sends Basic over https when it is the only challenge, with a dispatcher trusting the CA', async () => {
    const dispatcher = new Agent({ connect: { ca: cert } });
    const client = new XcapClient({
      root,
      xui: 'sip:alice@example.com',
      password: 's3cret',
      dispatcher,
      transport: undiciTransport,
    });
    seen.length = 0;
    const r = await lastValueFrom(client.get('resource-lists'));
    expect(r.etag).toBe('b1');
    // second request: Basic is sent up front, no second 401
    await lastValueFrom(client.get('resource-lists'));
    expect(seen.map((h) => h?.split(' ')[0])).toEqual([undefined, 'Basic', 'Basic']);
    await dispatcher.close();
  });

  it('never sends Basic when told not to (a root found through DNS), even over https', async () => {
    const dispatcher = new Agent({ connect: { ca: cert } });
    const client = new XcapClient({
      root,
      xui: 'sip:alice@example.com',
      password: 's3cret',
      dispatcher,
      transport: undiciTransport,
      allowBasic: false,
    });
    seen.length = 0;
    const error = await lastValueFrom(client.get('resource-lists')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcapAuthError);
    expect((error as XcapAuthError).message).toContain('xcap.root');
    expect(seen).toEqual([undefined]);
    await dispatcher.close();
  });
});
