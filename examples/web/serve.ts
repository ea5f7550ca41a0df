/**
 * Builds the web example with esbuild and serves it, with a same-origin reverse proxy to the
 * XCAP server: the page and `/xcap-root/` share one origin, so the browser applies no CORS at
 * all (the alternative to configuring CORS on the XCAP server). WebSocket (xcap-diff) is not
 * subject to CORS and goes to the SIP proxy directly.
 *
 *   npx tsx examples/web/serve.ts   # then open the printed URL
 *
 * Environment: XCAP_ROOT (default the test server's http://127.0.0.1:5080/xcap-root), PORT
 * (default 8080). The browser test (test/browser/) uses the exported functions.
 */
import { createReadStream } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

/**
 * Bundles examples/web/app.ts into examples/web/dist/app.js for browsers; `rxcap/browser`
 * resolves to this checkout's src/browser.ts (an application gets it from the package).
 *
 * @example await buildWebExample();
 */
export async function buildWebExample(): Promise<void> {
  await build({
    entryPoints: [join(here, 'app.ts')],
    outfile: join(here, 'dist', 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    alias: { 'rxcap/browser': join(repo, 'src', 'browser.ts') },
    logLevel: 'warning',
  });
}

/** One request the proxy forwarded to the XCAP server. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** A running example server. */
export interface WebExampleServer {
  readonly url: string;
  /** Every request forwarded to the XCAP server, in order. */
  readonly proxied: ProxiedRequest[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/**
 * Serves examples/web/ (or `dir`, another example with the same index.html and dist/app.js
 * layout) on 127.0.0.1 and forwards `/xcap-root/…` to `xcapRoot`'s host.
 *
 * @example const server = await serveWebExample({ xcapRoot: 'http://127.0.0.1:5080/xcap-root' });
 */
export async function serveWebExample(options: {
  xcapRoot: string;
  port?: number;
  dir?: string;
}): Promise<WebExampleServer> {
  const dir = options.dir ?? here;
  const target = new URL(options.xcapRoot);
  const proxied: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/xcap-root/')) {
      // The path is kept as it is: the Digest `uri` the page computed names it.
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          proxied.push({ method: req.method ?? '', path, status: up.statusCode ?? 0 });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        proxied.push({ method: req.method ?? '', path, status: 502 });
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('XCAP server unreachable\n');
      });
      req.pipe(upstream);
      return;
    }
    const file = path.split('?')[0] === '/' ? 'index.html' : (path.split('?')[0] ?? '');
    if (!/^\/?(index\.html|dist\/app\.js(\.map)?)$/.test(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(join(dir, file)).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    proxied,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWebExample();
  const server = await serveWebExample({
    xcapRoot: process.env.XCAP_ROOT ?? 'http://127.0.0.1:5080/xcap-root',
    port: Number(process.env.PORT ?? 8080),
  });
  console.log(
    `open ${server.url}?id=sip:alice@example.com&password=alice-secret&ws=ws://127.0.0.1:5066/ws`,
  );
}
