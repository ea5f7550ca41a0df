/**
 * The local store, browser-safe part: the storage port, the memory adapter, the document cache
 * and the journal persistence, and the store's errors. The file adapter is Node-only and is
 * exported from `./node.ts`.
 */
export { type CachedDocument, documentCache, documentCacheKey } from './document-cache.js';
export {
  CHANGE_LOG_LIMITS,
  type ChangeLogLimits,
  type ChangeLogTrees,
  documentChangeLog,
  type TreeDocument,
  xmlDocumentChangeLog,
} from './document-change-log.js';
export {
  XcapJournalRecordError,
  XcapStoreClosedError,
  XcapStoreCorruptError,
  XcapStoreIoError,
  XcapStoreLockedError,
} from './errors.js';
export {
  type JournalRecord,
  journalKey,
  journalStore,
  refusedJournalKey,
} from './journal-store.js';
export { memoryStorage } from './memory-storage.js';
export {
  checkKey,
  compareKeys,
  hasPrefix,
  type StorageKey,
  type StoragePort,
  toJsonText,
} from './storage-port.js';
