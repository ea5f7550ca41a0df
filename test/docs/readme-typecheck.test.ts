/**
 * Every ```ts block of the README type-checks, as written (strict, the project's options), so
 * a renamed method or option cannot hide in the documentation. A block that uses names it
 * leaves to the application (a UI's widgets, an account list, a test's helpers) gets them from
 * a prelude of `declare`s, listed below per section; nothing in a block is replaced. The tour's
 * blocks also run against the test server (test/integration/readme-tour.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, type ReadmeBlock, tsBlocks, typecheckSnippets } from '../support/readme-blocks.js';

/** What each section's blocks leave to the application, by the heading they sit under. */
const PRELUDES: Readonly<Record<string, string>> = {
  '### The manager, bound to a UI': `import { contactList, statusBar, toast } from ${JSON.stringify(join(REPO, 'test', 'support', 'readme-ui-stubs.ts'))};`,
  // Continues the first block's manager (test/docs/readme-local-views.test.ts runs it).
  '### Local views and pending edits': [
    "import type { Contact, Icon, XcapManager } from 'rxcap';",
    'declare const manager: XcapManager;',
    'declare const bob: Contact;',
    'declare const contactList: { render(rows: { name: string; syncing: boolean }[]): void };',
    'declare const avatar: { show(icon: Icon | null, o: { dimmed: boolean }): void };',
    'declare const badge: { set(text: string): void };',
  ].join('\n'),
  '### A Node service composing streams across accounts': [
    "import type { AccountSettings } from 'rxcap';",
    'declare const accounts: AccountSettings[];',
  ].join('\n'),
  '### The low-level client': 'declare const root: string;\ndeclare const knownEtag: string;',
  // The interface is the README's own; a value of it must be accepted as the real settings.
  '## Configuration': '',
  '## Testing your code with rxcap/testing': [
    "import type { Observable } from 'rxjs';",
    "import { TestScheduler } from 'rxjs/testing';",
    "import { afterEach, beforeEach, describe, expect, it } from 'vitest';",
    "import type { StoragePort, XcapManager } from 'rxcap';",
    'declare const xml: string;',
    'declare function myBadge$(manager: XcapManager): Observable<string>;',
    'declare function myStorage(): StoragePort;',
  ].join('\n'),
  '## In the browser': [
    'declare const password: string;',
    'declare function show(text: string): void;',
  ].join('\n'),
  '## Running a service': [
    "import type { Agent } from 'undici';",
    "import type { AccountSettings, Contact } from 'rxcap';",
    'declare const accounts: AccountSettings[];',
    'declare const dispatcher: Agent;',
    'declare const metrics: { set(account: string, value: string): void };',
    'declare const bob: Contact;',
  ].join('\n'),
};

/** Appended to a block: checks that tie it to the API. */
const POSTLUDES: Readonly<Record<string, string>> = {
  '## Configuration': [
    "import type { AccountSettings as Real } from 'rxcap';",
    'export const accepted = (settings: AccountSettings): Real => settings;',
  ].join('\n'),
};

/** The browser section is about the browser entry, which `'rxcap'` resolves to in a bundler. */
const ENTRY: Readonly<Record<string, string>> = { '## In the browser': 'browser.ts' };

let blocks: ReadmeBlock[] = [];
beforeAll(async () => {
  blocks = tsBlocks(await readFile(join(REPO, 'README.md'), 'utf8'));
});

describe('README: every ts block type-checks', () => {
  it('every block has a prelude entry here (a new block must say what it leaves out)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    for (const b of blocks) expect(Object.keys(PRELUDES)).toContain(b.heading);
  });

  it('type-checks strict, as the project', async () => {
    const snippets = blocks.map((b, i) => ({
      name: `readme-${i}`,
      prelude: PRELUDES[b.heading] ?? '',
      code: `${b.code}\n${POSTLUDES[b.heading] ?? ''}\nexport {};`,
      entry: ENTRY[b.heading],
    }));
    expect(await typecheckSnippets(snippets)).toBe('');
  }, 120_000);
});
