/**
 * rxcap in a real browser: Debian's Chromium (scripts/install-chromium.sh), driven by
 * playwright-core, loads the web example (examples/web/) against the real Kamailio test server
 * — once through the example's same-origin reverse proxy, once cross-origin with the test
 * server's CORS — and checks what a user of the page sees: the first sync, an edit reaching the
 * server, another device's edit arriving through xcap-diff over WebSocket, an edit made while
 * the server is down surviving a reload (IndexedDB) and syncing when it is back, and a second
 * tab on the account waiting instead of syncing too (Web Locks).
 *
 * Pool users u597–u599 belong to this file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWebExample,
  serveWebExample,
  type WebExampleServer,
} from '../../examples/web/serve.js';
import { Contact, ContactURI, createXcapManager, memoryStorage } from '../../src/node.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const CHROMIUM = process.env.RXCAP_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser;
let server: WebExampleServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run bash scripts/install-chromium.sh`);
  await buildWebExample();
  server = await serveWebExample({ xcapRoot: testServer().xcapRoot });
  // --no-sandbox: the suite runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Another device of the account: a Node manager that makes one edit and leaves. */
async function otherDevice(user: TestUser, edit: (m: ReturnType<typeof nodeManager>) => void) {
  const m = nodeManager(user);
  await m.load();
  await m.start();
  await insync(m);
  edit(m);
  await insync(m);
  await m.close();
}

/** The contact names on the server, as a fresh manager reads them. */
async function serverNames(user: TestUser): Promise<string[]> {
  const m = nodeManager(user);
  await m.load();
  await m.start();
  await insync(m);
  const book = await firstValueFrom(m.addressbook$);
  await m.close();
  return book.contacts.map((c) => c.name).sort();
}

function nodeManager(user: TestUser) {
  return createXcapManager({
    account: {
      id: user.id,
      auth: { password: user.password },
      xcap: { root: testServer().xcapRoot, xcapDiff: false },
    },
    storage: memoryStorage(),
  });
}

async function insync(m: ReturnType<typeof nodeManager>): Promise<void> {
  // Wait for an insync that comes after the last journaled edit was sent.
  await m.flush();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not in sync within 20 s')), 20_000);
    const sub = m.state$.subscribe(({ state }) => {
      if (state === 'insync') {
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      }
    });
  });
}

/**
 * Runs a test-server script on the running server's own ports (from its env.json), whatever
 * the environment of this process says: a restart must come back where the page looks for it.
 */
function testServerScript(script: string, ...args: string[]): void {
  const env = testServer();
  execFileSync('bash', [`test-server/${script}`, ...args], {
    stdio: 'ignore',
    env: {
      ...process.env,
      RXCAP_XCAP_PORT: new URL(env.xcapRoot).port,
      RXCAP_SIP_PORT: env.sip.tcp.split(':').pop(),
      RXCAP_WS_PORT: new URL(env.sip.ws).port,
    },
  });
}

function pageUrl(user: TestUser, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    id: user.id,
    password: user.password,
    ws: testServer().sip.ws,
    poll: '3600000', // an hour: remote changes can only arrive through xcap-diff
    maxDelay: '1000',
    ...params,
  });
  return `${server.url}?${q}`;
}

async function waitForNames(page: Page, want: string[], timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (w) => {
      const have = [...document.querySelectorAll('#contacts li input.name')].map(
        (e) => (e as HTMLInputElement).value,
      );
      return w.every((n) => have.includes(n));
    },
    want,
    { timeout },
  );
}

async function waitForText(page: Page, selector: string, text: string, timeout = 15_000) {
  await page.waitForFunction(
    ([s, t]) => document.querySelector(s!)?.textContent?.includes(t!) ?? false,
    [selector, text],
    { timeout },
  );
}

async function addContact(page: Page, name: string, uri: string): Promise<void> {
  await page.fill('#add input[name=name]', name);
  await page.fill('#add input[name=uri]', uri);
  await page.click('#add button');
  await waitForText(page, '#saved', 'edits saved in this browser');
}

async function waitForServer(user: TestUser, want: string[], timeout = 20_000): Promise<string[]> {
  const end = Date.now() + timeout;
  let have: string[] = [];
  while (Date.now() < end) {
    have = await serverNames(user);
    if (want.every((n) => have.includes(n))) return have;
    await new Promise((r) => setTimeout(r, 300));
  }
  return have;
}

/** The text of every journal the page keeps in IndexedDB (database `rxcap`). */
async function storedJournals(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('rxcap');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const store = db.transaction('entries').objectStore('entries');
          const keys = store.getAllKeys();
          const values = store.getAll();
          values.onsuccess = () => {
            db.close();
            resolve(
              keys.result
                .map((k, i) => [k, values.result[i]] as const)
                .filter(([k]) => Array.isArray(k) && k.includes('journal'))
                .map(([, v]) => String(v))
                .join('\n'),
            );
          };
          values.onerror = () => reject(values.error);
        };
      }),
  );
}

