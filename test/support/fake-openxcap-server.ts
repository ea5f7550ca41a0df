/**
 * A FAKE OpenXCAP (AG Projects' reference XCAP server, the one python3-sipsimple is tested
 * against), in process on 127.0.0.1:0. It copies the behaviours of OpenXCAP's Digest code
 * (`xcap/authentication/auth.py`) and storage that a client must cope with, so that rxcap can be
 * tested against an RFC-strict server beside the real Kamailio:
 *
 * - every nonce is accepted exactly once (a second use, or a nonce it never issued, gets a 401
 *   with NO `WWW-Authenticate` and the body `{"detail":"Invalid or expired nonce"}`);
 * - a wrong password also gets a bare 401 (`{"detail":"Invalid credentials or response"}`);
 * - `qop`, `cnonce` and `nc` are mandatory; the Authorization value is split on `", "` and each
 *   value stripped of its quotes (no quoted-string parser);
 * - the challenge is `Digest realm="<domain>", nonce="...", opaque=<token>, algorithm=MD5,
 *   qop=auth` (`opaque` and `qop` unquoted);
 * - a new document is answered `201` with an ETag; `xmlns()` in the query is refused with 400;
 *   a status icon above 300 KiB of base64 is refused with 409 `constraint-failure`;
 * - errors from the auth layer are FastAPI JSON bodies `{"detail": ...}`.
 *
 * `xcap-caps` (the global tree) needs no authentication, as in OpenXCAP.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FULL_AUIDS, xcapCapsXml } from './hostile-server.js';

/** OpenXCAP's `icon_max_size`: characters of base64 text in `<data>`. */
export const OPENXCAP_ICON_MAX_BASE64 = 300 * 1024;

const OPAQUE = 'eee38d7sacbefv2a3450ciny7QMkPqMAFRtzCUYo5tdS';

/** Options of {@link startFakeOpenXcapServer}. */
export interface FakeOpenXcapOptions {
  /** Users (the user part of the Digest username) and their passwords. Default alice/`secret`. */
  readonly users?: Readonly<Record<string, string>>;
  /** AUIDs announced in xcap-caps. Default: every AUID rxcap uses. */
  readonly auids?: readonly string[];
}

/** One request as the fake saw it, and how it answered. */
export interface FakeOpenXcapExchange {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly status: number;
  /** The `detail` of a 401, when it sent one. */
  readonly detail?: string;
}

/** Counters of the fake's Digest layer. */
export interface FakeOpenXcapStats {
  /** 401s with a challenge (requests without credentials). */
  challenges: number;
  /** Bare 401s for a nonce it did not hold (reused or never issued). */
  invalidNonce: number;
  /** Bare 401s for a wrong password or response. */
  badCredentials: number;
  /** Bare 401s for a malformed Authorization or a missing field. */
  malformed: number;
  /** Requests that passed authentication. */
  accepted: number;
}

/** A running fake OpenXCAP server. */
export interface FakeOpenXcapServer {
  /** XCAP root, e.g. `http://127.0.0.1:40123/xcap-root`. */
  readonly root: string;
  readonly port: number;
  readonly exchanges: FakeOpenXcapExchange[];
  readonly stats: FakeOpenXcapStats;
  /** Stored documents by path below the root (`resource-lists/users/sip:a@b/index`). */
  readonly documents: Map<string, { body: string; etag: string; contentType: string }>;
  close(): Promise<void>;
}

/**
 * Starts the fake.
 *
 * @example const server = await startFakeOpenXcapServer({ users: { alice: 'secret' } });
 */
