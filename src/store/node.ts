/**
 * The local store for Node: everything of `./index.ts` plus the file adapter. This is the only
 * store entry point that imports `node:` modules (through `file-storage.ts`,
 * `durable-json-file.ts` and `file-layout.ts`); browser bundles import `./index.ts`.
 */

export { type FileStorageOptions, fileStorage } from './file-storage.js';
export * from './index.js';
