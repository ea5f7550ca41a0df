import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../../src/store/file-storage.js';
import { runStorageContract } from './storage-contract.js';

runStorageContract({
  name: 'fileStorage',
  durable: true,
  setup: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxcap-store-'));
    return {
      open: () => fileStorage(join(dir, 'store')),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
