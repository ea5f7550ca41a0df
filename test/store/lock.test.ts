/**
 * One owner per account store, across processes: a second process is refused with
 * XcapStoreLockedError while the owner lives; a SIGKILLed owner's lock turns stale and is taken
 * over within staleMs; an owner that exits on a signal releases its lock at once. (Two
 * storages in one process: file-storage.test.ts.)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { XcapStoreLockedError } from '../../src/store/errors.js';
import { fileStorage } from '../../src/store/file-storage.js';
import { journalStore } from '../../src/store/journal-store.js';
import type { StoragePort } from '../../src/store/storage-port.js';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
const ACCOUNT = 'alice@example.com';
// proper-lockfile's minimum is 2000 ms; 3000 leaves its 1500 ms refresh a wide margin on a
// loaded machine, so the owner never looks stale while it is alive.
const STALE_MS = 3000;

let dir: string;
const opened: StoragePort[] = [];
const children: ReturnType<typeof spawn>[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxcap-lock-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** Start a child that takes the account's store and keeps it; resolves once it holds it. */
async function startHolder() {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, ACCOUNT, `${STALE_MS}`]);
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const line = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line').then(([l]) => l as string),
    once(child, 'exit').then(() => `exited: ${stderr}`),
  ]);
  expect(line).toBe('locked');
  return child;
}

const loadError = (storage: StoragePort) =>
  journalStore(storage, ACCOUNT)
    .load()
    .then(
      () => undefined,
      (e: unknown) => e,
    );

function open(): StoragePort {
  const storage = fileStorage(dir, { staleMs: STALE_MS });
  opened.push(storage);
  return storage;
}

it('refuses a second process, then takes over within staleMs after the owner is SIGKILLed', async () => {
  const owner = await startHolder();
  const storage = open();
  const refused = await loadError(storage);
  expect(refused).toBeInstanceOf(XcapStoreLockedError);
  expect((refused as XcapStoreLockedError).code).toBe('RXCAP_STORE_LOCKED');
  expect((refused as XcapStoreLockedError).reason).toBe('held');
  expect((refused as XcapStoreLockedError).lockPath).toBe(join(dir, 'alice@example%2Ecom.lock'));

  const exit = once(owner, 'exit');
  owner.kill('SIGKILL');
  await exit;
  const killedAt = Date.now();
  // Right after the crash the lock is still fresh: a crashed owner is indistinguishable from a
  // slow one until its lock turns stale.
  expect(await loadError(storage)).toBeInstanceOf(XcapStoreLockedError);

  let records: Awaited<ReturnType<ReturnType<typeof journalStore>['load']>> | undefined;
  while (records === undefined && Date.now() - killedAt < STALE_MS + 3000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    records = await journalStore(storage, ACCOUNT)
      .load()
      .catch(() => undefined);
  }
  expect(records?.map((r) => r.id)).toStrictEqual(['held']);
  // The new owner can write, and a third party is now refused by it.
  await journalStore(storage, ACCOUNT).save([{ id: 'mine', operation: 1 }]);
  expect(await loadError(open())).toBeInstanceOf(XcapStoreLockedError);
}, 20_000);

it('frees the lock at once when the owner exits on SIGTERM', async () => {
  const owner = await startHolder();
  const exit = once(owner, 'exit');
  owner.kill('SIGTERM');
  await exit;
  // proper-lockfile removes its locks on exit (signal-exit), so no stale wait is needed.
  expect((await journalStore(open(), ACCOUNT).load()).map((r) => r.id)).toStrictEqual(['held']);
}, 20_000);
