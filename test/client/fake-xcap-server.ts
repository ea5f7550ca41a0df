/**
 * A fake HTTP server for the client's failure-path tests (things a real Kamailio cannot be
 * made to do on demand: broken challenges, stale nonces, huge bodies, stalls). Listens on
 * 127.0.0.1:0.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeServer {
  readonly root: string;
  readonly port: number;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (req: FakeRequest, res: ServerResponse, raw: IncomingMessage) => void;

export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const req = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(req);
      handler(req, res, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    root: `http://127.0.0.1:${port}/xcap-root`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Parses a Digest Authorization header (independent of the client's parser). */
export function parseAuthorization(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h?.startsWith('Digest ')) return out;
  const re = /([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi;
  for (const m of h.slice(7).matchAll(re))
    out[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return out;
}

const NODE_ALG: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** The response value a correct client must send (RFC 7616 §3.4.1, qop=auth). */
export function expectedDigest(
  a: Record<string, string>,
  password: string,
  method: string,
): string {
  const alg = NODE_ALG[a.algorithm ?? 'MD5'] ?? 'md5';
  const H = (s: string) => createHash(alg).update(s).digest('hex');
  const ha1 = H(`${a.username}:${a.realm}:${password}`);
  const ha2 = H(`${method}:${a.uri}`);
  return a.qop
    ? H(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`)
    : H(`${ha1}:${a.nonce}:${ha2}`);
}