function xcapRequests(page: Page, into: string[]): void {
  page.on('request', (r) => {
    if (r.url().includes('/xcap-root/')) into.push(`${r.method()} ${r.url()}`);
  });
}

const carol = () =>
  new Contact({
    name: 'Carol',
    uris: [new ContactURI({ uri: 'sip:carol@example.com', type: 'SIP' })],
  });

describe('the web example in Chromium, same origin (reverse proxy)', () => {
  const user = poolUser(597);
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    wipeUserDocuments(user);
    await otherDevice(user, (m) => m.addContact(carol()));
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page]', e));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('first sync shows the contacts', async () => {
    await page.goto(pageUrl(user));
    await waitForNames(page, ['Carol']);
    await waitForText(page, '#status', 'insync');
    expect(await page.textContent('#owner')).toBe('this tab syncs');
    expect(server.proxied.some((r) => r.method === 'GET')).toBe(true);
  });

  it('an edit in the page reaches the server', async () => {
    await addContact(page, 'Dave', 'sip:dave@example.com');
    expect(await waitForServer(user, ['Dave'])).toEqual(['Carol', 'Dave']);
  });

  it("another device's edit appears through xcap-diff (polling is an hour)", async () => {
    await otherDevice(user, (m) =>
      m.addContact(
        new Contact({ name: 'Erin', uris: [new ContactURI({ uri: 'sip:erin@example.com' })] }),
      ),
    );
    await waitForNames(page, ['Erin'], 10_000);
  });

  it('an edit made while the server is down survives a reload and syncs when it is back', async () => {
    testServerScript('stop.sh');
    try {
      const li = page.locator('#contacts li[data-name="Carol"]');
      await li.locator('input.name').fill('Carol Offline');
      await li.getByText('Rename').click();
      await waitForText(page, '#saved', 'edits saved in this browser');
      await page.reload();
      // The reloaded page shows the cached documents from IndexedDB, the server still down;
      // the rename waits in the journal there (addressbook$ is the server's view until it
      // syncs), and only IndexedDB can have carried it across the reload.
      await waitForNames(page, ['Carol', 'Dave', 'Erin']);
      expect(await page.textContent('#status')).not.toBe('insync');
      expect(await storedJournals(page)).toContain('Carol Offline');
    } finally {
      testServerScript('start.sh', '--keep');
    }
    expect(await waitForServer(user, ['Carol Offline'])).toEqual(['Carol Offline', 'Dave', 'Erin']);
    await waitForText(page, '#status', 'insync');
  });

  it('a second tab on the account waits instead of syncing, and takes over when the first closes', async () => {
    const second = await context.newPage();
    const seen: string[] = [];
    xcapRequests(second, seen);
    await second.goto(pageUrl(user));
    await waitForText(second, '#owner', 'waiting');
    await addContact(page, 'Frank', 'sip:frank@example.com');
    expect(await waitForServer(user, ['Frank'])).toContain('Frank');
    expect(seen).toEqual([]); // the waiting tab sent nothing
    await page.close({ runBeforeUnload: true });
    await waitForText(second, '#owner', 'this tab syncs');
    await waitForNames(second, ['Frank']);
    await waitForText(second, '#status', 'insync');
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe('the web example in Chromium, cross-origin (CORS of the test server)', () => {
  it('an XCAP server on another origin without CORS is reported on error$ as a CORS refusal, with the headers to send', async () => {
    // A server that answers everything without CORS headers, as an unconfigured one does.
    let hits = 0;
    const bare = createServer((_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('no CORS here\n');
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const root = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/xcap-root`;
      await page.goto(pageUrl(poolUser(599), { root, ws: '' }));
      await waitForText(page, '#error', 'CORS_REFUSED');
      expect(await page.textContent('#error')).toContain('Access-Control-Expose-Headers');
      expect(hits).toBeGreaterThan(0); // the server was reached: only the browser said no
    } finally {
      await context.close();
      await new Promise((r) => bare.close(r));
    }
  });

  const user = poolUser(598);

  it('syncs from and to an XCAP server on another origin', async () => {
    wipeUserDocuments(user);
    await otherDevice(user, (m) => m.addContact(carol()));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const seen: string[] = [];
      xcapRequests(page, seen);
      await page.goto(pageUrl(user, { root: testServer().xcapRoot }));
      await waitForNames(page, ['Carol']);
      await addContact(page, 'Dave', 'sip:dave@example.com');
      expect(await waitForServer(user, ['Dave'])).toEqual(['Carol', 'Dave']);
      // Straight to Kamailio: another origin than the page's.
      expect(seen.every((r) => r.includes(testServer().xcapRoot))).toBe(true);
      expect(new URL(testServer().xcapRoot).origin).not.toBe(new URL(server.url).origin);
    } finally {
      await context.close();
    }
  });
});
