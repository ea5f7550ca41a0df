/**
 * A FAKE, hostile XCAP server for robustness tests (in-process, 127.0.0.1:0): it serves what a
 * real server cannot be made to serve on demand — billion-laughs DOCTYPEs, external entities,
 * 50 MB bodies (streamed, never built in memory), 10,000-deep nesting, bytes that are not
 * UTF-8, xcap-caps without the required AUIDs, wrong content types. It needs no
 * authentication, records every request, and answers PUT/DELETE with 200 so that a client
 * that writes back is caught (`writes`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A canned answer. `body` may be a generator of chunks, streamed with backpressure. */
export interface HostileAnswer {
  readonly status?: number;
  readonly contentType?: string;
  readonly etag?: string;
  /** Declared Content-Length; default: the body's length for a buffer, none (chunked) for a stream. */
  readonly contentLength?: number;
  readonly body?: string | Uint8Array | (() => Iterable<Uint8Array>);
}

/**
 * What the fake answers to a GET of `<auid>/...`: an answer, or a function of the number of
 * GETs of that AUID so far (1 for the first); undefined: 404.
 */
export type HostileRoutes = Readonly<
  Record<string, HostileAnswer | ((count: number) => HostileAnswer | undefined) | undefined>
>;

/** Options of {@link startHostileServer}. */
export interface HostileServerOptions {
  /** Status of every PUT and DELETE (recorded in `writes` all the same). Default 200. */
  readonly writeStatus?: number;
  /** Answer PUT/DELETE without an ETag (RFC 4825 §7.11 says a server must send one). */
  readonly writeWithoutEtag?: boolean;
  /** Keep what is PUT (per path) and serve it to GETs, with an ETag, instead of the routes. */
  readonly store?: boolean;
}

/** A running fake hostile server. */
export interface HostileServer {
  /** XCAP root, e.g. `http://127.0.0.1:40123/xcap-root`. */
  readonly root: string;
  /** Every request: method and path. */
  readonly requests: { method: string; url: string }[];
  /** PUT and DELETE requests (a well-behaved client sends none to this server); bodies cut at 1 MB. */
  readonly writes: {
    method: string;
    url: string;
    body: string;
    ifMatch?: string;
    ifNoneMatch?: string;
  }[];
  /** Bytes of body the fake managed to push out, per GET path (for the streaming case). */
  readonly sent: Map<string, number>;
  close(): Promise<void>;
}

/** The AUIDs an XCAP server offers for rxcap to work (RFC 4825 §12). */
export const FULL_AUIDS = [
  'xcap-caps',
  'resource-lists',
  'rls-services',
  'org.openmobilealliance.pres-rules',
  'org.openxcap.dialog-rules',
  'pidf-manipulation',
  'org.openmobilealliance.pres-content',
] as const;

/**
 * An xcap-caps document listing `auids`.
 *
 * @example xcapCapsXml(['resource-lists']) // lacks rls-services and pres-rules
 */
export function xcapCapsXml(auids: readonly string[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids>' +
    auids.map((a) => `<auid>${a}</auid>`).join('') +
    '</auids><namespaces><namespace>urn:ietf:params:xml:ns:resource-lists</namespace></namespaces>' +
    '</xcap-caps>'
  );
}

/** A valid caps answer with every AUID. */
export const FULL_CAPS: HostileAnswer = {
  contentType: 'application/xcap-caps+xml',
  body: xcapCapsXml(FULL_AUIDS),
};

const RL_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">';

/** "Billion laughs": nested internal entities that expand to ~3 GB if a parser expands them. */
export function billionLaughs(): string {
  const ents = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) ents.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return (
    '<?xml version="1.0"?>\n' +
    `<!DOCTYPE resource-lists [${ents.join('')}]>\n` +
    '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="x">' +
    '<display-name>&lol9;</display-name></list></resource-lists>'
  );
}

/** An external entity (XXE) pointing at a local file. */
export function externalEntity(): string {
  return (
    '<?xml version="1.0"?>\n' +
    '<!DOCTYPE resource-lists [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' +
    '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="x">' +
    '<display-name>&xxe;</display-name></list></resource-lists>'
  );
}

/** An undeclared entity reference without any DOCTYPE. */
export function undeclaredEntity(): string {
  return `${RL_OPEN}<list name="x"><display-name>&xxe;</display-name></list></resource-lists>`;
}

/** `depth` nested `<list>` elements. */
export function deepNesting(depth: number): string {
  return `${RL_OPEN}${'<list>'.repeat(depth)}${'</list>'.repeat(depth)}</resource-lists>`;
}

