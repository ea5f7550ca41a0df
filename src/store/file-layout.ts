/**
 * How the file store maps keys to files. Node-only (paths).
 *
 * Key `['alice@example.com', 'journal']` under `<dir>` is the file
 * `<dir>/alice@example%2Ecom/journal.json`; a one-segment key `['x']` is `<dir>/x.json`.
 * The account's lock is `<dir>/alice@example%2Ecom.lock` (a directory, proper-lockfile style).
 *
 * Every segment is encoded so that it is a safe, reversible file name: only `a-z 0-9 _ - @`
 * stay as they are; everything else, including `.`, upper-case letters (case-insensitive file
 * systems would merge `Alice` and `alice`) and `%`, becomes `%XX` of its UTF-8 bytes. Since an
 * encoded segment never contains `.`, names with a dot are ours to use: `.json` values, `.lock`
 * locks, `.tmp` temp files and `.purge` directories being removed never collide with a key.
 */
import { join } from 'node:path';
import { XcapValidationError } from '../errors.js';
import type { StorageKey } from './storage-port.js';

/** File name suffix of a stored value. */
export const VALUE_SUFFIX = '.json';

// Most file systems limit a name to 255 bytes; leave room for the value/temp suffixes.
const MAX_ENCODED_SEGMENT = 200;

/**
 * Encode one key segment as a file name (see the module comment).
 *
 * @example
 * ```ts
 * encodeSegment('Alice@example.com'); // '%41lice@example%2Ecom'
 * ```
 */
export function encodeSegment(segment: string): string {
  let out = '';
  for (const char of segment) {
    if (/^[a-z0-9_@-]$/.test(char)) {
      out += char;
    } else {
      for (const byte of new TextEncoder().encode(char)) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  if (out.length > MAX_ENCODED_SEGMENT) {
    throw new XcapValidationError(
      `a storage key segment is too long for a file name (${out.length} > ${MAX_ENCODED_SEGMENT} encoded characters)`,
      'key',
    );
  }
  return out;
}

/**
 * Decode a file name made by {@link encodeSegment}; `undefined` for a name that is not one
 * (so foreign files in the directory are ignored, never misread as keys).
 *
 * @example
 * ```ts
 * decodeSegment('%41lice@example%2Ecom'); // 'Alice@example.com'
 * decodeSegment('notes.txt'); // undefined
 * ```
 */
export function decodeSegment(name: string): string | undefined {
  if (!/^(?:[a-z0-9_@-]|%[0-9A-F]{2})+$/.test(name)) return undefined;
  try {
    const segment = decodeURIComponent(name);
    return encodeSegment(segment) === name ? segment : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of the file or directory a key (or prefix) maps to, without the value suffix.
 *
 * @example
 * ```ts
 * keyPath('/d', ['a.b', 'journal']); // '/d/a%2Eb/journal'
 * ```
 */
export function keyPath(root: string, key: StorageKey): string {
  return join(root, ...key.map(encodeSegment));
}

/**
 * The file a value is stored in.
 *
 * @example
 * ```ts
 * valuePath('/d', ['a', 'journal']); // '/d/a/journal.json'
 * ```
 */
export function valuePath(root: string, key: StorageKey): string {
  return keyPath(root, key) + VALUE_SUFFIX;
}

/**
 * The lock directory of an account.
 *
 * @example
 * ```ts
 * lockPath('/d', 'alice@example.com'); // '/d/alice@example%2Ecom.lock'
 * ```
 */
export function lockPath(root: string, account: string): string {
  return join(root, encodeSegment(account) + '.lock');
}
