/**
 * The `rxcap` command line against the Kamailio test server, run as a user runs it (a child
 * process of src/cli/main.ts): requests on documents, elements and attributes with typed and
 * raw node selectors, conditional requests, caps, sync of python-sipsimple's reference
 * documents, `sync --watch` following an xcap-diff NOTIFY, credentials and exit codes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { createXcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(repo, 'src', 'cli', 'main.ts');
// Pool users u150–u152 belong to this file.
const docsUser = poolUser(150);
const syncUser = poolUser(151);
const watchUser = poolUser(152);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function envOf(user: TestUser, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { RXCAP_PASSWORD: _p, RXCAP_USER: _u, RXCAP_ROOT: _r, ...rest } = process.env;
  return {
    ...rest,
    RXCAP_ROOT: testServer().xcapRoot,
    RXCAP_USER: user.id.replace(/^sip:/, ''),
    RXCAP_PASSWORD: user.password,
    ...extra,
  };
}

/** Runs a command line in-process, through the same `run()` the binary calls. */
async function rxcap(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        add(chunk.toString());
        done();
      },
    });
  const stdin = Object.assign(Readable.from(input === undefined ? [] : [Buffer.from(input)]), {
    isTTY: false,
  });
  const code = await run(args, {
    env,
    stdin,
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** Runs the command line as a process, as a shell does. */
function rxcapProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: repo, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends"><entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry></list></resource-lists>`;
const FRIENDS = ['--el', 'resource-lists', '--el', 'list', '--where', 'name=friends'];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('rxcap CLI against Kamailio', () => {
  beforeAll(() => {
    for (const u of [docsUser, syncUser, watchUser]) wipeUserDocuments(u);
  });

  it('get/put/delete documents, elements and attributes with typed and raw selectors and conditions', async () => {
    const env = envOf(docsUser);
    const created = await rxcap(
      ['put', '--app', 'resource-lists', '--if-none-match', '*'],
      env,
      DOC,
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^20[01] etag: \S+\n$/);
    expect(created.code).toBe(0);

    // If-None-Match: * on an existing document: 412 -> exit 4.
    const again = await rxcap(['put', '--app', 'resource-lists', '--if-none-match', '*'], env, DOC);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/RXCAP_HTTP .*412/);

    const entry = await rxcap(
      [
        'get',
        '--app',
        'resource-lists',
        ...FRIENDS,
        '--el',
        'entry',
        '--where',
        'uri=sip:bob@example.com',
      ],
      env,
    );
    expect(entry.code).toBe(0);
    expect(entry.stdout).toMatch(/^<entry uri="sip:bob@example.com">/);
    const etag = /^etag: (\S+)$/m.exec(entry.stderr)?.[1];
    expect(etag).toBeDefined();

    const attr = await rxcap(
      ['get', '--app', 'resource-lists', 'resource-lists/list[@name="friends"]/@name'],
      env,
    );
    expect(attr).toMatchObject({ code: 0, stdout: 'friends' });

    const unchanged = await rxcap(
      ['get', '--app', 'resource-lists', '--if-none-match', etag ?? ''],
      env,
    );
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toBe('');
    expect(unchanged.stderr).toMatch(/^304 not modified/);

    const carol = ['--el', 'entry', '--where', 'uri=sip:carol@example.com'];
    const added = await rxcap(
      ['put', '--app', 'resource-lists', ...FRIENDS, ...carol, '--etag', etag ?? ''],
      env,
      '<entry xmlns="urn:ietf:params:xml:ns:resource-lists" uri="sip:carol@example.com"/>',
    );
    expect(added.code).toBe(0);
    const newEtag = /etag: (\S+)/.exec(added.stdout)?.[1];
    expect(newEtag).not.toBe(etag);

    const stale = await rxcap(
      ['delete', '--app', 'resource-lists', ...FRIENDS, ...carol, '--etag', etag ?? ''],
      env,
    );
    expect(stale.code).toBe(4);
    const deleted = await rxcap(
      ['delete', '--app', 'resource-lists', ...FRIENDS, ...carol, '--etag', newEtag ?? ''],
      env,
    );
    expect(deleted.code).toBe(0);
    const gone = await rxcap(['get', '--app', 'resource-lists', ...FRIENDS, ...carol], env);
    expect(gone.code).toBe(3);
  });

  it('caps lists the server applications; credentials come from the environment, exit 6 when refused', async () => {
    const caps = await rxcap(['caps', '--json'], envOf(docsUser));
    expect(caps.code).toBe(0);
    expect(JSON.parse(caps.stdout).auids).toEqual(
      expect.arrayContaining(['resource-lists', 'rls-services']),
    );

    const wrong = await rxcap(
      ['get', '--app', 'resource-lists'],
      envOf(docsUser, { RXCAP_PASSWORD: 'wrong' }),
    );
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).not.toContain('wrong');

    const other = await rxcap(
      ['get', '--app', 'resource-lists', '--password-env', 'MY_XCAP_SECRET'],
      envOf(docsUser, { RXCAP_PASSWORD: '', MY_XCAP_SECRET: docsUser.password }),
    );
    expect(other.code).toBe(0);

    // No password and no terminal to ask on: unauthenticated, 401, a hint.
    const none = await rxcap(
      ['get', '--app', 'resource-lists'],
      envOf(docsUser, { RXCAP_PASSWORD: '' }),
    );
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/hint: set RXCAP_PASSWORD/);
  });

  it('sync prints the addressbook of python-sipsimple reference documents as JSON and as a table', async () => {
    const env = envOf(syncUser);
    const xml = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
    expect(
      (await rxcap(['put', '--app', 'resource-lists', '--if-none-match', '*'], env, xml)).code,
    ).toBe(0);
    const expected = JSON.parse(
      readFileSync(join(REFERENCE_LAYOUT_DIR, 'expected.json'), 'utf8'),
    ) as {
      addressbook: { contacts: { name: string }[]; groups: { name: string }[] };
    };

    const json = await rxcap(
      ['sync', '--format', 'json', '--no-xcap-diff', '--timeout', '30000'],
      env,
    );
    expect(json.code).toBe(0);
    const book = JSON.parse(json.stdout) as {
      contacts: { name: string }[];
      groups: { name: string }[];
    };
    expect(book.contacts.map((c) => c.name).sort()).toEqual(
      expected.addressbook.contacts.map((c) => c.name).sort(),
    );
    expect(book.groups.map((g) => g.name).sort()).toEqual(
      expected.addressbook.groups.map((g) => g.name).sort(),
    );

    const table = await rxcap(['sync', '--format', 'table', '--no-xcap-diff'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Contacts \(\d+\)\n {2}NAME +URIS +PRESENCE +DIALOG +GROUPS\n/);
    expect(table.stdout).toContain('Bob Smith');
  });

  it('sync --watch prints the addressbook again when another client changes it (xcap-diff), and stops on SIGINT', async () => {
    const server = testServer();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        'sync',
        '--watch',
        '--format',
        'json',
        '--sip-proxy',
        `sip:${server.sip.tcp};transport=tcp`,
      ],
      { cwd: repo, env: envOf(watchUser) },
    );
    children.push(child);
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lineCount = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`${lines.length} lines; stderr: ${stderr}`)),
          40_000,
        );
        const check = () => {
          if (lines.length >= n) {
            clearTimeout(t);
            resolve();
          }
        };
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString();
          const parts = buffer.split('\n');
          buffer = parts.pop() ?? '';
          lines.push(...parts.filter((l) => l !== ''));
          check();
        });
        check();
      });
    await lineCount(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ contacts: [], groups: [], policies: [] });

    // Another client (a manager of the same account) adds a contact.
    const phone = createXcapManager({
      account: {
        id: watchUser.id,
        auth: { password: watchUser.password },
        xcap: { root: server.xcapRoot, xcapDiff: false },
      },
      storage: memoryStorage(),
    });
    try {
      await phone.load();
      await phone.start();
      phone.addContact(
        new Contact({ name: 'Zoe', uris: [new ContactURI({ uri: 'sip:zoe@example.com' })] }),
      );
      await firstValueFrom(
        phone.addressbook$.pipe(
          filter((b) => b.contacts.length === 1),
          timeout(20_000),
        ),
      );
    } finally {
      await phone.close();
    }
    await lineCount(2);
    expect(
      (JSON.parse(lines[1] ?? '') as { contacts: { name: string }[] }).contacts.map((c) => c.name),
    ).toEqual(['Zoe']);

    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('--help for each command, exit 2 for a usage error', async () => {
    for (const cmd of ['get', 'put', 'delete', 'caps', 'sync']) {
      const r = await rxcap([cmd, '--help'], envOf(docsUser));
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^Usage: rxcap ${cmd}`));
    }
    const bad = await rxcap(['get', '--app', 'resource-lists', '--where', 'x=y'], envOf(docsUser));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--where needs an --el before it/);
  });

  it('as a process: the exit code is the error class (404 -> 3), the error on stderr', async () => {
    const r = await rxcapProcess(
      ['get', '--app', 'resource-lists', '--filename', 'nothing-here'],
      envOf(docsUser),
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: RXCAP_HTTP GET .*nothing-here failed with HTTP 404\n$/);
  });
});
