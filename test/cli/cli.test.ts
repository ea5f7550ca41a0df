import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { addressbookTable } from '../../src/cli/addressbook-table.js';
import { parseCommand } from '../../src/cli/args.js';
import { readPassword } from '../../src/cli/credentials.js';
import { EXIT, exitCodeOf } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';
import { selectorFromOptions } from '../../src/cli/selector.js';
import { XcapHttpError, XcapNetworkError } from '../../src/client/errors.js';
import { XcapValidationError } from '../../src/errors.js';
import { Addressbook } from '../../src/model/addressbook.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { XcapCapabilitiesError, XcapSyncError } from '../../src/streams/errors.js';

const selector = (args: string[]) => {
  const cmd = parseCommand('get', args);
  return selectorFromOptions(cmd.tokens, cmd.positionals[0])?.toString();
};

describe('rxcap CLI: typed node selectors', () => {
  it.each([
    [['--el', 'resource-lists'], 'resource-lists'],
    [
      [
        '--el',
        'resource-lists',
        '--el',
        'list',
        '--where',
        'name=friends',
        '--el',
        'entry',
        '--where',
        'uri=sip:bob@example.com',
      ],
      'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]',
    ],
    [
      ['--el', 'resource-lists', '--el', 'list', '--pos', '2', '--attr', 'name'],
      'resource-lists/list[2]/@name',
    ],
    // Values need no XPath quoting: a value with " is quoted with ' (RFC 4825 §6.3 AttValue).
    [['--el', 'a', '--where', 'name=say "hi"'], `a[@name='say "hi"']`],
    [['--el', 'a', '--where', 'v=x=y'], 'a[@v="x=y"]'],
    [['resource-lists/list[1]'], 'resource-lists/list[1]'],
    [[], undefined],
  ])('%j -> %s', (args, expected) => {
    expect(selector(args)).toBe(expected);
  });

  it('binds namespace prefixes for prefixed steps', () => {
    const cmd = parseCommand('get', [
      '--ns',
      'rl=urn:ietf:params:xml:ns:resource-lists',
      '--el',
      'rl:resource-lists',
    ]);
    const sel = selectorFromOptions(cmd.tokens, undefined);
    expect(typeof sel === 'object' && sel.namespaces).toEqual({
      rl: 'urn:ietf:params:xml:ns:resource-lists',
    });
  });

  it.each([
    [['--where', 'a=b']],
    [['--pos', '1']],
    [['--el', 'a', '--pos', '0']],
    [['--el', 'a', '--where', 'novalue']],
    [['--el', 'a', '--where', 'a=1', '--where', 'b=2']],
    [['--el', 'a', '--attr', 'x', '--el', 'b']],
    [['--el', 'a', 'raw/selector']],
  ])('refuses %j as a usage error', (args) => {
    expect(() => selector(args)).toThrow(XcapValidationError);
  });
});

describe('rxcap CLI: exit codes by error class', () => {
  const http = (status: number) =>
    new XcapHttpError({ status, url: 'http://x/', method: 'GET', headers: {}, body: '' });
  it.each([
    [http(404), EXIT.notFound],
    [http(412), EXIT.preconditionFailed],
    [http(401), EXIT.auth],
    [http(403), EXIT.auth],
    [http(409), EXIT.http],
    [http(500), EXIT.http],
    [new XcapValidationError('bad'), EXIT.usage],
    [new XcapCapabilitiesError('no root'), EXIT.unsupported],
    [new XcapSyncError('fetch', http(401)), EXIT.auth],
    [new TypeError('bug'), EXIT.internal],
  ])('%s -> %i', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('a network failure is 7', () => {
    const e = Object.create(XcapNetworkError.prototype) as XcapNetworkError;
    Object.assign(e, { code: 'RXCAP_NETWORK' });
    expect(exitCodeOf(e)).toBe(EXIT.network);
  });
});

describe('rxcap CLI: credentials', () => {
  const out = () => new PassThrough();
  it('reads the password from RXCAP_PASSWORD or the variable --password-env names', async () => {
    const input = Object.assign(Readable.from([]), { isTTY: false });
    expect(await readPassword({ env: { RXCAP_PASSWORD: 's3cret' }, input, output: out() })).toBe(
      's3cret',
    );
    expect(await readPassword({ env: { MINE: 'x' }, variable: 'MINE', input, output: out() })).toBe(
      'x',
    );
    expect(await readPassword({ env: {}, input, output: out() })).toBeUndefined();
    await expect(readPassword({ env: {}, variable: 'A;rm', input, output: out() })).rejects.toThrow(
      XcapValidationError,
    );
  });

  it('prompts on a terminal without echoing what is typed', async () => {
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      isRaw: false,
      setRawMode(this: { isRaw: boolean }, raw: boolean) {
        this.isRaw = raw;
        return this;
      },
    });
    let shown = '';
    const output = new Writable({
      write(c, _e, done) {
        shown += c.toString();
        done();
      },
    });
    const answer = readPassword({ env: {}, input: tty as never, output });
    tty.write('s3cx\u007fret\r');
    expect(await answer).toBe('s3cret');
    expect(shown).toBe('Password: \n');
    expect(tty.isRaw).toBe(false);
  });

  it('has no password flag', async () => {
    let err = '';
    const sink = new Writable({
      write(c, _e, done) {
        err += c.toString();
        done();
      },
    });
    const code = await run(['get', '--app', 'resource-lists', '--password', 'x'], {
      env: {},
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      stdout: new PassThrough(),
      stderr: sink,
      signal: new AbortController().signal,
    });
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/Unknown option '--password'/);
  });
});

describe('rxcap CLI: the addressbook table', () => {
  it('shows contacts with their URIs and handling, and neutralises terminal escapes from the server', () => {
    const book = new Addressbook([
      new Contact({
        name: 'Bob\u009b2J',
        uris: [new ContactURI({ uri: 'sip:bob@example.com' })],
        presence: { policy: 'allow', subscribe: true },
      }),
    ]);
    const text = addressbookTable(book);
    expect(text).not.toContain('\u009b');
    expect(text).toMatch(
      /Contacts \(1\)\n {2}NAME +URIS +PRESENCE +DIALOG +GROUPS\n {2}Bob\?2J +sip:bob@example.com +allow, subscribe +default/,
    );
    expect(text).toContain('Groups (0)');
  });
});
