/**
 * `rxcap get`, `put` and `delete`: one request on a document, an element or an attribute, as
 * python-xcaplib's `xcapclient` does it.
 */
import { readFile } from 'node:fs/promises';
import { XcapValidationError } from '../errors.js';
import type { ParsedCommand } from './args.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { accountOf, type CliIo, clientOf, printable, printableLine, untilAborted } from './io.js';
import { selectorFromOptions } from './selector.js';

/** Largest request body read from a file or stdin (servers refuse far less). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Runs `get`, `put` or `delete`.
 *
 * @example await runDocumentCommand(parseCommand('get', ['--app', 'resource-lists']), io)
 */
export async function runDocumentCommand(cmd: ParsedCommand, io: CliIo): Promise<ExitCode> {
  const auid = cmd.values.app;
  if (typeof auid !== 'string') throw new XcapValidationError('--app AUID is required', 'app');
  if (cmd.positionals.length > 1)
    throw new XcapValidationError(
      `one node selector at most, got ${cmd.positionals.length}`,
      'node',
    );
  const raw = typeof cmd.values.node === 'string' ? cmd.values.node : cmd.positionals[0];
  if (typeof cmd.values.node === 'string' && cmd.positionals.length > 0)
    throw new XcapValidationError('give the node selector once (--node or argument)', 'node');
  const node = selectorFromOptions(cmd.tokens, raw);
  const file = stringValue(cmd, 'file') ?? '-';
  const stdinIsBody = cmd.command === 'put' && file === '-';
  // The account first: a piped body leaves no way to ask for the password (see accountOf).
  const account = await accountOf(cmd, io, { stdinIsBody });
  const body = cmd.command === 'put' ? await readBody(file, io) : undefined;
  const client = clientOf(account);
  const options = {
    node,
    filename: stringValue(cmd, 'filename'),
    global: cmd.values.global === true,
    etag: stringValue(cmd, 'etag'),
    ifNoneMatch: stringValue(cmd, 'if-none-match'),
  };
  if (cmd.command === 'get') {
    const r = await untilAborted(client.get(auid, options), io.signal);
    if (r === undefined) return EXIT.interrupted;
    if (r.status === 304) {
      io.stderr.write(
        `304 not modified${r.etag === null ? '' : `, etag: ${printableLine(r.etag)}`}\n`,
      );
      return EXIT.ok;
    }
    // The body goes out as received (it may be piped into a file or a put); on a terminal it
    // is made printable and ends with a newline.
    if (io.stdout.isTTY === true) {
      io.stdout.write(printable(r.body));
      if (!r.body.endsWith('\n')) io.stdout.write('\n');
    } else io.stdout.write(r.bytes);
    // ETags are the server's text: never let one drive the terminal.
    if (r.etag !== null) io.stderr.write(`etag: ${printableLine(r.etag)}\n`);
    return EXIT.ok;
  }
  const request =
    cmd.command === 'put'
      ? client.put(auid, body ?? '', { ...options, contentType: stringValue(cmd, 'content-type') })
      : client.delete(auid, options);
  const r = await untilAborted(request, io.signal);
  if (r === undefined) return EXIT.interrupted;
  io.stdout.write(`${r.status}${r.etag === null ? '' : ` etag: ${printableLine(r.etag)}`}\n`);
  return EXIT.ok;
}

function stringValue(cmd: ParsedCommand, name: string): string | undefined {
  const v = cmd.values[name];
  return typeof v === 'string' ? v : undefined;
}

async function readBody(file: string, io: CliIo): Promise<Uint8Array> {
  if (file !== '-') {
    const bytes = await readFile(file).catch((e: unknown) => {
      throw new XcapValidationError(`cannot read ${file}: ${(e as Error).message}`, 'file');
    });
    if (bytes.byteLength > MAX_BODY_BYTES)
      throw new XcapValidationError(`${file} is larger than ${MAX_BODY_BYTES} bytes`, 'file');
    return bytes;
  }
  if (io.stdin.isTTY === true)
    throw new XcapValidationError('put reads the body from --file FILE or from stdin', 'file');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.byteLength;
    if (size > MAX_BODY_BYTES)
      throw new XcapValidationError(`stdin is larger than ${MAX_BODY_BYTES} bytes`, 'file');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
