/**
 * Where the command line gets the password: an environment variable (`RXCAP_PASSWORD`, or the
 * one `--password-env` names) or, on a terminal, a prompt that does not echo. There is no
 * `--password` flag: a password on the command line ends up in shell history and in `ps`.
 */
import type { ReadStream } from 'node:tty';
import { XcapValidationError } from '../errors.js';

/** Where to look, and the streams of a prompt. */
export interface CredentialSource {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The variable that holds the password. Default `RXCAP_PASSWORD`. */
  readonly variable?: string | undefined;
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

/**
 * The password from the environment, else from a prompt when stdin is a terminal, else
 * undefined (requests go out unauthenticated, and a 401 says so).
 *
 * @example const password = await readPassword({ env: process.env, input: process.stdin, output: process.stderr });
 */
export async function readPassword(source: CredentialSource): Promise<string | undefined> {
  const variable = source.variable ?? 'RXCAP_PASSWORD';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
    throw new XcapValidationError(
      `--password-env takes a variable name, got ${variable}`,
      'password-env',
    );
  const fromEnv = source.env[variable];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (source.input.isTTY !== true) return undefined;
  return prompt(source.input as ReadStream, source.output, 'Password: ');
}

/** Reads one line from a terminal without echoing it. Ctrl-C or Ctrl-D give up. */
function prompt(
  input: ReadStream,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004')
          return done(new XcapValidationError('no password given', 'password'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < 1024) value += ch;
      }
    };
    input.on('data', onData);
  });
}
