#!/usr/bin/env node
/**
 * `rxcap`: the command line (the package's `bin`). See `rxcap --help`, and `run()` for using it
 * in-process.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { XcapError } from '../errors.js';
import { COMMANDS, type CommandName, HELP, parseCommand } from './args.js';
import { runCaps } from './caps.js';
import { runDocumentCommand } from './documents.js';
import { EXIT, type ExitCode, exitCodeOf } from './exit-codes.js';
import type { CliIo } from './io.js';
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
  try {
    const cmd = parseCommand(first, rest);
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
    io.stderr.write(`error: ${text}\n`);
    if (code === EXIT.usage) io.stderr.write(`see rxcap ${first} --help\n`);
    if (code === EXIT.auth && !io.env.RXCAP_PASSWORD)
      io.stderr.write(
        'hint: set RXCAP_PASSWORD (or --password-env), or run on a terminal to be asked\n',
      );
    return code;
  }
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
      process.stderr.write(`error: ${String(e)}\n`);
      process.exit(EXIT.internal);
    },
  );
}
