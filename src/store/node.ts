/**
 * The local store for Node: everything of `./index.ts` plus the file adapter. This is the only
 * store entry point that imports `node:` modules (through `file-storage.ts`,
 * `durable-json-file.ts`, `file-layout.ts` and `postgres-storage.ts`); browser bundles import
 * `./index.ts`.
 */

export { type FileStorageOptions, fileStorage } from './file-storage.js';
export * from './index.js';
export {
  lockKey,
  type OwnershipLost,
  type PgPool,
  type PgQueryable,
  type PgResult,
  type PgSession,
  type PostgresStorage,
  type PostgresStorageOptions,
  postgresStorage,
} from './postgres-storage.js';
