import { memoryStorage } from '../../src/store/memory-storage.js';
import { runStorageContract } from './storage-contract.js';

runStorageContract({
  name: 'memoryStorage',
  durable: false,
  setup: () => ({ open: () => memoryStorage() }),
});
