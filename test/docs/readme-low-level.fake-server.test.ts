/**
 * The README's low-level client snippet, run as a user would paste it, against a fake server
 * that answers 404 and 412 (a real server does, for an entry that is not there and a stale
 * ETag): the process must report the errors and exit 0. Without an error callback, RxJS
 * rethrows the XcapHttpError asynchronously and Node exits with an uncaught exception.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeServer } from '../client/fake-xcap-server.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** The first ```ts block after `heading` in the README. */
async function readmeSnippet(heading: string): Promise<string> {
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no section ${heading}`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m?.[1]) throw new Error(`no ts block under ${heading}`);
  return m[1];
}

let server: FakeServer | undefined;
let dir = '';
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('README: the low-level client snippet', () => {
  it('reports a 404 and a 412 on its error callbacks and does not crash Node', async () => {
    server = await startFakeServer((req, res) => {
      res.writeHead(req.method === 'GET' ? 404 : 412, { 'content-type': 'text/plain' });
      res.end('no');
    });
    const snippet = (await readmeSnippet('### The low-level client')).replace(
      "from 'rxcap'",
      `from ${JSON.stringify(join(repo, 'src', 'node.ts'))}`,
    );
    dir = await mkdtemp(join(tmpdir(), 'rxcap-readme-'));
    const file = join(dir, 'snippet.ts');
    await writeFile(
      file,
      `const root = ${JSON.stringify(server.root)};\nconst knownEtag = '"stale"';\n${snippet}`,
    );
    const { stderr } = await run(process.execPath, ['--import', 'tsx', file], {
      cwd: repo,
      timeout: 30_000,
    });
    expect(stderr).toMatch(/^404$/m);
    expect(stderr).toMatch(/RXCAP_HTTP .*412/);
    expect(server.requests.map((r) => r.method).sort()).toEqual(['GET', 'PUT']);
  });
});