/** A resource-lists document whose display name holds Latin-1 bytes (0xE9, 0xFF), not UTF-8. */
export function notUtf8(): Uint8Array {
  const head = Buffer.from(`${RL_OPEN}<list name="x"><display-name>Ren`, 'utf8');
  const bad = Buffer.from([0xe9, 0x20, 0xff, 0xfe]);
  const tail = Buffer.from('</display-name></list></resource-lists>', 'utf8');
  return new Uint8Array(Buffer.concat([head, bad, tail]));
}

/**
 * About `megabytes` MB of resource-lists, generated chunk by chunk (64 KiB each), never held in
 * memory as a whole.
 */
export function hugeDocument(megabytes: number): () => Iterable<Uint8Array> {
  return function* () {
    yield Buffer.from(`${RL_OPEN}<list name="huge">`, 'utf8');
    const entry = '<entry uri="sip:someone@example.com"><display-name>x</display-name></entry>';
    const chunk = Buffer.from(entry.repeat(Math.floor(65_536 / entry.length)), 'utf8');
    const n = Math.ceil((megabytes * 1024 * 1024) / chunk.length);
    for (let i = 0; i < n; i++) yield chunk;
    yield Buffer.from('</list></resource-lists>', 'utf8');
  };
}

function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    if (res.write(chunk)) return resolve(true);
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/**
 * Starts the fake hostile server. `routes` maps an AUID to its answer for GETs of any of its
 * documents (`xcap-caps` for the capabilities); the rest answers 404.
 *
 * @example
 * ```ts
 * const fake = await startHostileServer({ 'xcap-caps': FULL_CAPS, 'resource-lists': { body: billionLaughs() } });
 * createXcapManager({ account: { id: 'sip:alice@example.com', xcap: { root: fake.root } } });
 * ```
 */
export async function startHostileServer(
  routes: HostileRoutes,
  options: HostileServerOptions = {},
): Promise<HostileServer> {
  const requests: HostileServer['requests'] = [];
  const gets = new Map<string, number>();
  const stored = new Map<string, { body: Buffer; etag: string }>();
  const writes: HostileServer['writes'] = [];
  const sent = new Map<string, number>();
  const sockets = new Set<Socket>();
  let etagCounter = 0;

  const answer = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = raw.url ?? '';
    const method = raw.method ?? '';
    requests.push({ method, url });
    if (method === 'PUT' || method === 'DELETE') {
      const chunks: Buffer[] = [];
      let size = 0;
      raw.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 1024 * 1024) chunks.push(c);
      });
      await new Promise((r) => raw.on('end', r));
      const cond = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(', ') : h);
      const ifMatch = cond(raw.headers['if-match']);
      const ifNoneMatch = cond(raw.headers['if-none-match']);
      const written = Buffer.concat(chunks);
      const where = new URL(url, 'http://x').pathname;
      if (options.store && (options.writeStatus ?? 200) < 300) {
        if (method === 'PUT') stored.set(where, { body: written, etag: `"s${++etagCounter}"` });
        else stored.delete(where);
      }
      writes.push({
        method,
        url,
        body: written.toString('utf8'),
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
      });
      const status = options.writeStatus ?? 200;
      const etag = status < 300 && !options.writeWithoutEtag ? { etag: `"w${++etagCounter}"` } : {};
      res.writeHead(status, { ...etag, 'content-length': '0' });
      res.end();
      return;
    }
    // Drain a GET's (empty) body without keeping it.
    raw.resume();
    const path = new URL(url, 'http://x').pathname;
    const auid = decodeURIComponent(path.split('/')[2] ?? '');
    const kept = stored.get(path);
    if (kept) {
      res.writeHead(200, {
        'content-type': 'application/xml',
        etag: kept.etag,
        'content-length': String(kept.body.length),
      });
      res.end(kept.body);
      return;
    }
    const count = (gets.get(auid) ?? 0) + 1;
    gets.set(auid, count);
    const route = routes[auid];
    const a = typeof route === 'function' ? route(count) : route;
    if (a === undefined) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const headers: Record<string, string> = {
      'content-type': a.contentType ?? 'application/xml',
      etag: a.etag ?? `"${auid}-1"`,
    };
    const body = a.body ?? '';
    if (typeof body === 'function') {
      if (a.contentLength !== undefined) headers['content-length'] = String(a.contentLength);
      res.writeHead(a.status ?? 200, headers);
      let total = 0;
      for (const chunk of body()) {
        if (!(await write(res, chunk))) break;
        total += chunk.byteLength;
        sent.set(path, total);
      }
      res.end();
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    headers['content-length'] = String(a.contentLength ?? bytes.length);
    res.writeHead(a.status ?? 200, headers);
    res.end(bytes);
  };

  const server = createServer((raw, res) => {
    answer(raw, res).catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    root: `http://127.0.0.1:${port}/xcap-root`,
    requests,
    writes,
    sent,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
