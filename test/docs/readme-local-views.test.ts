/**
 * The README's "Local views and pending edits" snippet, run as written (it is plain JavaScript:
 * no imports, no type annotations) against an offline manager with nothing cached: the contact
 * list must show Bob as syncing when `addContact` returns, and the badge count one change.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapNetworkError } from '../../src/client/errors.js';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { HttpFactory } from '../../src/streams/ports.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The first ```ts block after `heading` in the README. */
async function readmeSnippet(heading: string): Promise<string> {
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no section ${heading}`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m?.[1]) throw new Error(`no ts block under ${heading}`);
  return m[1];
}

const ROOT = 'http://127.0.0.1:9/xcap-root';
const offline: HttpFactory = () => {
  const fail = (method: string) =>
    throwError(() => new XcapNetworkError({ url: ROOT, method, cause: new Error('refused') }));
  return { get: () => fail('GET'), put: () => fail('PUT'), delete: () => fail('DELETE') };
};

let manager: XcapManager | undefined;
afterEach(async () => {
  await manager?.close();
  manager = undefined;
});

describe('README: local views and pending edits', () => {
  it('shows Bob as syncing when addContact returns, offline with nothing cached', async () => {
    const snippet = await readmeSnippet('### Local views and pending edits');
    manager = createXcapManager({
      account: { id: 'alice@example.com', auth: { password: 'pw' }, xcap: { root: ROOT } },
      storage: memoryStorage(),
      http: offline,
    });
    await manager.load();
    const bob = new Contact({
      name: 'Bob',
      uris: [new ContactURI({ uri: 'sip:bob@example.com' })],
    });
    const rendered: unknown[] = [];
    const badges: string[] = [];
    const avatars: unknown[] = [];
    const contactList = { render: (rows: unknown) => rendered.push(rows) };
    const badge = { set: (text: string) => badges.push(text) };
    const avatar = { show: (icon: unknown, o: unknown) => avatars.push([icon, o]) };
    new Function('manager', 'bob', 'contactList', 'badge', 'avatar', snippet)(
      manager,
      bob,
      contactList,
      badge,
      avatar,
    );
    expect(rendered).toEqual([[], [{ name: 'Bob', syncing: true }]]);
    expect(badges).toEqual(['synced', '1 not synced']);
    expect(avatars).toEqual([[null, { dimmed: false }]]);
  });
});
