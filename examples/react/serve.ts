/**
 * Builds the React example with esbuild and serves it with the web example's same-origin
 * reverse proxy to the XCAP server (examples/web/serve.ts).
 *
 *   npx tsx examples/react/serve.ts   # then open the printed URL
 *
 * Environment: XCAP_ROOT (default the test server's http://127.0.0.1:5080/xcap-root), PORT
 * (default 8081). The browser test (test/browser/react-example.test.ts) uses the exports.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { serveWebExample, type WebExampleServer } from '../web/serve.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

/**
 * Bundles examples/react/app.tsx into examples/react/dist/app.js (React's production build;
 * `rxcap/browser` resolves to this checkout's src/browser.ts).
 *
 * @example await buildReactExample();
 */
export async function buildReactExample(): Promise<void> {
  await build({
    entryPoints: [join(here, 'app.tsx')],
    outfile: join(here, 'dist', 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    sourcemap: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: { 'rxcap/browser': join(repo, 'src', 'browser.ts') },
    logLevel: 'warning',
  });
}

/**
 * Serves examples/react/ on 127.0.0.1 and forwards `/xcap-root/…` to `xcapRoot`'s host.
 *
 * @example const server = await serveReactExample({ xcapRoot: 'http://127.0.0.1:5080/xcap-root' });
 */
export function serveReactExample(options: {
  xcapRoot: string;
  port?: number;
}): Promise<WebExampleServer> {
  return serveWebExample({ ...options, dir: here });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildReactExample();
  const server = await serveReactExample({
    xcapRoot: process.env.XCAP_ROOT ?? 'http://127.0.0.1:5080/xcap-root',
    port: Number(process.env.PORT ?? 8081),
  });
  console.log(`open ${server.url}?id=sip:alice@example.com&password=alice-secret`);
}
