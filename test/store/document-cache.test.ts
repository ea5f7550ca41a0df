import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import {
  type CachedDocument,
  documentCache,
  documentCacheKey,
} from '../../src/store/document-cache.js';
import { XcapStoreCorruptError } from '../../src/store/errors.js';
import { fileStorage } from '../../src/store/file-storage.js';
import { journalStore } from '../../src/store/journal-store.js';
import { memoryStorage } from '../../src/store/memory-storage.js';

const XML =
  '<?xml version="1.0" encoding="UTF-8"?>\r\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n  <list name="Zoë"/>\n</resource-lists>\n';

const docs: Record<string, CachedDocument> = {
  'resource-lists': {
    content: XML,
    etag: '"abc-1"',
    contentType: 'application/resource-lists+xml',
    headers: { 'x-alternative-location': 'https://xcap.example.com/alt' },
  },
  'pres-rules': { content: '<ruleset/>', etag: null },
};

describe('documentCache', () => {
  it('loads {} when nothing is cached', async () => {
    expect(await documentCache(memoryStorage(), 'alice@example.com').load()).toStrictEqual({});
  });

  it('round-trips documents byte for byte with their ETags and headers', async () => {
    const cache = documentCache(memoryStorage(), 'alice@example.com');
    await cache.save(docs);
    expect(await cache.load()).toStrictEqual(docs);
    await cache.save({ 'pres-rules': { content: '<ruleset a="1"/>', etag: '"2"' } });
    expect(await cache.load()).toStrictEqual({
      'pres-rules': { content: '<ruleset a="1"/>', etag: '"2"' },
    });
  });

  it('clears only its own account', async () => {
    const storage = memoryStorage();
    const alice = documentCache(storage, 'alice@example.com');
    await alice.save(docs);
    await documentCache(storage, 'bob@example.com').save(docs);
    await journalStore(storage, 'alice@example.com').save([{ id: '1', operation: 'x' }]);
    await alice.clear();
    expect(await alice.load()).toStrictEqual({});
    expect(await storage.keys()).toStrictEqual([
      ['alice@example.com', 'journal'],
      ['bob@example.com', 'documents'],
    ]);
  });

  it('keeps the cache and the journal in separate files, so a journal save leaves the cache file alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxcap-cache-'));
    try {
      const storage = fileStorage(dir);
      await documentCache(storage, 'alice@example.com').save(docs);
      await journalStore(storage, 'alice@example.com').save([{ id: '1', operation: 'x' }]);
      expect(await storage.keys(['alice@example.com'])).toStrictEqual([
        ['alice@example.com', 'documents'],
        ['alice@example.com', 'journal'],
      ]);
      await storage.close();
      const reopened = fileStorage(dir);
      expect(await documentCache(reopened, 'alice@example.com').load()).toStrictEqual(docs);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed documents with XcapValidationError and keeps the old cache', async () => {
    const cache = documentCache(memoryStorage(), 'alice@example.com');
    await cache.save(docs);
    const bad: unknown[] = [
      { a: { content: 1, etag: null } },
      { a: { content: '', etag: 5 } },
      { a: { content: '' } },
      { a: { content: '', etag: null, headers: { h: 1 } } },
      [],
    ];
    for (const value of bad) {
      await expect(cache.save(value as never)).rejects.toBeInstanceOf(XcapValidationError);
    }
    expect(await cache.load()).toStrictEqual(docs);
  });

  it('reports a stored cache of the wrong shape as XcapStoreCorruptError', async () => {
    const storage = memoryStorage();
    await storage.save(documentCacheKey('alice@example.com'), { a: { etag: null } });
    await expect(documentCache(storage, 'alice@example.com').load()).rejects.toBeInstanceOf(
      XcapStoreCorruptError,
    );
  });
});

describe('documentCache: documents known to be absent', () => {
  it('a null entry (known to be absent) round-trips; a cache written without one loads as before', async () => {
    const storage = memoryStorage();
    const cache = documentCache(storage, 'alice@example.com');
    await cache.save({ ...docs, 'pidf-manipulation': null });
    expect(await cache.load()).toStrictEqual({ ...docs, 'pidf-manipulation': null });
    // An existing store (no null entries) is read unchanged.
    await storage.save(documentCacheKey('alice@example.com'), docs);
    expect(await cache.load()).toStrictEqual(docs);
  });
});
