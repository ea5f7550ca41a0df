/**
 * The React example (examples/react/: one `useSyncExternalStore(manager.subscribe,
 * manager.getSnapshot)`) bundled with esbuild and run in Debian's Chromium against the real
 * Kamailio test server: the rendered DOM shows a contact another device added on the server,
 * then a contact added through the page's form (at once, marked pending, until the server has
 * it), which reaches the server, then a contact another device adds while the page is open.
 *
 * Pool user u535 belongs to this file.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReactExample, serveReactExample } from '../../examples/react/serve.js';
import type { WebExampleServer } from '../../examples/web/serve.js';
import {
  Contact,
  ContactURI,
  createXcapManager,
  memoryStorage,
  type XcapManager,
} from '../../src/node.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const CHROMIUM = process.env.RXCAP_CHROMIUM ?? '/usr/bin/chromium';
const user = poolUser(535);

let browser: Browser;
let server: WebExampleServer;
let page: Page;
const pageErrors: string[] = [];

/** Another device of the account: a Node manager, in sync, polling every 200 ms. */
function device(): XcapManager {
  return createXcapManager({
    account: {
      id: user.id,
      auth: { password: user.password },
      xcap: { root: testServer().xcapRoot, xcapDiff: false },
    },
    storage: memoryStorage(),
    pollPeriod: 200,
  });
}

const insync = (m: XcapManager) =>
  firstValueFrom(
    m.state$.pipe(
      filter((s) => s.state === 'insync'),
      timeout(20_000),
    ),
  );

/** Waits for `selector`; on a timeout, says what the page showed (names, status line, error). */
async function waitForSelector(p: Page, selector: string): Promise<void> {
  try {
    await p.waitForSelector(selector, { timeout: 20_000 });
  } catch (e) {
    const shown = await p.evaluate(() => ({
      hint: document.querySelector('#hint')?.textContent,
      error: document.querySelector('#error')?.textContent,
      rows: [...document.querySelectorAll('#contacts li')].map((li) => li.outerHTML),
    }));
    throw new Error(`${selector} not shown: ${JSON.stringify(shown)} (${pageErrors.join('; ')})`, {
      cause: e,
    });
  }
}

async function renderedNames(p: Page): Promise<string[]> {
  return p.$$eval('#contacts li', (lis) => lis.map((li) => (li as HTMLElement).dataset.name ?? ''));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run bash scripts/install-chromium.sh`);
  wipeUserDocuments(user);
  await buildReactExample();
  server = await serveReactExample({ xcapRoot: testServer().xcapRoot });
  // --no-sandbox: the suite runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the React example in Chromium', () => {
  it('renders a contact another device added on the server', async () => {
    const phone = device();
    await phone.load();
    await phone.start();
    await insync(phone);
    phone.addContact(
      new Contact({ name: 'Carol', uris: [new ContactURI({ uri: 'sip:carol@example.com' })] }),
    );
    await firstValueFrom(
      phone.addressbook$.pipe(
        filter((b) => b.contacts.length === 1),
        timeout(20_000),
      ),
    );
    await phone.close();

    const q = new URLSearchParams({ id: user.id, password: user.password, poll: '500' });
    await page.goto(`${server.url}?${q}`);
    await waitForSelector(page, '#contacts li[data-name="Carol"]');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'insync');
    expect(await renderedNames(page)).toEqual(['Carol']);
    expect(pageErrors).toEqual([]);
  });

  it('renders a contact added through the form at once, pending, then confirmed on the server', async () => {
    // Whether Dave was ever rendered marked pending (the local view, before the server answers).
    await page.evaluate(() => {
      const w = window as unknown as { seenPending: boolean };
      w.seenPending = false;
      new MutationObserver(() => {
        if (document.querySelector('#contacts li[data-name="Dave"][data-pending]'))
          w.seenPending = true;
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.fill('#add input[name=name]', 'Dave');
    await page.fill('#add input[name=uri]', 'sip:dave@example.com');
    await page.click('#add button');
    await waitForSelector(page, '#contacts li[data-name="Dave"]:not([data-pending])');
    expect(
      await page.evaluate(() => (window as unknown as { seenPending: boolean }).seenPending),
    ).toBe(true);
    // The status line explains the state (xcap-diff is off in this page: polling).
    await page.waitForFunction(() =>
      document.querySelector('#hint')?.textContent?.startsWith('in sync'),
    );
    expect(await renderedNames(page)).toEqual(['Carol', 'Dave']);

    const laptop = device();
    await laptop.load();
    await laptop.start();
    const book = await firstValueFrom(
      laptop.addressbook$.pipe(
        filter((b) => b.contacts.some((c) => c.name === 'Dave')),
        timeout(20_000),
      ),
    );
    expect(book.contacts.map((c) => c.name).sort()).toEqual(['Carol', 'Dave']);

    // A change on the server while the page is open re-renders it (the page polls every 500 ms).
    laptop.addContact(
      new Contact({ name: 'Erin', uris: [new ContactURI({ uri: 'sip:erin@example.com' })] }),
    );
    await waitForSelector(page, '#contacts li[data-name="Erin"]');
    await laptop.close();
    expect(await renderedNames(page)).toEqual(['Carol', 'Dave', 'Erin']);
    expect(pageErrors).toEqual([]);
  });
});
