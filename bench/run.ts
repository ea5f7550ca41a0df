/**
 * `npm run bench`: every benchmark in one run, each beside a baseline measured in the same run;
 * prints the tables and writes them to bench/RESULTS.md with the machine they ran on. Figures
 * only, nothing is asserted.
 *
 * The server benchmarks need the Kamailio test server (test-server/README.md). When it does not
 * answer, this script starts it with `test-server/start.sh` and stops it again at the end; a
 * server that was already running is used as it is and left running. The benchmark accounts
 * (bench/support.ts `benchUsers`: u400–u589, then pool numbers no test uses) are wiped first.
 *
 * Options (environment): BENCH_SKIP_SERVER=1 runs only the in-process benchmarks;
 * BENCH_MANAGERS (default 500) sets the scale benchmark's size, BENCH_STORAGE_MANAGERS (200) the
 * storage benchmark's (it also needs the PostgreSQL test cluster, which it starts if needed);
 * BENCH_ALL_SCALE=1 adds the scale run with unlimited connections; BENCH_PARSERS=1 adds the
 * side-by-side parser comparison (bench/parsers.ts, about 60 s of CPU). The service benchmark
 * (bench/service.ts, xcap-diff on, shared SIP connections) runs BENCH_SERVICE_ACCOUNTS (10,000)
 * accounts beside a BENCH_SERVICE_BASELINE (100) one-connection-per-manager baseline, then
 * BENCH_SERVICE_PG_ACCOUNTS (10,000; 0 skips) on PostgreSQL storage; it restarts the test server
 * with enough accounts when it has too few. BENCH_SERVICE_ACCOUNTS=0 skips it.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBatchBench } from './batch.js';
import { runBundleSizeBench } from './bundle-size.js';
import { runCodecBench } from './codec.js';
import { runExtractBench } from './extract.js';
import { runGoalsBench } from './goals.js';
import { runImportBench } from './import.js';
import { runParsersBench } from './parsers.js';
import { runScaleBench } from './scale.js';
import { runServiceSection } from './service.js';
import { benchPostgres, runStorageBench } from './storage.js';
import { ensureTestServer, fmt, type Section, stopTestServer } from './support.js';
import { runXcapDiffPatchBench } from './xcap-diff-patch.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const log = (l: string): void => console.log(`  ${l}`);

function machine(): string[] {
  const c = cpus();
  return [
    `- CPU: ${c[0]?.model ?? 'unknown'}, ${c.length} cores`,
    `- memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node ${process.version} (${process.platform} ${process.arch})`,
    `- date: ${new Date().toISOString()}`,
  ];
}

function codecSection(): Section {
  const r = runCodecBench({ iterations: 3, warmup: 1, log });
  const bare = r.results[0]!.medianMs;
  return {
    title: `Codec: bench/codec.ts (resource-lists, ${r.contacts} contacts, ${fmt.bytes(r.bytes)})`,
    rows: r.results.map((x, i) => ({
      name: x.name,
      value: fmt.ms(x.medianMs),
      ...(i === 0
        ? { note: `${x.mbPerSecond.toFixed(1)} MB/s (baseline)` }
        : {
            baseline: `${fmt.ms(bare)} bare fast-xml-parser`,
            ratio: fmt.ratio(x.medianMs / bare),
            note: `${x.mbPerSecond.toFixed(1)} MB/s`,
          }),
    })),
  };
}

function xcapDiffPatchSection(): Section {
  const r = runXcapDiffPatchBench(5000, 30000);
  return {
    title: `xcap-diff patch: one NOTIFY of ${r.ops} operations on ${r.contacts} contacts`,
    rows: [
      {
        name: `parse the NOTIFY (${fmt.bytes(r.notifyBytes)})`,
        value: fmt.ms(r.parseMs),
        note: 'baseline: what reading the body costs at all',
      },
      {
        name: 'apply its [@uri] operations',
        value: fmt.ms(r.applyMs),
        baseline: `${fmt.ms(r.parseMs)} parse`,
        ratio: fmt.ratio(r.applyMs / r.parseMs),
        note: 'CPU; the manager applies at most 1,000 operations per NOTIFY (fetches past that)',
      },
      {
        name: `apply ${r.positionalOps} positional operations (entry[n])`,
        value: fmt.ms(r.positionalApplyMs),
        note: 'each scans the siblings up to n',
      },
    ],
  };
}

const cell = (s: string | undefined): string => (s ?? '').replaceAll('|', '\\|');

function markdown(s: Section): string {
  const lines = [
    `## ${s.title}`,
    '',
    '| measure | value | baseline (same run) | ratio | notes |',
    '| --- | --- | --- | --- | --- |',
    ...s.rows.map(
      (r) =>
        `| ${cell(r.name)} | ${cell(r.value)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${cell(r.note)} |`,
    ),
  ];
  if (s.notes && s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function text(s: Section): string {
  const cols = [
    ['measure', ...s.rows.map((r) => r.name)],
    ['value', ...s.rows.map((r) => r.value)],
    ['baseline', ...s.rows.map((r) => r.baseline ?? '')],
    ['ratio', ...s.rows.map((r) => r.ratio ?? '')],
  ];
  const w = cols.map((c) => Math.max(...c.map((x) => x.length)));
  const line = (i: number): string =>
    cols
      .map((c, k) => c[i]!.padEnd(w[k]!))
      .join('  ')
      .trimEnd();
  const out = [`\n=== ${s.title}`, line(0), w.map((x) => '-'.repeat(x)).join('  ')];
  s.rows.forEach((r, i) => {
    out.push(line(i + 1));
    if (r.note) out.push(`${' '.repeat(w[0]! + 2)}↳ ${r.note}`);
  });
  for (const n of s.notes ?? []) out.push(`* ${n}`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const sections: Section[] = [];
  const run = async (name: string, fn: () => Section | Promise<Section>): Promise<void> => {
    console.log(`\n> ${name}`);
    const s = await fn();
    sections.push(s);
    console.log(text(s));
  };

  await run('browser bundle size', () => runBundleSizeBench({ log }));
  await run('codec (bench/codec.ts)', codecSection);
  await run('parse + extract', () => runExtractBench({ iterations: 3, log }));
  if (process.env.BENCH_PARSERS === '1')
    await run('parsers side by side (bench/parsers.ts)', () => runParsersBench({ log }));
  await run('xcap-diff patch (bench/xcap-diff-patch.ts)', xcapDiffPatchSection);
  await run('large batch (bench/batch.ts)', () => runBatchBench({ log }));

  let startedServer = false;
  const serverNotes: string[] = [];
  if (process.env.BENCH_SKIP_SERVER !== '1') {
    startedServer = await ensureTestServer(log);
    serverNotes.push(
      startedServer
        ? 'Kamailio test server started by this run (test-server/start.sh) and stopped at its end.'
        : 'Kamailio test server was already running; used as it was.',
    );
    try {
      // The goals first: sections[0] after the in-process ones is what the README's table quotes.
      await run('goals (bench/goals.ts)', () => runGoalsBench({ log }));
      await run('bulk import', () => runImportBench({ log }));
      const managers = Number(process.env.BENCH_MANAGERS ?? 500);
      await run('scale, 256 connections', () => runScaleBench({ managers, connections: 256, log }));
      if (process.env.BENCH_ALL_SCALE === '1')
        await run('scale, unlimited connections', () => runScaleBench({ managers, log }));
      await run('scale, staggered: at most 50 starting at once', () =>
        runScaleBench({ managers, concurrency: 50, log }),
      );
      await run('storage: memory vs file vs PostgreSQL (bench/storage.ts)', () =>
        runStorageBench({ managers: Number(process.env.BENCH_STORAGE_MANAGERS ?? 200), log }),
      );
      // Last: it may restart the test server with more accounts (u601… up to 600 + N).
      if (process.env.BENCH_SERVICE_ACCOUNTS !== '0')
        await run('service: many accounts, xcap-diff on (bench/service.ts)', () =>
          runServiceSection({
            accounts: Number(process.env.BENCH_SERVICE_ACCOUNTS ?? 10_000),
            baselineAccounts: Number(process.env.BENCH_SERVICE_BASELINE ?? 100),
            postgresAccounts: Number(process.env.BENCH_SERVICE_PG_ACCOUNTS ?? 10_000),
            postgres: () => benchPostgres(log),
            log,
          }),
        );
    } finally {
      if (startedServer) stopTestServer();
    }
  }

  const total = (Date.now() - started) / 1000;
  const md = [
    '# rxcap benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) in ${total.toFixed(0)} s. Figures only, nothing is`,
    'asserted; every ratio compares with a baseline measured in the same run. Times are medians',
    'of 3 runs after 1 warm-up for in-process work and single measurements for server work.',
    'The machine is shared (2 cores, other processes running), so expect ±30 % between runs.',
    '',
    '## Machine',
    '',
    ...machine(),
    ...serverNotes.map((n) => `- ${n}`),
    '',
    ...sections.flatMap((s) => [markdown(s), '']),
    '## Notes',
    '',
    '- The benchmark addressbook (bench/fixture.ts): contacts with a SIP URI (every tenth also a',
    '  tel URI), groups of 100 contacts, policies with watcher URIs, all in the AG layout of',
    "  rxcap's own operations; derived lists and rules documents come from one `normalize`.",
    '  At 10 000 contacts resource-lists is ~7.8 MB, just under what the test server accepts (~8 MB).',
    '- The manager still writes whole documents (the element-write planner,',
    '  src/element-writes/, is not wired into the update pipeline yet), so one new',
    '  contact costs a full upload of the document: the goal rows are the "before" column.',
    '- Wire bytes are counted on the sockets of the Agent (headers included); body sizes come from',
    '  `trace$` (UTF-16 code units).',
    '- Scale: the test server gives every TCP connection an 8 MiB buffer from a 6 GiB shared',
    '  memory pool (test-server/start.sh), so it accepts ~700 connections at once; beyond that it',
    '  closes new connections and the managers retry (network errors, backoff). The run with',
    "  the shared Agent's `connections: 256` stays below that, and so does starting at most 50",
    '  managers at a time (each one opens a few connections while it fetches in parallel).',
    '- Scale baseline: one manager alone on an empty account (median of 3), times 500, i.e. the',
    '  accounts synced one after another; a ratio below 1x is what running them concurrently',
    '  gains. Each manager on an empty account makes 11 requests: xcap-caps, 6 GETs (404) and',
    '  4 PUTs creating the skeleton documents. The test server (2 Kamailio TCP workers, one',
    '  sqlite database, shared with other test runs on this machine) is the bottleneck: see the',
    "  client's CPU share in the notes.",
    '',
  ].join('\n');
  writeFileSync(join(HERE, 'RESULTS.md'), md);
  console.log(`\nwrote bench/RESULTS.md (${total.toFixed(0)} s)`);
}

await main();
