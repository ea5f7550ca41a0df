/**
 * The local views against Kamailio: with the XCAP root unreachable (nothing listens on it), an
 * added contact is in `local.addressbook$` at once, marked pending, and listed by `pending$`;
 * once the root answers (a TCP forwarder to the real server opens on that port) the edit is
 * synced: confirmed in `addressbook$`, no longer pending, `pending$` empty.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { filter, firstValueFrom, type Observable, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 20_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

/** A TCP forwarder to the real XCAP server on a fixed port, closed until `open()`. */
async function forwarder(target: URL) {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  return {
    port,
    open: () =>
      new Promise<void>((resolve) => {
        server = createServer((client) => {
          const upstream = connect(Number(target.port), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => {
              client.destroy();
              upstream.destroy();
            });
          }
          client.pipe(upstream).pipe(client);
        });
        server.listen(port, '127.0.0.1', resolve);
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server !== null) await new Promise<void>((r) => server?.close(() => r()));
      server = null;
    },
  };
}

const managers: XcapManager[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  for (const c of closers.splice(0)) await c();
});

describe('local views against Kamailio', () => {
  const user = poolUser(133);

  it('an edit made while the root is unreachable shows at once, pending; once reachable it is confirmed and pending$ empties', async () => {
    wipeUserDocuments(user);
    const real = new URL(testServer().xcapRoot);
    const proxy = await forwarder(real);
    closers.push(proxy.close);
    const root = `http://127.0.0.1:${proxy.port}${real.pathname}`;
    const m = createXcapManager({
      account: {
        id: user.id,
        auth: { username: user.username, password: user.password },
        xcap: { root, xcapDiff: false },
      },
      storage: memoryStorage(),
      backoff: { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 0 },
    });
    managers.push(m);
    await m.load();
    await m.start();
    const errors: string[] = [];
    m.error$.subscribe((e) => errors.push(e.code));

    const bob = new Contact({
      name: 'Bob',
      uris: [new ContactURI({ uri: 'sip:bob@example.com', type: 'SIP' })],
    });
    m.addContact(bob);
    let local: { names: string[]; pending: boolean } | undefined;
    m.local.addressbook$
      .subscribe(({ value, pendingIds }) => {
        local = {
          names: value.contacts.map((c) => c.name),
          pending: pendingIds.has(bob.id),
        };
      })
      .unsubscribe();
    expect(local).toEqual({ names: ['Bob'], pending: true });
    const pending = await firstValueFrom(m.pending$);
    expect(pending.map((e) => [e.operation.type, e.state])).toEqual([['addContact', 'waiting']]);
    // Still unreachable a while later: still pending, nothing confirmed.
    await new Promise((r) => setTimeout(r, 500));
    expect(m.state).toBe('initializing');
    expect(await firstValueFrom(m.pending$)).toHaveLength(1);

    await proxy.open();
    const confirmed = await wait(m.addressbook$, (b) => b.contact(bob.id) !== undefined);
    expect(confirmed.contact(bob.id)?.name).toBe('Bob');
    const synced = await wait(m.local.addressbook$, (b) => !b.pending);
    expect(synced.value.contact(bob.id)?.name).toBe('Bob');
    expect(synced.pendingIds.size).toBe(0);
    expect(await wait(m.pending$, (p) => p.length === 0)).toEqual([]);
    expect(errors).not.toContain('RXCAP_OPERATION_DROPPED');
  });
});
