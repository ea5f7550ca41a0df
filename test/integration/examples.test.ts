/**
 * Runs every program in examples/ against the Kamailio test server, so that none rots: each
 * must exit 0 and print what it claims to show.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/postgres.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
// Pool users u041–u045 belong to this file.
const user = poolUser(41);
const others = [poolUser(42), poolUser(43)];

async function example(name: string): Promise<string> {
  const env = testServer();
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(root, 'examples', `${name}.ts`)],
    {
      cwd: root,
      timeout: 60_000,
      env: {
        ...process.env,
        XCAP_ROOT: env.xcapRoot,
        XCAP_ID: user.id,
        XCAP_USERNAME: user.username,
        XCAP_PASSWORD: user.password,
        XCAP_ACCOUNTS: others.map((u) => `${u.username}:${u.password}`).join(','),
        SIP_PROXY: `sip:${env.sip.tcp};transport=tcp`,
        DATABASE_URL: postgresUrl(),
        EXIT_WHEN_SYNCED: '1',
      },
    },
  );
  return stdout;
}

describe('examples/ against Kamailio', () => {
  beforeAll(() => {
    for (const u of [user, ...others]) wipeUserDocuments(u);
  });

  it('low-level-client: selectors, conditional requests, typed 412', async () => {
    const out = await example('low-level-client');
    expect(out).toMatch(/GET element: 200 <entry uri="sip:bob@example.com">/);
    expect(out).toMatch(/GET attribute: sip:bob@example.com/);
    expect(out).toMatch(/conditional GET: 304/);
    expect(out).toMatch(/stale PUT refused: RXCAP_HTTP 412/);
    expect(out).toMatch(/DELETE: 200\ndone/);
  });

  it('ui-binding: the view re-renders and a late view sees the replayed value', async () => {
    const out = await example('ui-binding');
    expect(out).toMatch(/\[view\] up to date: 1 contacts/);
    expect(out).toMatch(/\[late view\] up to date: sees Example/);
    expect(out).toMatch(/done\n$/);
  });

  it('multi-account-service: every account in sync over one pool', async () => {
    const out = await example('multi-account-service');
    expect(out).toMatch(/\[health\] 2\/2 in sync/);
    expect(out).toMatch(/all 2 accounts in sync over one connection pool/);
  });

  it('fleet-service: owns every account (alone), edits through one, hands all over on stop', async () => {
    const out = await example('fleet-service');
    expect(out).toMatch(/owning 2 of 2 accounts/);
    expect(out).toMatch(/\[edit\] added a contact to sip:u04[23]@example.com/);
    expect(out).toMatch(/all 2 owned accounts in sync/);
    expect(out).toMatch(/not owned here\n(.*\n)*done\n$/);
  });

  it('offline-replay: edits journaled offline reach the server after a restart', async () => {
    const out = await example('offline-replay');
    expect(out).toMatch(/\[offline\] added Offline \w+/);
    expect(out).toMatch(/\[online\] the journal was replayed: Offline \w+ is on the server/);
    expect(out).toMatch(/done\n$/);
  });
});
