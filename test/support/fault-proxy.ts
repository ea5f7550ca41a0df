/**
 * A fault-injecting HTTP proxy for robustness tests: it sits on 127.0.0.1 between rxcap and the
 * real Kamailio XCAP server and, driven by a seeded PRNG, breaks a share of the exchanges the
 * way networks and overloaded servers do: connection resets (before or after the request
 * reached the server), 503 with a small Retry-After, stalls past the client's timeout (again
 * before or after the server applied the request), truncated bodies (the connection drops, or
 * a complete message with half a document) and wrong content types.
 *
 * "After" faults are the interesting ones: the server applied a PUT but the client never saw
 * the answer, so a retry meets a 412 and the journal must replay without applying twice.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The faults the proxy injects. */
export type FaultKind =
  /** The connection is reset before the request is forwarded (the server never sees it). */
  | 'resetBefore'
  /** The request is forwarded and applied; the connection is reset instead of answering. */
  | 'resetAfter'
  /** 503 with `Retry-After: 0` or `1` (seconds), not forwarded. */
  | 'unavailable'
  /** No answer until the client gives up (not forwarded). */
  | 'stallBefore'
  /** Forwarded and applied, then no answer until the client gives up. */
  | 'stallAfter'
  /** Forwarded; the answer declares its full length but the connection drops halfway. */
  | 'truncate'
  /** Forwarded; only the first half of the body is sent, with a matching Content-Length. */
  | 'shortBody'
  /** Forwarded; the answer's Content-Type is replaced by `text/html; charset=iso-8859-1`. */
  | 'wrongType';

/** Every fault kind, in a fixed order (the PRNG draws over it). */
export const FAULT_KINDS: readonly FaultKind[] = [
  'resetBefore',
  'resetAfter',
  'unavailable',
  'stallBefore',
  'stallAfter',
  'truncate',
  'shortBody',
  'wrongType',
];

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Origin of the real server, e.g. `http://127.0.0.1:5080`. */
  readonly target: string;
  /** PRNG seed; print it so that a failing run can be repeated. */
  readonly seed: number;
  /** Probability that an exchange gets a fault, in [0, 1]. Default 0.3. */
  readonly rate?: number;
  /** Which faults to draw from (uniformly). Default: all of {@link FAULT_KINDS}. */
  readonly kinds?: readonly FaultKind[];
  /** A stalled exchange is dropped after this long if the client has not given up. Default 10 s. */
  readonly maxStallMs?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: replace the target origin with it in the XCAP root. */
  readonly origin: string;
  /** Faults on (the default) or off (every exchange passes untouched). */
  enabled: boolean;
  /** How many exchanges got each fault, and how many passed (`pass`). */
  readonly counts: Record<FaultKind | 'pass', number>;
  /** Method and path of every exchange with its fault (or `pass`), in arrival order. */
  readonly log: { method: string; path: string; fault: FaultKind | 'pass' }[];
  close(): Promise<void>;
}

/**
 * A small, fast, seedable PRNG (mulberry32): `random()` in [0, 1).
 *
 * @example const random = seededRandom(42); random(); // 0.6011037519201636
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readAll(msg: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    msg.on('data', (c: Buffer) => chunks.push(c));
    msg.on('end', () => resolve(Buffer.concat(chunks)));
    msg.on('error', reject);
  });
}

/**
 * Starts the proxy on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: 'http://127.0.0.1:5080', seed: 7 });
 * const root = xcapRoot.replace('http://127.0.0.1:5080', proxy.origin);
 * // ... later: proxy.enabled = false; await proxy.close();
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed);
  const rate = options.rate ?? 0.3;
  const kinds = options.kinds ?? FAULT_KINDS;
  const maxStallMs = options.maxStallMs ?? 10_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = Object.fromEntries([...FAULT_KINDS, 'pass'].map((k) => [k, 0])) as Record<
    FaultKind | 'pass',
    number
  >;
  const log: FaultProxy['log'] = [];

  const draw = (): FaultKind | 'pass' => {
    if (!proxy.enabled) return 'pass';
    // Always two draws, so that the sequence does not depend on the rate.
    const hit = random();
    const which = random();
    if (hit >= rate) return 'pass';
    return kinds[Math.floor(which * kinds.length)] ?? 'pass';
  };

  const stall = (socket: Socket): void => {
    // Hold the exchange; the client's timeout closes the socket. Bounded all the same.
    const t = setTimeout(() => {
      timers.delete(t);
      socket.destroy();
    }, maxStallMs);
    timers.add(t);
    socket.once('close', () => {
      clearTimeout(t);
      timers.delete(t);
    });
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v;
      headers.host = target.host;
      delete headers.connection;
      headers['content-length'] = String(body.length);
      if (body.length === 0 && req.method === 'GET') delete headers['content-length'];
      const up = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (res) => {
          readAll(res).then((b) => {
            const h: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = v;
            resolve({ status: res.statusCode ?? 502, headers: h, body: b });
          }, reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const server = createServer((req, res) => {
    const fault = draw();
    counts[fault]++;
    log.push({ method: req.method ?? '?', path: req.url ?? '', fault });
    readAll(req)
      .then(async (body) => {
        const socket = req.socket;
        switch (fault) {
          case 'resetBefore':
            socket.destroy();
            return;
          case 'unavailable': {
            const retryAfter = random() < 0.5 ? '0' : '1';
            res.writeHead(503, { 'retry-after': retryAfter, 'content-length': '0' });
            res.end();
            return;
          }
          case 'stallBefore':
            stall(socket);
            return;
          default:
            break;
        }
        const up = await forward(req, body);
        if (fault === 'resetAfter') {
          socket.destroy();
          return;
        }
        if (fault === 'stallAfter') {
          stall(socket);
          return;
        }
        const headers = { ...up.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        headers['content-length'] = String(up.body.length);
        if (fault === 'wrongType') headers['content-type'] = 'text/html; charset=iso-8859-1';
        if (fault === 'truncate' && up.body.length > 1) {
          res.writeHead(up.status, headers);
          res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
          // Let the half reach the client, then drop the connection mid-body.
          setImmediate(() => socket.destroy());
          return;
        }
        if (fault === 'shortBody' && up.body.length > 1) {
          const half = up.body.subarray(0, Math.floor(up.body.length / 2));
          res.writeHead(up.status, { ...headers, 'content-length': String(half.length) });
          res.end(half);
          return;
        }
        res.writeHead(up.status, headers);
        res.end(up.body);
      })
      .catch(() => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-length': '0' });
          res.end();
        } else req.socket.destroy();
      });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: FaultProxy = {
    origin: `http://127.0.0.1:${port}`,
    enabled: true,
    counts,
    log,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  return proxy;
}
