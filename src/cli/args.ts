/**
 * The command line's options (parsed with Node's built-in `util.parseArgs`) and the help text
 * of each command.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { XcapValidationError } from '../errors.js';
import type { OptionToken } from './selector.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const ACCOUNT: Options = {
  root: { type: 'string' },
  user: { type: 'string', short: 'u' },
  username: { type: 'string' },
  'password-env': { type: 'string' },
  'no-auth': { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const DOCUMENT: Options = {
  ...ACCOUNT,
  app: { type: 'string', short: 'a' },
  filename: { type: 'string' },
  global: { type: 'boolean' },
  node: { type: 'string', short: 'n' },
  el: { type: 'string', multiple: true },
  pos: { type: 'string', multiple: true },
  where: { type: 'string', multiple: true },
  attr: { type: 'string' },
  ns: { type: 'string', multiple: true },
  etag: { type: 'string' },
  'if-none-match': { type: 'string' },
};

/** The options each command accepts. */
export const COMMAND_OPTIONS: Readonly<Record<CommandName, Options>> = {
  get: DOCUMENT,
  put: { ...DOCUMENT, file: { type: 'string', short: 'f' }, 'content-type': { type: 'string' } },
  delete: DOCUMENT,
  caps: { ...ACCOUNT, json: { type: 'boolean' } },
  sync: {
    ...ACCOUNT,
    format: { type: 'string' },
    watch: { type: 'boolean', short: 'w' },
    store: { type: 'string' },
    'sip-proxy': { type: 'string' },
    'no-xcap-diff': { type: 'boolean' },
  },
};

/** The commands of `rxcap`. */
export type CommandName = 'get' | 'put' | 'delete' | 'caps' | 'sync';

export const COMMANDS: readonly CommandName[] = ['get', 'put', 'delete', 'caps', 'sync'];

/** A parsed command line. */
export interface ParsedCommand {
  readonly command: CommandName;
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** Options in command-line order (the typed node selector depends on it). */
  readonly tokens: readonly OptionToken[];
}

/**
 * Parses the arguments after the command name. Throws XcapValidationError (exit code 2).
 *
 * @example parseCommand('get', ['--app', 'resource-lists']).values.app // 'resource-lists'
 */
export function parseCommand(command: CommandName, args: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: COMMAND_OPTIONS[command],
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    throw new XcapValidationError(`${command}: ${(e as Error).message}`, undefined, { cause: e });
  }
  const tokens: OptionToken[] = [];
  for (const t of parsed.tokens ?? []) {
    if (t.kind === 'option') tokens.push({ name: t.name, value: t.value });
  }
  return {
    command,
    values: parsed.values as ParsedCommand['values'],
    positionals: parsed.positionals,
    tokens,
  };
}

/**
 * A string option, else the environment variable, else undefined.
 *
 * @example stringOption(parsed, 'root', env, 'RXCAP_ROOT')
 */
export function stringOption(
  parsed: ParsedCommand,
  name: string,
  env?: Readonly<Record<string, string | undefined>>,
  variable?: string,
): string | undefined {
  const v = parsed.values[name];
  if (typeof v === 'string') return v;
  const e = variable === undefined ? undefined : env?.[variable];
  return e === undefined || e === '' ? undefined : e;
}

/**
 * A positive integer option (milliseconds), bounded.
 *
 * @example intOption(parsed, 'timeout', 30_000, 600_000)
 */
export function intOption(
  parsed: ParsedCommand,
  name: string,
  fallback: number,
  max: number,
): number {
  const v = parsed.values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new XcapValidationError(
      `--${name} takes an integer from 1 to ${max}, got ${String(v)}`,
      name,
    );
  return n;
}

const ACCOUNT_HELP = `Account (every command):
  --root URL            XCAP root, e.g. https://xcap.example.com/xcap-root   [env RXCAP_ROOT]
  -u, --user XUI        the account, e.g. alice@example.com (sip: is added)   [env RXCAP_USER]
  --username NAME       Digest username (default: the user part of --user) [env RXCAP_USERNAME]
  --password-env NAME   the environment variable that holds the password (default
                        RXCAP_PASSWORD); unset: prompted for when stdin is a terminal
                        (a put reading its body from stdin then refuses to run).
                        There is no password flag: it would end up in shell history.
  --no-auth             send no credentials
  --timeout MS          give up after MS milliseconds (default 30000)
  -h, --help            this help`;

