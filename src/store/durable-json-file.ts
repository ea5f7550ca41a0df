/**
 * A durable lowdb adapter for one JSON file. Node-only.
 *
 * lowdb 7's own `JSONFile` (through steno) renames a temp file without fsync and uses one temp
 * name per target, shared by every instance of that file. This adapter instead:
 * 1. writes to a temp file with a unique name (pid + random), created exclusively, mode 0600;
 * 2. fsyncs it, so the bytes are on disk before the rename makes them visible;
 * 3. renames it over the target (atomic on POSIX: readers see the old or the new file);
 * 4. fsyncs the directory, because on POSIX the rename itself is a directory change that can
 *    be lost on power failure until the directory is synced.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { XcapStoreCorruptError } from './errors.js';
import { type StorageKey, toJsonText } from './storage-port.js';

/**
 * What a store file holds. The value is wrapped because lowdb's `Low.read()` ignores falsy data
 * (a stored `0`, `false` or `''` would read back as the default); `format` allows a later
 * migration.
 */
export interface StoredEnvelope {
  format: 1;
  value: unknown;
}

/** Suffix of temp files; a dead writer's leftovers are removed when its account is next locked. */
export const TEMP_SUFFIX = '.tmp';

/**
 * A lowdb `Adapter` that reads and writes one envelope file durably.
 *
 * @example
 * ```ts
 * const db = new Low<StoredEnvelope | null>(new DurableJsonFile('/var/rxcap/a.json', ['a']), null);
 * db.data = { format: 1, value: { hello: 'world' } };
 * await db.write();
 * ```
 */
export class DurableJsonFile implements Adapter<StoredEnvelope | null> {
  constructor(
    /** The target file. */
    readonly path: string,
    /** The storage key it holds, for error reports. */
    readonly key: StorageKey,
  ) {}

  /** The envelope, or null when the file does not exist. Rejects with XcapStoreCorruptError. */
  async read(): Promise<StoredEnvelope | null> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let text: string;
    try {
      // Fatal: a lossy decode would turn a flipped byte inside a string into U+FFFD and the
      // damage would load as valid data (RFC 8259 §8.1: JSON text is UTF-8).
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new XcapStoreCorruptError(
        this.key,
        `invalid UTF-8 (${bytes.length} bytes)`,
        this.path,
        { cause },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new XcapStoreCorruptError(
        this.key,
        `invalid JSON (${text.length} characters; truncated?)`,
        this.path,
        { cause },
      );
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      (parsed as { format?: unknown }).format !== 1 ||
      !('value' in parsed)
    ) {
      throw new XcapStoreCorruptError(this.key, 'not an rxcap store file', this.path);
    }
    return parsed as StoredEnvelope;
  }

  /** Replace the file durably (see the module comment). */
  async write(data: StoredEnvelope | null): Promise<void> {
    const text = toJsonText(data);
    const temp = `${this.path}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    try {
      // 'wx': fail rather than share a file with another writer (the name is unique anyway).
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (e) {
      // Leave nothing behind; the old file, if any, is untouched.
      await unlink(temp).catch(() => {});
      throw e;
    }
    await syncDirectory(dirname(this.path));
  }
}

/**
 * fsync a directory so that the entries created, renamed or removed in it survive a power
 * failure (POSIX: a rename or unlink is durable only once its directory is synced).
 *
 * @example
 * ```ts
 * await rename(temp, target);
 * await syncDirectory(dirname(target));
 * ```
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (e) {
    // Windows cannot open or fsync a directory (EISDIR/EPERM); its renames are journaled by
    // NTFS, so there is nothing more we can do there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    await handle?.close();
  }
}
