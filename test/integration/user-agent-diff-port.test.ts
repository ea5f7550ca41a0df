/**
 * xcap-diff over the application's own sip.js UserAgent (a softphone's): the manager's
 * subscription rides on the UserAgent's WebSocket, so the process keeps one connection to the
 * SIP proxy, and rxcap leaves the UserAgent running when it stops.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { UserAgent } from 'sip.js';
import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Contact,
  ContactURI,
  createXcapManager,
  memoryStorage,
  userAgentDiffPort,
  type XcapManager,
} from '../../src/node.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const user = poolUser(586);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function manager(
  extra: Partial<Parameters<typeof createXcapManager>[0]> = {},
  xcapDiff = true,
): XcapManager {
  const m = createXcapManager({
    account: {
      id: user.id,
      auth: { password: user.password },
      xcap: { root: testServer().xcapRoot, xcapDiff },
    },
    storage: memoryStorage(),
    pollPeriod: 600_000, // only a NOTIFY can bring a change within the test
    backoff: { initialDelay: 50, maxDelay: 500 },
    ...extra,
  });
  cleanups.push(() => m.close());
  return m;
}

describe("xcap-diff over the application's sip.js UserAgent", () => {
  it('learns of another device’s edit over the one WebSocket of the UserAgent, and leaves it running', async () => {
    wipeUserDocuments(user);
    let sockets = 0;
    const previous = (globalThis as { WebSocket?: unknown }).WebSocket;
    // Counts the WebSockets opened in this process from here on.
    (globalThis as { WebSocket?: unknown }).WebSocket = class extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets += 1;
      }
    };
    cleanups.push(async () => {
      (globalThis as { WebSocket?: unknown }).WebSocket = previous;
    });
    const softphone = new UserAgent({
      uri: UserAgent.makeURI(user.id)!,
      transportOptions: { server: testServer().sip.ws },
      authorizationUsername: user.username,
      authorizationPassword: user.password,
      logBuiltinEnabled: false,
      logLevel: 'error',
    });
    await softphone.start();
    cleanups.push(() => softphone.stop());

    const page = manager({ sip: userAgentDiffPort(softphone) });
    await page.start();
    const insync = (m: XcapManager) =>
      firstValueFrom(
        m.state$.pipe(
          filter((s) => s.state === 'insync'),
          timeout(20_000),
        ),
      );
    await insync(page);

    const other = manager({}, false); // another device without xcap-diff
    await other.start();
    await insync(other);
    other.addContact(
      new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }),
    );
    const book = await firstValueFrom(
      page.addressbook$.pipe(
        filter((b) => b.contacts.some((c) => c.name === 'Bob')),
        timeout(10_000),
      ),
    );
    expect(book.contacts.map((c) => c.name)).toEqual(['Bob']);
    expect(sockets).toBe(1); // the softphone's; rxcap opened none

    await page.stop();
    expect(softphone.transport.isConnected()).toBe(true);
  });
});
