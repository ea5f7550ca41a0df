/**
 * manager.local on virtual time (./virtual-manager.ts): the confirmed data with every pending
 * edit applied, synchronously after each edit, offline and with nothing cached.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { operations } from '../../src/journal/operations.js';
import { localViews } from '../../src/manager/local-views.js';
import { initialManagerContext } from '../../src/manager/machine.js';
import type { ManagerContext } from '../../src/manager/machine-types.js';
import { Contact } from '../../src/model/contact.js';
import { Group } from '../../src/model/group.js';
import { documentCache } from '../../src/store/document-cache.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';
import {
  bob,
  closeManagers,
  countingEngine,
  ID,
  latest,
  names,
  record,
  setup,
} from './virtual-manager.js';

afterEach(closeManagers);

describe('manager.local: the confirmed data with every pending edit applied', () => {
  it('addContact, then a synchronous read of local.addressbook$ holds Bob, marked pending (offline, nothing cached)', async () => {
    const { m } = setup();
    await m.load();
    await m.start();
    const b = bob();
    m.addContact(b);
    const local = latest(m.local.addressbook$);
    expect(local?.value.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect(local?.pending).toBe(true);
    expect([...(local?.pendingIds ?? [])]).toEqual([b.id]);
    // The confirmed stream keeps its contract: nothing synced, nothing emitted.
    expect(latest(m.addressbook$)).toBeUndefined();
  });

  it('an account with nothing cached shows as empty once loaded, before any edit', async () => {
    const { m } = setup();
    expect(latest(m.local.addressbook$)).toBeUndefined();
    await m.load();
    const local = latest(m.local.addressbook$);
    expect(local?.value.contacts).toEqual([]);
    expect(local?.pending).toBe(false);
    expect(latest(m.local.presenceRules$)?.value.defaultPolicy).toBeNull();
    expect(latest(m.local.icon$)).toEqual({ value: null, pending: false });
  });

  it('edits made before load() show at once (applied to an empty account), then on the cache once loaded', async () => {
    const storage = memoryStorage();
    const xml = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'e1' } });
    const { m } = setup({ storage });
    const seen = record(m.local.addressbook$);
    m.addContact(bob());
    expect(seen.map((v) => v.value.contacts.length)).toEqual([1]);
    await m.load();
    expect(seen.map((v) => v.value.contacts.length)).toEqual([1, 9]);
    expect(seen[1]?.value.contacts.filter((c) => seen[1]?.pendingIds.has(c.id))).toHaveLength(1);
  });

  it('a cached addressbook with an offline edit: every cached contact, plus the edit marked pending', async () => {
    const storage = memoryStorage();
    const xml = readFileSync(join(REFERENCE_LAYOUT_DIR, 'resource-lists.xml'), 'utf8');
    await documentCache(storage, ID).save({ 'resource-lists': { content: xml, etag: 'e1' } });
    const { m } = setup({ storage });
    await m.load();
    const confirmed = record(m.addressbook$);
    expect(confirmed.map((b) => b.contacts.length)).toEqual([8]);
    const first = latest(m.local.addressbook$)!.value.contacts[0]!;
    m.updateContact(first, { name: 'Renamed' });
    m.setDefaultPresencePolicy('block');
    const local = latest(m.local.addressbook$)!;
    expect(local.value.contacts).toHaveLength(8);
    expect(local.value.contact(first.id)?.name).toBe('Renamed');
    expect([...local.pendingIds]).toEqual([first.id]);
    expect(latest(m.local.presenceRules$)).toMatchObject({
      value: { defaultPolicy: 'block' },
      pending: true,
    });
    expect(latest(m.local.dialogRules$)?.pending).toBe(false);
    // The confirmed streams did not move.
    expect(confirmed.map((b) => b.contacts.length)).toEqual([8]);
    expect(latest(m.addressbook$)?.contact(first.id)?.name).toBe(first.name);
  });

  it('a transaction of three edits: one apply and one value, at the commit', async () => {
    const engine = countingEngine();
    const { m } = setup({ engine });
    await m.load();
    const seen = record(m.local.addressbook$);
    const before = engine.applies;
    const friends = new Group({ name: 'Friends' });
    const b = bob();
    m.transaction(() => {
      m.addGroup(friends);
      m.addContact(b);
      m.addGroupMember(friends, b);
      expect(seen).toHaveLength(1); // nothing before the commit
    });
    expect(engine.applies - before).toBe(1);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.value.group(friends.id)?.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect([...(seen[1]?.pendingIds ?? [])].sort()).toEqual([friends.id, b.id].sort());
  });

  it('nothing is computed while nobody watches; a late subscriber gets the latest value', async () => {
    const engine = countingEngine();
    const { m } = setup({ engine });
    await m.load();
    m.addContact(bob());
    m.addContact(new Contact({ name: 'Carol', uris: [] }));
    m.addGroup(new Group({ name: 'Work' }));
    expect(engine.applies).toBe(0);
    const late = latest(m.local.addressbook$);
    expect(engine.applies).toBe(1);
    expect(late?.value.contacts.map((c) => c.name)).toEqual(['Bob', 'Carol']);
    expect(late?.value.groups.map((g) => g.name)).toEqual(['Work']);
    // Replaying: another subscriber gets the same value without another computation.
    expect(latest(m.local.addressbook$)).toBe(late);
    expect(engine.applies).toBe(1);
  });

  it('the edit turns confirmed when the server is back: pendingIds empty, addressbook$ has it, pending$ empties', async () => {
    const { m, net, advance } = setup();
    await m.load();
    await m.start();
    const pending = record(m.pending$);
    const b = bob();
    m.addContact(b);
    expect(names(latest(m.pending$))).toEqual(['addContact:waiting']);
    await advance(2_000);
    expect(m.state).toBe('initializing');
    net.online = true;
    await advance(20_000);
    expect(m.state).toBe('insync');
    expect(latest(m.pending$)).toEqual([]);
    const local = latest(m.local.addressbook$)!;
    expect(local.value.contact(b.id)?.name).toBe('Bob');
    expect(local.pendingIds.size).toBe(0);
    expect(local.pending).toBe(false);
    expect(latest(m.addressbook$)?.contact(b.id)?.name).toBe('Bob');
    expect(pending.map(names)).toContainEqual(['addContact:sending']);
    expect(pending.at(-1)).toEqual([]);
  });
});

describe('manager.local: edits made from a subscriber', () => {
  it('an edit made inside a local.addressbook$ callback is in the next value, emitted before the outer edit returns', async () => {
    const { m } = setup();
    await m.load();
    const seen: string[][] = [];
    m.local.addressbook$.subscribe(({ value }) => {
      seen.push(value.contacts.map((c) => c.name));
      if (value.contacts.length === 1) m.addContact(new Contact({ name: 'Carol', uris: [] }));
    });
    m.addContact(bob());
    expect(seen).toEqual([[], ['Bob'], ['Bob', 'Carol']]);
  });
});

describe('localViews: what makes the views stale', () => {
  const settings = { id: ID, auth: { password: 'pw' }, xcap: { root: 'http://xcap.test/x' } };
  const loaded = (sync: Partial<ManagerContext['sync']>): ManagerContext => {
    const c = initialManagerContext();
    return { ...c, settings, load: 'loaded', sync: { ...c.sync, ...sync } };
  };

  it('a sync that changes nothing computes nothing (same documents in a new container, a new normalize entry)', () => {
    const engine = countingEngine();
    const views = localViews({ engine, checkRoots: (d) => d, reportError: () => {} });
    const edit = { id: 'e1', operation: operations.addContact(bob()) };
    const doc = {
      content: '<x/>',
      etag: 'e',
      root: parseXml('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>'),
    };
    const seen = record(views.local.addressbook$);
    views.step(
      loaded({
        documents: { 'resource-lists': doc },
        journal: [{ id: 'normalize-1', operation: { type: 'normalize' } }, edit],
      }),
      [],
    );
    expect(engine.applies).toBe(1);
    expect(seen.map((v) => v.value.contacts.map((c) => c.name))).toEqual([['Bob']]);
    // A fetch that found nothing new: a new documents object holding the same document, a new
    // normalize entry ahead of the same edit.
    views.step(
      loaded({
        documents: { 'resource-lists': doc },
        journal: [{ id: 'normalize-2', operation: { type: 'normalize' } }, edit],
      }),
      [],
    );
    expect(engine.applies).toBe(1);
    // Another document: computed again.
    views.step(
      loaded({ documents: { 'resource-lists': { ...doc, etag: 'f' } }, journal: [edit] }),
      [],
    );
    expect(engine.applies).toBe(2);
    expect(seen).toHaveLength(1); // same value: not emitted again
  });
});
