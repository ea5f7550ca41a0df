#!/usr/bin/env node
/**
 * `rxcap`: the command line (the package's `bin`). See `rxcap --help`, and `run()` for using it
 * in-process.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { XcapError } from '../errors.js';
import { COMMANDS, type CommandName, HELP, type ParsedCommand, parseCommand } from './args.js';
import { runCaps } from './caps.js';
import { runDocumentCommand } from './documents.js';
import { EXIT, type ExitCode, exitCodeOf } from './exit-codes.js';
import { type CliIo, passwordVariable, printable } from './io.js';
import { runSync } from './sync.js';

/** The package's version (src/cli and dist/cli are both two levels below package.json). */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

function isCommand(name: string | undefined): name is CommandName {
  return COMMANDS.includes(name as CommandName);
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code. Errors are
 * printed on stderr as `error: CODE message`; nothing is thrown.
 *
 * @example process.exitCode = await run(['caps', '--json'], io);
 */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout.write(`${HELP.main}\n`);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (first === 'help') {
    const topic = rest[0];
    io.stdout.write(`${isCommand(topic) ? HELP[topic] : HELP.main}\n`);
    return EXIT.ok;
  }
  if (!isCommand(first)) {
    io.stderr.write(`error: unknown command ${JSON.stringify(first)}; see rxcap --help\n`);
    return EXIT.usage;
  }
  let cmd: ParsedCommand | undefined;
  try {
    cmd = parseCommand(first, rest);
    if (cmd.values.help === true) {
      io.stdout.write(`${HELP[first]}\n`);
      return EXIT.ok;
    }
    if (first === 'caps') return await runCaps(cmd, io);
    if (first === 'sync') return await runSync(cmd, io);
    return await runDocumentCommand(cmd, io);
  } catch (e) {
    const code = exitCodeOf(e);
    const text =
      e instanceof XcapError ? `${e.code} ${e.message}` : `${(e as Error)?.stack ?? String(e)}`;
    // Messages carry the server's words (its error body, a reason phrase): made printable.
    io.stderr.write(`error: ${printable(text)}\n`);
    if (code === EXIT.usage) io.stderr.write(`see rxcap ${first} --help\n`);
    const hint = code === EXIT.auth && cmd !== undefined ? authHint(cmd, io) : undefined;
    if (hint !== undefined) io.stderr.write(`hint: ${hint}\n`);
    return code;
  }
}

/**
 * What to tell a user whose credentials were refused or missing: only when no password was
 * sent (a refused password needs no hint about where to put one), naming the variable read.
 */
function authHint(cmd: ParsedCommand, io: CliIo): string | undefined {
  if (cmd.values['no-auth'] === true) return 'the server wants credentials: drop --no-auth';
  const variable = passwordVariable(cmd);
  if (io.env[variable]) return undefined;
  if (io.stdin.isTTY === true) return undefined; // asked on the terminal
  return variable === 'RXCAP_PASSWORD'
    ? 'set RXCAP_PASSWORD (or name another variable with --password-env), or run on a terminal to be asked'
    : `set ${variable} (named by --password-env), or run on a terminal to be asked`;
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const abort = new AbortController();
  const onSignal = () => {
    // A second Ctrl-C while a stop is running ends the process at once.
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const io: CliIo = {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: abort.signal,
  };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
      // Keep-alive sockets and timers of the library must not hold a finished command.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (e: unknown) => {
      process.stderr.write(`error: ${printable(String(e))}\n`);
      process.exit(EXIT.internal);
    },
  );
}
