import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { runStorageContract } from '../../src/testing/storage-contract.js';

runStorageContract(
  { name: 'memoryStorage', durable: false, setup: () => ({ open: () => memoryStorage() }) },
  { describe, it, expect, beforeEach, afterEach },
);
