/**
 * What a command of the `rxcap` command line reads and writes: the environment, the standard
 * streams and an abort signal (Ctrl-C). `main.ts` passes the process's; tests pass their own.
 */
import { fromEvent, lastValueFrom, type Observable, takeUntil } from 'rxjs';
import { XcapClient } from '../client/xcap-client.js';
import { XcapValidationError } from '../errors.js';
import { intOption, type ParsedCommand, stringOption } from './args.js';
import { readPassword } from './credentials.js';

/** The process as a command sees it. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** The account options every command shares, resolved. */
export interface CliAccount {
  readonly root: string | undefined;
  readonly user: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly timeoutMs: number;
}

/**
 * Reads `--root`, `--user`, `--username` (or their `RXCAP_*` variables), the password (see
 * credentials.ts) and `--timeout`.
 *
 * @example const account = await accountOf(parsed, io);
 */
export async function accountOf(
  cmd: ParsedCommand,
  io: CliIo,
  options: { stdinIsBody?: boolean } = {},
): Promise<CliAccount> {
  const user = stringOption(cmd, 'user', io.env, 'RXCAP_USER');
  if (user === undefined)
    throw new XcapValidationError('--user (or RXCAP_USER) is required', 'user');
  const variable = passwordVariable(cmd);
  const noAuth = cmd.values['no-auth'] === true;
  // A body piped into `put` is stdin: no prompt can read a password from it, and sending the
  // request without credentials is never what was meant. The password must then come from
  // the environment, or --no-auth says none is wanted (checked before the body is read).
  if (options.stdinIsBody === true && !noAuth && !io.env[variable])
    throw new XcapValidationError(
      `put reads the body from stdin, so it cannot ask for the password: set ${variable}${variable === 'RXCAP_PASSWORD' ? ' (or name another variable with --password-env)' : ''}, give the body with --file, or pass --no-auth`,
      'password',
    );
  const password = noAuth
    ? undefined
    : await readPassword({ env: io.env, variable, input: io.stdin, output: io.stderr });
  return {
    root: stringOption(cmd, 'root', io.env, 'RXCAP_ROOT'),
    user,
    username: stringOption(cmd, 'username', io.env, 'RXCAP_USERNAME'),
    password,
    timeoutMs: intOption(cmd, 'timeout', 30_000, 3_600_000),
  };
}

/**
 * The environment variable the password is read from: `--password-env`, else `RXCAP_PASSWORD`.
 *
 * @example passwordVariable(parseCommand('get', ['--password-env', 'MINE'])) // 'MINE'
 */
export function passwordVariable(cmd: ParsedCommand): string {
  return stringOption(cmd, 'password-env') ?? 'RXCAP_PASSWORD';
}

/**
 * The XcapClient of the account (`--root` is required here).
 *
 * @example const client = clientOf(await accountOf(parsed, io));
 */
export function clientOf(account: CliAccount): XcapClient {
  if (account.root === undefined)
    throw new XcapValidationError('--root (or RXCAP_ROOT) is required', 'root');
  return new XcapClient({
    root: account.root,
    xui: account.user,
    username: account.username,
    password: account.password,
    timeoutMs: account.timeoutMs,
  });
}

/**
 * The single value of a request, or undefined when Ctrl-C came first (the request is aborted).
 *
 * @example const r = await untilAborted(client.get('resource-lists'), io.signal);
 */
export function untilAborted<T>(
  request: Observable<T>,
  signal: AbortSignal,
): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return lastValueFrom(request.pipe(takeUntil(fromEvent(signal, 'abort'))), {
    defaultValue: undefined,
  });
}

/**
 * Removes terminal control characters from text a server sent before it is shown in a
 * terminal (an escape sequence in a contact's name must not drive the user's terminal).
 *
 * @example printable('Bob\u001b[2J') // 'Bob?[2J'
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/**
 * One line of text from a peer (an ETag, an error message): printable, and on one line.
 *
 * @example printableLine('"e1"\n\u001b[2J') // '"e1"??[2J'
 */
export function printableLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/**
 * JSON text safe for a terminal: JSON.stringify escapes C0 controls but not DEL and the C1
 * range (U+009B is a CSI on many terminals); they are escaped here too, still valid JSON
 * meaning the same value.
 *
 * @example printableJson({ name: 'Bob\u009b2J' }) // '{"name":"Bob\\u009b2J"}'
 */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
