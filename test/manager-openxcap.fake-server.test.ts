/**
 * Managers against a fake OpenXCAP (single-use Digest nonces, challenge-less 401s, 201 for a
 * new document, icons limited to 300 KiB of base64; test/support/fake-openxcap-server.ts).
 *
 * Regression: every manager's second request failed with `RXCAP_AUTH missing or unparsable
 * WWW-Authenticate challenge` and the manager stayed in `fetching` (8 managers: 0 in sync).
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { XcapHttpError } from '../src/client/errors.js';
import type { XcapError } from '../src/errors.js';
import type { XcapManager } from '../src/manager.js';
import { createXcapManager } from '../src/manager.js';
import { Contact } from '../src/model/contact.js';
import { Icon, PORTABLE_ICON_BYTES } from '../src/model/icon.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import {
  type FakeOpenXcapServer,
  OPENXCAP_ICON_MAX_BASE64,
  startFakeOpenXcapServer,
} from './support/fake-openxcap-server.js';

let server: FakeOpenXcapServer | undefined;
const managers: XcapManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await server?.close();
  server = undefined;
});

function managerFor(root: string, user: string): { manager: XcapManager; errors: XcapError[] } {
  const manager = createXcapManager({
    account: {
      id: `sip:${user}@example.com`,
      auth: { password: `pw-${user}` },
      xcap: { root, xcapDiff: false },
    },
    storage: memoryStorage(),
    client: { timeoutMs: 10_000 },
    backoff: { initialDelay: 20, maxDelay: 200, factor: 2, jitter: 0 },
    pollPeriod: 600_000,
  });
  managers.push(manager);
  const errors: XcapError[] = [];
  manager.error$.subscribe((e) => errors.push(e));
  return { manager, errors };
}

const insync = (m: XcapManager) =>
  firstValueFrom(
    m.state$.pipe(
      filter((s) => s.state === 'insync'),
      timeout(30_000),
    ),
  );

describe('managers against a fake OpenXCAP', () => {
  it('8 managers starting at once all reach insync, write new documents (201) and edit them again', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `u${i + 1}`);
    server = await startFakeOpenXcapServer({
      users: Object.fromEntries(users.map((u) => [u, `pw-${u}`])),
    });
    const runs = users.map((u) => managerFor(server!.root, u));
    for (const [i, r] of runs.entries())
      r.manager.addContact(
        new Contact({ name: `friend ${i}`, uris: [{ uri: `sip:f${i}@x.org` }] }),
      );
    await Promise.all(runs.map((r) => r.manager.start()));
    await Promise.all(runs.map((r) => insync(r.manager)));
    expect(runs.flatMap((r) => r.errors)).toEqual([]);
    // Each account's resource-lists was created (201) …
    const created = server.exchanges.filter((x) => x.method === 'PUT' && x.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(8);
    // … and a second edit uses the ETag of the 201 without a conflict.
    for (const r of runs) r.manager.addContact(new Contact({ name: 'second' }));
    await Promise.all(runs.map((r) => r.manager.flush()));
    await Promise.all(
      runs.map((r) =>
        firstValueFrom(
          r.manager.addressbook$.pipe(
            filter((a) => a.contacts.length === 2),
            timeout(30_000),
          ),
        ),
      ),
    );
    await Promise.all(runs.map((r) => insync(r.manager)));
    expect(server.exchanges.filter((x) => x.status === 412)).toEqual([]);
    // No selector carried xmlns() (OpenXCAP answers 400).
    expect(server.exchanges.filter((x) => x.status === 400)).toEqual([]);
    // Round trips: every authenticated request costs its challenge and its answer, plus at
    // most one probe of a reused nonce (and the bare request after it) per manager.
    const { accepted, challenges, invalidNonce, badCredentials } = server.stats;
    expect(badCredentials).toBe(0);
    expect(invalidNonce).toBeLessThanOrEqual(8);
    expect(challenges).toBe(accepted);
    const authenticated = server.exchanges.filter((x) => !x.url.includes('/xcap-caps/'));
    expect(authenticated.length).toBe(2 * accepted + invalidNonce);
  }, 60_000);

  it('a wrong password: error$ gets an XcapHttpError 401 saying the credentials were refused, with the server’s body', async () => {
    server = await startFakeOpenXcapServer({ users: { alice: 'another-password' } });
    const { manager } = managerFor(server.root, 'alice');
    await manager.start();
    const e = await firstValueFrom(manager.error$.pipe(timeout(30_000)));
    expect(e).toBeInstanceOf(XcapHttpError);
    expect((e as XcapHttpError).status).toBe(401);
    expect(e.message).toContain('the server refused the credentials');
    expect((e as XcapHttpError).body).toContain('Invalid credentials or response');
    expect(manager.state).not.toBe('insync');
  }, 60_000);

  it('an icon of PORTABLE_ICON_BYTES is stored; one above OpenXCAP’s 300 KiB of base64 is refused (409), reported, and the manager stays in sync', async () => {
    server = await startFakeOpenXcapServer({ users: { alice: 'pw-alice' } });
    const { manager, errors } = managerFor(server.root, 'alice');
    await manager.start();
    await insync(manager);
    // PORTABLE_ICON_BYTES is exactly what OpenXCAP takes: its base64 fills the 300 KiB.
    expect(Math.ceil(PORTABLE_ICON_BYTES / 3) * 4).toBe(OPENXCAP_ICON_MAX_BASE64);
    const fits = new Uint8Array(PORTABLE_ICON_BYTES).fill(5);
    manager.setStatusIcon(new Icon({ data: fits, mimeType: 'image/png' }));
    await manager.flush();
    await firstValueFrom(
      manager.icon$.pipe(
        filter((i) => i !== null && i.data.length === PORTABLE_ICON_BYTES),
        timeout(30_000),
      ),
    );
    await insync(manager);
    expect(errors).toEqual([]);
    const bytes = new Uint8Array(PORTABLE_ICON_BYTES + 3).fill(7);
    manager.setStatusIcon(new Icon({ data: bytes, mimeType: 'image/png' }));
    const rejected = await firstValueFrom(
      manager.error$.pipe(
        filter((e) => e.code === 'RXCAP_OPERATION_REJECTED'),
        timeout(30_000),
      ),
    );
    expect(rejected.code).toBe('RXCAP_OPERATION_REJECTED');
    await insync(manager);
    expect(errors.map((e) => e.code)).toEqual(['RXCAP_OPERATION_REJECTED']);
  }, 60_000);
});