const NODE_HELP = `Document and node:
  -a, --app AUID        the application, e.g. resource-lists, pres-rules (required)
  --filename NAME       the document (default index)
  --global              the global tree instead of the user's
  -n, --node SELECTOR   a raw node selector (or give it as the last argument), e.g.
                        'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]'
  --el NAME             typed selector: the next element step (repeat, in order); NAME may be
                        prefixed (bind it with --ns) or *
  --pos N               ... of the --el before: the Nth such element (1-based)
  --where ATTR=VALUE    ... of the --el before: the one whose attribute ATTR is VALUE
  --attr NAME           ... then this attribute of the last element
  --ns PREFIX=URI       bind a namespace prefix used in --el/--attr names
Conditions:
  --etag ETAG           If-Match: only if the resource still has this ETag ('*': exists)
  --if-none-match ETAG  If-None-Match: GET answers 304 if unchanged; PUT '*' only creates`;

const EXIT_HELP = `Exit codes: 0 ok (also 304), 2 usage, 3 not found (404), 4 precondition failed (412),
  5 other HTTP error, 6 credentials refused (401/403), 7 network or timeout,
  8 unusable answer, 9 server lacks a required application or the store failed, 1 other.`;

/** The help text of each command, and of `rxcap` itself. */
export const HELP: Readonly<Record<CommandName | 'main', string>> = {
  main: `rxcap: an XCAP (RFC 4825) client, the command-line side of the rxcap library.

Usage: rxcap <command> [options]

Commands:
  get      GET a document, an element or an attribute (body on stdout, ETag on stderr)
  put      PUT a document, an element or an attribute (body from --file or stdin)
  delete   DELETE a document, an element or an attribute
  caps     show the server's applications, extensions and namespaces (xcap-caps)
  sync     run a manager for the account and print its addressbook (--watch follows it)

Run 'rxcap <command> --help' for the options of a command.

Example:
  export RXCAP_ROOT=https://xcap.example.com/xcap-root RXCAP_USER=alice@example.com
  rxcap get --app resource-lists --el resource-lists --el list --where name=friends

${EXIT_HELP}`,
  get: `Usage: rxcap get --app AUID [selector options] [SELECTOR]

GETs a document, an element or an attribute. The body goes to stdout, 'etag: ...' to stderr.

${NODE_HELP}

${ACCOUNT_HELP}

Examples:
  rxcap get --app resource-lists
  rxcap get --app resource-lists --el resource-lists --el list --where name=friends --attr name
  rxcap get --app resource-lists 'resource-lists/list[1]' --if-none-match 1a2b

${EXIT_HELP}`,
  put: `Usage: rxcap put --app AUID [selector options] [--file FILE] [SELECTOR]

PUTs a document (the whole XML), an element (its XML) or an attribute (its value), read from
--file or from stdin. Prints the status and the new ETag.

  -f, --file FILE       read the body from FILE ('-': stdin, the default)
  --content-type TYPE   override the MIME type (default: from the application and node kind)

${NODE_HELP}

${ACCOUNT_HELP}

Examples:
  rxcap put --app resource-lists --file index.xml --if-none-match '*'
  echo '<entry xmlns="urn:ietf:params:xml:ns:resource-lists" uri="sip:bob@example.com"/>' |
    rxcap put --app resource-lists --el resource-lists --el list --where name=friends \\
      --el entry --where uri=sip:bob@example.com --etag 1a2b

${EXIT_HELP}`,
  delete: `Usage: rxcap delete --app AUID [selector options] [SELECTOR]

DELETEs a document, an element or an attribute. Prints the status and the new ETag.

${NODE_HELP}

${ACCOUNT_HELP}

Example:
  rxcap delete --app resource-lists --el resource-lists --el list --where name=friends --etag 1a2b

${EXIT_HELP}`,
  caps: `Usage: rxcap caps [--json]

GETs xcap-caps/global/index (RFC 4825 §12) and lists the server's applications (AUIDs),
extensions and namespaces.

  --json                print JSON instead of lines

${ACCOUNT_HELP}

${EXIT_HELP}`,
  sync: `Usage: rxcap sync [--format json|table] [--watch] [--store DIR]

Runs an rxcap manager for the account: finds the server's capabilities, fetches the documents,
brings them to normal form (as every rxcap or sipsimple client does: missing lists are
created), and prints the addressbook once in sync. With --watch it keeps running and prints
the addressbook again whenever it changes (through xcap-diff over SIP, else polling), until
Ctrl-C.

  --format FORMAT       json (default when stdout is not a terminal; one line per addressbook
                        with --watch) or table
  -w, --watch           keep following changes
  --store DIR           keep the cache and journal in DIR (default: in memory, nothing kept)
  --sip-proxy URI       where to SUBSCRIBE to xcap-diff, e.g. sip:proxy.example.com;transport=tcp
  --no-xcap-diff        do not subscribe; poll every 2 minutes

${ACCOUNT_HELP}

${EXIT_HELP}`,
};
