/**
 * `rxcap sync`: runs a manager for the account and prints its addressbook once in sync; with
 * `--watch`, again after every change (xcap-diff over SIP, else polling) until Ctrl-C.
 */
import { distinctUntilChanged, filter, map, type Subscription, skip, take } from 'rxjs';
import type { XcapError } from '../errors.js';
import { XcapValidationError } from '../errors.js';
import { Addressbook } from '../model/addressbook.js';
import { createXcapManager } from '../node.js';
import { fileStorage } from '../store/file-storage.js';
import { memoryStorage } from '../store/memory-storage.js';
import type { StoragePort } from '../store/storage-port.js';
import type { AccountSettings } from '../streams/settings.js';
import { addressbookTable } from './addressbook-table.js';
import type { ParsedCommand } from './args.js';
import { EXIT, type ExitCode, exitCodeOf } from './exit-codes.js';
import { accountOf, type CliIo, printable, printableJson } from './io.js';

/** Errors after which the manager waits for new settings, which a command line never sends. */
const FATAL: readonly ExitCode[] = [EXIT.auth, EXIT.unsupported, EXIT.usage];

/**
 * Runs `sync`.
 *
 * @example await runSync(parseCommand('sync', ['--format', 'json']), io)
 */
export async function runSync(cmd: ParsedCommand, io: CliIo): Promise<ExitCode> {
  const format = cmd.values.format ?? (io.stdout.isTTY === true ? 'table' : 'json');
  if (format !== 'json' && format !== 'table')
    throw new XcapValidationError(`--format is json or table, got ${String(format)}`, 'format');
  const account = await accountOf(cmd, io);
  const proxy = cmd.values['sip-proxy'];
  const settings: AccountSettings = {
    id: account.user,
    ...(account.password === undefined
      ? {}
      : {
          auth: {
            password: account.password,
            ...(account.username === undefined ? {} : { username: account.username }),
          },
        }),
    xcap: { root: account.root ?? null, xcapDiff: cmd.values['no-xcap-diff'] !== true },
    ...(typeof proxy === 'string' ? { sip: { outboundProxy: proxy } } : {}),
  };
  const store = cmd.values.store;
  const storage: StoragePort = typeof store === 'string' ? fileStorage(store) : memoryStorage();
  const manager = createXcapManager({
    account: settings,
    storage,
    client: { timeoutMs: account.timeoutMs },
  });
  const print = (book: Addressbook) =>
    io.stdout.write(
      format === 'json'
        ? `${printableJson(book)}\n`
        : `${cmd.values.watch === true ? `-- ${new Date().toISOString()}\n` : ''}${addressbookTable(book)}`,
    );
  const subs: Subscription[] = [];
  try {
    return await new Promise<ExitCode>((resolve) => {
      const timer = setTimeout(() => {
        io.stderr.write(
          `error: not in sync after ${account.timeoutMs} ms (state ${manager.state})\n`,
        );
        resolve(EXIT.network);
      }, account.timeoutMs);
      const finish = (code: ExitCode) => {
        clearTimeout(timer);
        resolve(code);
      };
      io.signal.addEventListener(
        'abort',
        () => finish(cmd.values.watch === true ? EXIT.ok : EXIT.interrupted),
        {
          once: true,
        },
      );
      subs.push(
        manager.error$.subscribe((e: XcapError) => {
          const code = exitCodeOf(e);
          io.stderr.write(
            `${FATAL.includes(code) ? 'error' : 'warning'}: ${e.code} ${printable(e.message)}\n`,
          );
          if (FATAL.includes(code)) finish(code);
        }),
      );
      let latest = new Addressbook();
      subs.push(manager.addressbook$.subscribe((b) => (latest = b)));
      subs.push(
        manager.state$
          .pipe(
            filter((s) => s.state === 'insync'),
            take(1),
          )
          .subscribe(() => {
            clearTimeout(timer);
            print(latest);
            if (cmd.values.watch !== true) finish(EXIT.ok);
            else
              subs.push(
                manager.addressbook$
                  .pipe(
                    map((b) => [b, JSON.stringify(b)] as const),
                    distinctUntilChanged((a, b) => a[1] === b[1]),
                    skip(1),
                  )
                  .subscribe(([b]) => print(b)),
              );
          }),
      );
      manager
        .load()
        .then(() => manager.start())
        .catch((e: unknown) => {
          io.stderr.write(`error: ${printable(String((e as Error)?.message ?? e))}\n`);
          finish(exitCodeOf(e));
        });
    });
  } finally {
    for (const s of subs) s.unsubscribe();
    await manager.close();
    await storage.close();
  }
}
