/**
 * The README's "A short tour", run against the Kamailio test server: every ```ts block of the
 * section is taken from README.md as it is (test/support/readme-blocks.ts) and run in its own
 * Node process, so the README cannot drift from the API again. ("Local views and pending
 * edits" continues the first block's manager offline; test/docs/readme-local-views.test.ts runs
 * it.)
 *
 * What the test changes, and nothing else:
 * - placeholders, replaced by exact text (each must still be in the README, else the test fails
 *   naming it): the account `alice@example.com` / `s3cret` becomes a pool user of the test
 *   server, `https://xcap.example.com/xcap-root` its XCAP root,
 *   `sip:sip.example.com;transport=tls` its SIP port over TCP, `/var/lib/my-service/xcap` a
 *   temporary folder;
 * - a prelude defines what a block leaves to the application: the UI widgets of the first block
 *   (`statusBar`, `contactList`, `toast`, which print what they are given), the `accounts` of the
 *   second, `root` and `knownEtag` of the third;
 * - `from 'rxcap'` points at this checkout's src/node.ts, and RXCAP_STORE_DIR (the default file
 *   store's folder) at a temporary folder.
 *
 * What is checked is what the README promises: the edits of the first block are on the server
 * when it ends (read back with the low-level client, not through rxcap's manager), the UI saw
 * them, and the process exits by itself; the service counts its accounts in sync; the low-level
 * client reports 404 and 412 on its error callbacks without crashing Node.
 *
 * Pool users u531–u534 belong to this file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/node.js';
import {
  REPO,
  type ReadmeBlock,
  readmeSection,
  runSnippet,
  substitute,
  tsBlocks,
} from '../support/readme-blocks.js';
import { poolUser, type TestUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const tourUser = poolUser(531);
const serviceUsers = [poolUser(532), poolUser(533)];
const clientUser = poolUser(534);

let blocks: ReadmeBlock[] = [];
let dir = '';

beforeAll(async () => {
  for (const u of [tourUser, ...serviceUsers, clientUser]) wipeUserDocuments(u);
  blocks = tsBlocks(await readmeSection('## A short tour'));
  dir = await mkdtemp(join(tmpdir(), 'rxcap-readme-tour-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function block(heading: string): string {
  const found = blocks.filter((b) => b.heading === heading);
  if (found.length !== 1) throw new Error(`expected one ts block under "${heading}"`);
  return found[0]!.code;
}

/** The account placeholders of the README, as the test server's user `u`. */
function accountPlaceholders(u: TestUser): [string, string][] {
  const env = testServer();
  return [
    ["'alice@example.com'", JSON.stringify(u.id.replace(/^sip:/, ''))],
    ["'s3cret'", JSON.stringify(u.password)],
    ["'https://xcap.example.com/xcap-root'", JSON.stringify(env.xcapRoot)],
    ["'sip:sip.example.com;transport=tls'", JSON.stringify(`sip:${env.sip.tcp};transport=tcp`)],
  ];
}

/** A document of `u` as the server has it (404: null), read with the low-level client. */
async function serverDocument(u: TestUser, auid: string): Promise<string | null> {
  const client = new XcapClient({ root: testServer().xcapRoot, xui: u.id, password: u.password });
  try {
    return (await firstValueFrom(client.get(auid))).body;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return null;
    throw e;
  }
}

