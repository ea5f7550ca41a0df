/**
 * Exit codes of the `rxcap` command line, one per error class, so that scripts can tell a
 * missing document from a refused password or a server that is down without parsing messages.
 */
import { XcapError } from '../errors.js';

/**
 * The exit codes, stable across versions.
 *
 * @example if (exitCodeOf(e) === EXIT.notFound) console.log('no such document');
 */
export const EXIT = Object.freeze({
  /** Success (also a 304 answer to `get --if-none-match`). */
  ok: 0,
  /** Anything not classified below (a bug: please report it). */
  internal: 1,
  /** Bad command line or argument (`RXCAP_INVALID_ARGUMENT`, `RXCAP_NODE_SELECTOR`). */
  usage: 2,
  /** HTTP 404: no such document, element or attribute. */
  notFound: 3,
  /** HTTP 412: the `--etag` / `--if-none-match` precondition failed. */
  preconditionFailed: 4,
  /** Any other HTTP error status (409 rejected by the server, 5xx...). */
  http: 5,
  /** Credentials refused or unusable (HTTP 401/403, `RXCAP_AUTH`). */
  auth: 6,
  /** The server could not be reached in time (`RXCAP_NETWORK`, `RXCAP_TIMEOUT`). */
  network: 7,
  /** The server's answer could not be used (malformed XML, wrong document, too large). */
  badResponse: 8,
  /** The server lacks what the manager needs (`RXCAP_CAPABILITIES`), or `sync`'s store failed. */
  unsupported: 9,
  /** Interrupted by SIGINT before the command finished. */
  interrupted: 130,
} as const);

/** One of the {@link EXIT} values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The innermost XcapError of a cause chain (a sync error wraps the client's error). */
function specific(error: unknown): unknown {
  let e: unknown = error;
  for (let depth = 0; depth < 8; depth++) {
    const cause = (e as { cause?: unknown } | null)?.cause;
    if (!(e instanceof XcapError) || e.code !== 'RXCAP_SYNC' || !(cause instanceof XcapError))
      return e;
    e = cause;
  }
  return e;
}

/**
 * The exit code for an error thrown or emitted by rxcap.
 *
 * @example exitCodeOf(new XcapHttpError({ status: 404, ... })) // 3
 */
export function exitCodeOf(error: unknown): ExitCode {
  const e = specific(error);
  if (!(e instanceof XcapError)) return EXIT.internal;
  const status = (e as { status?: unknown }).status;
  switch (e.code) {
    case 'RXCAP_INVALID_ARGUMENT':
    case 'RXCAP_NODE_SELECTOR':
      return EXIT.usage;
    case 'RXCAP_HTTP':
      if (status === 404) return EXIT.notFound;
      if (status === 412) return EXIT.preconditionFailed;
      if (status === 401 || status === 403) return EXIT.auth;
      return EXIT.http;
    case 'RXCAP_AUTH':
      return EXIT.auth;
    case 'RXCAP_NETWORK':
    case 'RXCAP_TIMEOUT':
      return EXIT.network;
    case 'RXCAP_XML_MALFORMED':
    case 'RXCAP_XML_LIMIT':
    case 'RXCAP_XML_FORBIDDEN':
    case 'RXCAP_CODEC':
    case 'RXCAP_RESPONSE_TOO_LARGE':
      return EXIT.badResponse;
    case 'RXCAP_CAPABILITIES':
    case 'RXCAP_STORE_LOCKED':
    case 'RXCAP_STORE_CORRUPT':
    case 'RXCAP_STORE_IO':
    case 'RXCAP_STORE_CLOSED':
      return EXIT.unsupported;
    default:
      return EXIT.internal;
  }
}
