import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Group } from '../src/model/group.js';
import { createXcapManager } from '../src/node.js';
import { journalStore } from '../src/store/journal-store.js';
import { fileStorage } from '../src/store/node.js';

const ID = 'sip:alice@example.com';
/** Nothing listens on port 9: the managers never reach a server. */
const account = {
  id: ID,
  auth: { password: 'pw' },
  xcap: { root: 'http://127.0.0.1:9/xcap-root' },
};
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env.RXCAP_STORE_DIR;
});

describe('createXcapManager (Node entry, default file store)', () => {
  it('close() releases the default store: a new manager for the account can load it', async () => {
    // Regression: the default file store a manager created stayed locked after stop(), with
    // no way to release it, so a new manager for the same account in the same process (a
    // re-login) failed with XcapStoreLockedError.
    const dir = mkdtempSync(join(tmpdir(), 'rxcap-node-'));
    dirs.push(dir);
    process.env.RXCAP_STORE_DIR = dir;
    const first = createXcapManager({ account });
    await first.load();
    first.addGroup(new Group({ name: 'kept' }));
    await first.close();
    expect(first.state).toBe('stopped');
    const second = createXcapManager({ account });
    await second.load();
    await second.close();
    const storage = fileStorage(dir);
    const records = await journalStore(storage, ID).load();
    await storage.close();
    expect(records.map((r) => (r.operation as { type: string }).type)).toEqual(['addGroup']);
  });

  it('close() leaves a store the application passed open (it is the application’s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxcap-node-'));
    dirs.push(dir);
    const storage = fileStorage(dir);
    const m = createXcapManager({ account, storage });
    await m.load();
    await m.close();
    expect(await journalStore(storage, ID).load()).toEqual([]);
    await storage.close();
  });
});