/** Each block as it runs: the README's text with its placeholders replaced, and its prelude. */
function snippets() {
  const env = testServer();
  const accounts = serviceUsers.map((u) => ({
    id: u.id,
    auth: { password: u.password },
    xcap: { root: env.xcapRoot },
    sip: { outboundProxy: `sip:${env.sip.tcp};transport=tcp` },
  }));
  return {
    ui: {
      name: 'tour-ui',
      code: substitute(block('### The manager, bound to a UI'), accountPlaceholders(tourUser)),
      // The application's UI, as the README leaves it to the reader: each widget prints what it gets.
      prelude: `import { contactList, statusBar, toast } from ${JSON.stringify(join(REPO, 'test', 'support', 'readme-ui-stubs.ts'))};`,
    },
    service: {
      name: 'tour-service',
      code: substitute(block('### A Node service composing streams across accounts'), [
        ["'/var/lib/my-service/xcap'", JSON.stringify(join(dir, 'service-store'))],
      ]),
      prelude: [
        "import type { AccountSettings } from 'rxcap';",
        "// The service's account list.",
        `const accounts: AccountSettings[] = ${JSON.stringify(accounts)};`,
      ].join('\n'),
    },
    client: {
      name: 'tour-client',
      code: substitute(block('### The low-level client'), [
        ["'sip:alice@example.com'", JSON.stringify(clientUser.id)],
        ["'s3cret'", JSON.stringify(clientUser.password)],
      ]),
      prelude: [
        `const root = ${JSON.stringify(env.xcapRoot)};`,
        `const knownEtag = '"an-etag-the-server-never-gave"';`,
      ].join('\n'),
    },
  };
}

describe('README: A short tour, against Kamailio', () => {
  // test/docs/readme-typecheck.test.ts type-checks them (tsx, which runs them, strips types).
  it('has the blocks this test runs (and one test/docs/readme-local-views.test.ts runs)', () => {
    expect(blocks.map((b) => b.heading)).toEqual([
      '### The manager, bound to a UI',
      // Continues the first block offline; run by test/docs/readme-local-views.test.ts.
      '### Local views and pending edits',
      '### A Node service composing streams across accounts',
      '### The low-level client',
    ]);
  });

  it('The manager, bound to a UI: the edits reach the server, the UI sees them, the process exits', async () => {
    const run = await runSnippet({
      ...snippets().ui,
      env: { RXCAP_STORE_DIR: join(dir, 'ui-store') },
      timeoutMs: 45_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\[toast\]/);
    // The UI showed Bob in Friends (the server's view) and said it was in sync before the
    // program went on to stop the manager.
    const lines = run.stdout.split('\n');
    const shown = lines.indexOf('[contactList] {"contacts":["Bob"],"groups":["Friends"]}');
    const stopping = lines.indexOf('[statusBar] stopping');
    expect(shown).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf('[statusBar] in sync')).toBeGreaterThanOrEqual(0);
    expect(stopping).toBeGreaterThan(shown);
    expect(stopping).toBeGreaterThan(lines.indexOf('[statusBar] in sync'));
    // The server has the three edits of the transaction and the default policy (sipsimple's
    // layout: the addressbook list, the OMA granted list, the wp_prs_unlisted rule).
    const lists = (await serverDocument(tourUser, 'resource-lists')) ?? '';
    const bobId = /<(?:\w+:)?contact id="([^"]+)"><(?:\w+:)?name>Bob</.exec(lists)?.[1];
    expect(bobId).toBeDefined();
    const friends =
      /<(?:\w+:)?group id="[^"]+"><(?:\w+:)?name>Friends<[\s\S]*?<\/(?:\w+:)?group>/.exec(
        lists,
      )?.[0];
    expect(friends).toContain(`contact_id>${bobId}<`);
    expect(lists).toMatch(
      /<(?:\w+:)?list name="oma_grantedcontacts"><(?:\w+:)?entry uri="sip:bob@example.com"\/>/,
    );
    const rules = await serverDocument(tourUser, 'org.openmobilealliance.pres-rules');
    expect(rules).toMatch(/<(?:\w+:)?rule id="wp_prs_unlisted">.*?<(?:\w+:)?sub-handling>block</);
  });

  it('A Node service composing streams across accounts: every account in sync', async () => {
    const run = await runSnippet({
      ...snippets().service,
      // A service runs until it is stopped: the test stops it once both accounts are in sync.
      until: /insync: 2, contacts: 0/,
      timeoutMs: 45_000,
    });
    expect(run.stderr).toBe('');
  });

  it('The low-level client: 404 and 412 reach the error callbacks, Node does not crash', async () => {
    const run = await runSnippet({ ...snippets().client, timeoutMs: 30_000 });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^404$/m);
    expect(run.stderr).toMatch(/RXCAP_HTTP .*412/);
  });
});
