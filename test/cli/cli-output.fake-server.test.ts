/**
 * What `rxcap` prints of a server's answers, and where it gets the password, against a fake
 * XCAP server (fake-xcap-server.ts): a hostile server must not drive the user's terminal with
 * an ETag or an error, a hint must not send the user to the wrong variable, and a body piped
 * into `put` must not go out without the credentials the user meant to send.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { type CliIo, printableJson } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { type FakeHandler, type FakeServer, startFakeServer } from '../client/fake-xcap-server.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs one command line with `env`, stdin `input` (not a terminal); returns what it printed. */
async function cli(
  args: string[],
  env: Record<string, string>,
  input: string | undefined = undefined,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(c, _e, done) {
        add(c.toString('latin1'));
        done();
      },
    });
  const io: CliIo = {
    env: { RXCAP_ROOT: server!.root, RXCAP_USER: 'alice@example.com', ...env },
    stdin: Object.assign(input === undefined ? new PassThrough() : Readable.from([input]), {
      isTTY: false,
    }),
    stdout: Object.assign(
      sink((s) => (stdout += s)),
      { isTTY: false },
    ),
    stderr: sink((s) => (stderr += s)),
    signal: new AbortController().signal,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

const serve = async (handler: FakeHandler) => {
  server = await startFakeServer(handler);
};
/** Control characters a terminal acts on: C0 but newline, DEL and C1 (U+009B is a CSI). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('rxcap prints no terminal control from the server', () => {
  // U+009B is CSI on many terminals; as a header byte (0x9B) it is legal obs-text on the wire.
  const HOSTILE_ETAG = '"e\x9b2J\x9b31m"';

  it('an ETag is made printable on get (stderr) and on put (stdout)', async () => {
    // Before: the ETag was written as received.
    await serve((q, res) => {
      res.writeHead(200, { etag: HOSTILE_ETAG, 'content-type': 'application/xml' });
      res.end(q.method === 'GET' ? '<resource-lists/>' : '');
    });
    const got = await cli(['get', '--app', 'resource-lists'], { RXCAP_PASSWORD: 'x' });
    expect(got.code).toBe(EXIT.ok);
    expect(got.stderr).toBe('etag: e?2J?31m\n');
    const put = await cli(['put', '--app', 'resource-lists'], { RXCAP_PASSWORD: 'x' }, '<a/>');
    expect(put.code).toBe(EXIT.ok);
    expect(put.stdout).toBe('200 etag: e?2J?31m\n');
  });

  it('an error carrying the server’s words is made printable', async () => {
    await serve((_q, res) => {
      res.writeHead(401, {
        'www-authenticate': 'Digest realm="x", nonce="n", algorithm="\x9b2J\x9b31m"',
      });
      res.end();
    });
    const r = await cli(['get', '--app', 'resource-lists'], { RXCAP_PASSWORD: 'x' });
    expect(r.code).toBe(EXIT.auth);
    expect(r.stderr).toContain('unsupported algorithm "?2J?31m"');
    expect(r.stderr).not.toMatch(CONTROL);
  });
});

describe('rxcap: the password hint', () => {
  const refusing: FakeHandler = (_q, res) => {
    res.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="n1", qop="auth"' });
    res.end();
  };

  it('no hint about RXCAP_PASSWORD when --password-env gave a password the server refused', async () => {
    await serve(refusing);
    const r = await cli(['get', '--app', 'resource-lists', '--password-env', 'MINE'], {
      MINE: 'wrong',
    });
    expect(r.code).toBe(EXIT.auth);
    expect(r.stderr).toContain('refused the credentials');
    expect(r.stderr).not.toContain('hint');
  });

  it('without a password, the hint names the variable that was read', async () => {
    await serve(refusing);
    const mine = await cli(['get', '--app', 'resource-lists', '--password-env', 'MINE'], {});
    expect(mine.stderr).toContain('hint: set MINE (named by --password-env)');
    const plain = await cli(['get', '--app', 'resource-lists'], {});
    expect(plain.stderr).toContain('hint: set RXCAP_PASSWORD');
  });
});

describe('rxcap put with the body on stdin', () => {
  const recordingDigest: FakeHandler = (q, res) => {
    if (q.headers.authorization === undefined) {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="n1", qop="auth"' });
      res.end();
      return;
    }
    res.writeHead(201, { etag: '"e1"' });
    res.end();
  };

  it('without a password in the environment is refused before anything is sent', async () => {
    // Before: no prompt could read stdin (it is the body), so the PUT went out without
    // credentials.
    await serve(recordingDigest);
    const r = await cli(['put', '--app', 'resource-lists'], {}, '<resource-lists/>');
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('put reads the body from stdin, so it cannot ask for the password');
    expect(r.stderr).toContain('RXCAP_PASSWORD');
    expect(server!.requests).toEqual([]);
  });

  it('with the password in the environment sends Digest; --no-auth sends none on purpose', async () => {
    await serve(recordingDigest);
    const r = await cli(
      ['put', '--app', 'resource-lists', '--password-env', 'MINE'],
      { MINE: 's3cret' },
      '<resource-lists/>',
    );
    expect(r.code).toBe(EXIT.ok);
    expect(server!.requests.at(-1)?.headers.authorization).toMatch(/^Digest /);
    const none = await cli(
      ['put', '--app', 'resource-lists', '--no-auth'],
      {},
      '<resource-lists/>',
    );
    expect(none.code).toBe(EXIT.auth);
    expect(none.stderr).toContain('hint: the server wants credentials: drop --no-auth');
  });
});

describe('printableJson (caps --json, sync --format json)', () => {
  it('escapes DEL and C1 controls that JSON.stringify leaves raw, and still parses to the value', () => {
    const value = { name: 'Bob\u009b2J\u007f', note: 'line\u2028' };
    const text = printableJson(value);
    expect(JSON.stringify(value)).toMatch(CONTROL); // the reason for it
    expect(text).not.toMatch(CONTROL);
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual(value);
  });
});
