/**
 * Bulk import benchmark: N addContact calls in one transaction on a synced, empty account
 * (Kamailio), for two sizes, to show how the cost grows with N; the baseline is the smaller size
 * scaled linearly. A batch derives the lists once (src/journal/batch.ts), so it should grow
 * linearly.
 *
 * Run alone (server running): `npx tsx bench/import.ts`.
 */
import { pathToFileURL } from 'node:url';
import { filter, firstValueFrom, skip, timeout } from 'rxjs';
import { createXcapManager, type XcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import { testServer } from '../test/support/test-server.js';
import { benchContact } from './fixture.js';
import { benchUsers, cpuMs, fmt, type Row, type Section, wipeUsers } from './support.js';

const nextInSync = (m: XcapManager): Promise<unknown> =>
  firstValueFrom(
    m.state$.pipe(
      skip(1),
      filter((s) => s.state === 'insync'),
      timeout(300_000),
    ),
  );

async function importOnce(n: number): Promise<{ cpu: number; wall: number; puts: number }> {
  const user = benchUsers(2)[1]!;
  wipeUsers([user]);
  const m = createXcapManager({
    account: {
      id: user.id,
      auth: { username: user.username, password: user.password },
      xcap: { root: testServer().xcapRoot },
    },
    storage: memoryStorage(),
    pollPeriod: 600_000,
  });
  let puts = 0;
  m.trace$.subscribe((t) => {
    if (t.method === 'PUT') puts++;
  });
  let synced = nextInSync(m);
  await m.start();
  await synced;
  puts = 0;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  synced = nextInSync(m);
  m.transaction(() => {
    for (let i = 0; i < n; i++) m.addContact(benchContact(i));
  });
  await synced;
  const r = { cpu: cpuMs(c0), wall: performance.now() - w0, puts };
  await m.stop();
  return r;
}

/**
 * Imports `sizes[0]` then `sizes[1]` contacts (account u401) and compares the CPU time with a
 * linear extrapolation of the smaller one.
 *
 * @example const section = await runImportBench({ sizes: [1000, 2000] });
 */
export async function runImportBench(
  options: { sizes?: readonly [number, number]; log?: (l: string) => void } = {},
): Promise<Section> {
  const [a, b] = options.sizes ?? [1000, 2000];
  const log = options.log ?? (() => {});
  const small = await importOnce(a);
  log(`${a} contacts: CPU ${fmt.ms(small.cpu)}`);
  const big = await importOnce(b);
  log(`${b} contacts: CPU ${fmt.ms(big.cpu)}`);
  const rows: Row[] = [
    {
      name: `${a} addContact in one transaction, CPU until insync`,
      value: fmt.ms(small.cpu),
      note: `wall ${fmt.ms(small.wall)}, ${small.puts} PUT(s); ${fmt.ms(small.cpu / a)} per contact`,
    },
    {
      name: `${b} addContact in one transaction, CPU until insync`,
      value: fmt.ms(big.cpu),
      baseline: `${fmt.ms((small.cpu * b) / a)} = ${a}-contact import scaled linearly`,
      ratio: fmt.ratio(big.cpu / ((small.cpu * b) / a)),
      note: `wall ${fmt.ms(big.wall)}, ${big.puts} PUT(s); ${fmt.ms(big.cpu / b)} per contact`,
    },
  ];
  return {
    title: 'Bulk import into a synced empty account (Kamailio, account u401)',
    rows,
    notes: [
      'A batch of operations derives the lists and rules once (src/journal/batch.ts); a ratio ' +
        'above 1x would mean the cost grows faster than the number of operations.',
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await runImportBench({ log: (l) => console.log(l) });
  console.table(s.rows);
}