export async function startFakeOpenXcapServer(
  options: FakeOpenXcapOptions = {},
): Promise<FakeOpenXcapServer> {
  const users = options.users ?? { alice: 'secret' };
  const caps = xcapCapsXml(options.auids ?? FULL_AUIDS);
  const nonces = new Set<string>();
  const exchanges: FakeOpenXcapExchange[] = [];
  const stats: FakeOpenXcapStats = {
    challenges: 0,
    invalidNonce: 0,
    badCredentials: 0,
    malformed: 0,
    accepted: 0,
  };
  const documents = new Map<string, { body: string; etag: string; contentType: string }>();
  let etagCounter = 0;

  const handle = (raw: IncomingMessage, res: ServerResponse, body: string): undefined => {
    const method = raw.method ?? '';
    const url = raw.url ?? '';
    const authorization = raw.headers.authorization;
    const answer = (
      status: number,
      headers: Record<string, string>,
      text: string,
      detail?: string,
    ): undefined => {
      exchanges.push({ method, url, authorization, status, ...(detail ? { detail } : {}) });
      res.writeHead(status, headers);
      res.end(text);
      return undefined;
    };
    const fastApiError = (
      status: number,
      detail: string,
      headers: Record<string, string> = {},
    ): undefined =>
      answer(
        status,
        { 'content-type': 'application/json', ...headers },
        JSON.stringify({ detail }),
        detail,
      );

    const [pathPart = '', query] = url.split('?', 2);
    if (!pathPart.startsWith('/xcap-root/')) return fastApiError(404, 'Not Found');
    const path = decodeURIComponent(pathPart.slice('/xcap-root/'.length));
    if (query?.includes('xmlns(')) return fastApiError(400, 'Bad Request: xmlns() in query');
    const [auid, tree, xui, ...rest] = path.split('/');
    if (auid === 'xcap-caps' && tree === 'global') {
      return answer(
        200,
        { 'content-type': 'application/xcap-caps+xml', etag: '"caps"' },
        method === 'GET' ? caps : '',
      );
    }
    if (tree !== 'users' || !xui || rest.length === 0) return fastApiError(404, 'Not Found');
    const realm = xui.replace(/^sips?:/, '').split('@')[1] ?? '';

    // --- Digest, as OpenXCAP's digest_auth does it -------------------------------------------
    if (!authorization?.startsWith('Digest ')) {
      stats.challenges++;
      const nonce = Buffer.from(`${Math.floor(Date.now() / 1000)}-${randomUUID()}`).toString(
        'base64',
      );
      nonces.add(nonce);
      return fastApiError(401, 'Digest authentication required', {
        'www-authenticate': `Digest realm="${realm}", nonce="${nonce}", opaque=${OPAQUE}, algorithm=MD5, qop=auth`,
      });
    }
    const fields: Record<string, string> = {};
    for (const part of authorization.slice(7).split(', ')) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        stats.malformed++;
        return fastApiError(401, 'Invalid Digest authentication format');
      }
      fields[part.slice(0, eq)] = part.slice(eq + 1).replace(/^"+|"+$/g, '');
    }
    for (const f of ['username', 'nonce', 'response', 'uri', 'qop', 'cnonce', 'nc']) {
      if (!(f in fields)) {
        stats.malformed++;
        return fastApiError(401, `Missing required Digest field: ${f}`);
      }
    }
    // Single use: the nonce is gone once presented, whatever the outcome.
    if (!nonces.delete(fields.nonce!)) {
      stats.invalidNonce++;
      return fastApiError(401, 'Invalid or expired nonce');
    }
    const user = fields.username!.split('@', 1)[0]!;
    const password = users[user];
    if (password === undefined) {
      stats.badCredentials++;
      return fastApiError(401, 'Invalid credentials');
    }
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`${method}:${fields.uri}`);
    const expected = md5(
      `${ha1}:${fields.nonce}:${fields.nc}:${fields.cnonce}:${fields.qop}:${ha2}`,
    );
    if (fields.response !== expected) {
      stats.badCredentials++;
      return fastApiError(401, 'Invalid credentials or response');
    }
    stats.accepted++;

    // --- Storage -------------------------------------------------------------------------------
    const key = path.split('/~~/')[0]!;
    const doc = documents.get(key);
    const ifMatch = raw.headers['if-match'];
    const ifNoneMatch = raw.headers['if-none-match'];
    const matches = (h: string, etag: string | undefined) =>
      etag !== undefined && h.split(',').some((t) => t.trim() === '*' || t.trim() === `"${etag}"`);
    if (method === 'GET') {
      if (!doc) return fastApiError(404, 'Not Found');
      if (ifNoneMatch !== undefined && matches(ifNoneMatch, doc.etag))
        return answer(304, { etag: `"${doc.etag}"` }, '');
      return answer(200, { 'content-type': doc.contentType, etag: `"${doc.etag}"` }, doc.body);
    }
    if (ifMatch !== undefined && !matches(ifMatch, doc?.etag))
      return fastApiError(412, 'Precondition Failed');
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, doc?.etag))
      return fastApiError(412, 'Precondition Failed');
    if (method === 'DELETE') {
      if (!doc) return fastApiError(404, 'Not Found');
      documents.delete(key);
      return answer(200, { etag: `"deleted-${++etagCounter}"` }, '');
    }
    if (method === 'PUT') {
      if (auid === 'org.openmobilealliance.pres-content') {
        const data = /<data[^>]*>([^<]*)<\/data>/.exec(body)?.[1] ?? '';
        if (data.length > OPENXCAP_ICON_MAX_BASE64)
          return answer(
            409,
            { 'content-type': 'application/xcap-error+xml' },
            `<?xml version="1.0" encoding="UTF-8"?><xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><constraint-failure phrase="Size limit exceeded, maximum allowed size is ${OPENXCAP_ICON_MAX_BASE64} bytes"/></xcap-error>`,
          );
      }
      const etag = `e${++etagCounter}`;
      documents.set(key, {
        body,
        etag,
        contentType: raw.headers['content-type'] ?? 'application/xml',
      });
      return answer(doc ? 200 : 201, { etag: `"${etag}"` }, '');
    }
    return fastApiError(405, 'Method Not Allowed');
  };

  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => handle(raw, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    root: `http://127.0.0.1:${port}/xcap-root`,
    port,
    exchanges,
    stats,
    documents,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
