/**
 * The in-memory XCAP server over real HTTP (Node): RFC 4825 URIs
 * (`<root>/<auid>/users/<xui>/<filename>` and `<root>/<auid>/global/<filename>`), ETags quoted
 * on the wire, and Digest authentication (RFC 7616: MD5, qop=auth, nonce count checked) when
 * the server has `users`. For end-to-end tests of code that uses `XcapClient`, the manager
 * with its default HTTP port, or the `rxcap` command line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  InMemoryXcapServer,
  XcapHttpListener,
  XcapServerRequest,
} from './in-memory-xcap-server.js';

const REALM = 'rxcap-testing';
const MAX_BODY = 4 * 1024 * 1024;

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

function parseAuthorization(h: string | undefined): Record<string, string> | null {
  if (!h?.startsWith('Digest ')) return null;
  const out: Record<string, string> = {};
  const re = /([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi;
  for (let m = re.exec(h); m !== null; m = re.exec(h))
    out[(m[1] ?? '').toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return out;
}

/**
 * Starts the listener for `server`.
 *
 * @example const { root, close } = await listenXcapHttp(server, { users: { 'sip:alice@example.com': 's3cret' } });
 */
export async function listenXcapHttp(
  server: InMemoryXcapServer,
  options: {
    port?: number;
    host?: string;
    users?: Readonly<Record<string, string>> | undefined;
  } = {},
): Promise<XcapHttpListener> {
  const host = options.host ?? '127.0.0.1';
  const users = options.users;
  // Nonce -> highest nonce count seen (a replayed count is refused).
  const nonces = new Map<string, number>();
  let base = '';

  const challenge = (stale = false) => {
    const nonce = randomBytes(16).toString('hex');
    if (nonces.size > 10_000) nonces.clear();
    nonces.set(nonce, 0);
    return `Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=MD5${stale ? ', stale=true' : ''}`;
  };

  /** The account's password when the Digest answer is right; 'stale' for an unknown nonce. */
  const authenticate = (req: IncomingMessage, xui: string | null): string | 'stale' | null => {
    const a = parseAuthorization(req.headers.authorization);
    if (a === null || users === undefined || xui === null) return null;
    const password = users[xui];
    const user = xui.replace(/^sips?:/, '');
    const userPart = user.split('@')[0] ?? '';
    if (password === undefined || (a.username !== userPart && a.username !== user)) return null;
    const seen = nonces.get(a.nonce ?? '');
    if (seen === undefined) return 'stale';
    const nc = Number.parseInt(a.nc ?? '', 16);
    if (!(nc > seen) || a.qop !== 'auth' || a.uri !== req.url) return null;
    const ha1 = md5(`${a.username}:${REALM}:${password}`);
    const ha2 = md5(`${req.method}:${a.uri}`);
    const expected = md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:auth:${ha2}`);
    if (expected !== a.response) return null;
    nonces.set(a.nonce ?? '', nc);
    return password;
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      const method = req.method;
      if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') {
        res.writeHead(405, { allow: 'GET, PUT, DELETE' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', base);
      const basePath = new URL(server.root).pathname.replace(/\/$/, '');
      if (!url.pathname.startsWith(`${basePath}/`)) {
        res.writeHead(404).end();
        return;
      }
      const [path, encodedNode] = url.pathname.slice(basePath.length + 1).split('/~~/');
      let node: string | undefined;
      // RFC 4825 §6.4: prefix bindings as `xmlns(prefix=uri)` in the query.
      const namespaces: Record<string, string> = {};
      try {
        node = encodedNode === undefined ? undefined : decodeURIComponent(encodedNode);
        for (const m of decodeURIComponent(url.search).matchAll(/xmlns\(([^=()]*)=([^()]*)\)/g))
          namespaces[m[1]!] = m[2]!;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const parts = (path ?? '').split('/').map((p) => decodeURIComponent(p));
      const [auid, tree] = parts;
      const global = tree === 'global';
      const xui = global ? null : (parts[2] ?? null);
      const filename = parts.slice(global ? 2 : 3).join('/') || 'index';
      if (auid === undefined || (tree !== 'users' && tree !== 'global')) {
        res.writeHead(404).end();
        return;
      }
      let password: string | undefined;
      if (users !== undefined && !global) {
        const r = authenticate(req, xui);
        if (r === null || r === 'stale') {
          res.writeHead(401, { 'www-authenticate': challenge(r === 'stale') }).end();
          return;
        }
        password = r;
      }
      const request: XcapServerRequest = {
        method,
        xui,
        auid,
        filename,
        global,
        node,
        namespaces,
        etag: req.headers['if-match'],
        ifNoneMatch: req.headers['if-none-match'],
        body: method === 'PUT' ? Buffer.concat(chunks).toString('utf8') : undefined,
      };
      const a = server.handle(request, password === undefined ? {} : { password });
      const headers: Record<string, string> = {};
      if (a.etag !== null) headers.etag = `"${a.etag}"`;
      if (a.contentType !== null) headers['content-type'] = a.contentType;
      if (a.status === 401) headers['www-authenticate'] = challenge();
      res.writeHead(a.status, headers).end(a.status === 304 ? undefined : a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  base = `http://${host}:${port}`;
  const path = new URL(server.root).pathname.replace(/\/$/, '');
  return {
    root: `${base}${path}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
