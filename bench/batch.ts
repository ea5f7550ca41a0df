/**
 * Applying a large batch (src/journal/batch.ts): N addContact in one `applyOperations` on an
 * empty account, for two sizes, CPU time of this process; the baseline is the smaller size
 * scaled linearly, so a ratio near 1x means linear. Each addContact used to copy the whole
 * addressbook list (and reorder it), which made an import quadratic: 8,000 contacts took
 * 25.7 s inside the manager under load, 8.5 s here before the change (16,000: 49.9 s).
 *
 * Run alone: `npx tsx bench/batch.ts`.
 */
import { pathToFileURL } from 'node:url';
import { applyOperations, operations } from '../src/journal/index.js';
import { benchContact, benchContext, emptyDocuments } from './fixture.js';
import { cpuTimeMs, fmt, type Row, type Section } from './support.js';

function importCpu(n: number): number {
  const ctx = benchContext('http://xcap.example.net/xcap-root', 'sip:bench@ex.net');
  const ops = Array.from({ length: n }, (_, i) => operations.addContact(benchContact(i)));
  return cpuTimeMs(() => applyOperations(emptyDocuments(), ops, ctx), 1, 0);
}

/**
 * CPU of one batch of `sizes[0]` and of `sizes[1]` addContact, the larger against the smaller
 * scaled linearly.
 *
 * @example const section = runBatchBench({ sizes: [2000, 8000] });
 */
export function runBatchBench(
  options: { sizes?: readonly [number, number]; log?: (l: string) => void } = {},
): Section {
  const [a, b] = options.sizes ?? [2000, 8000];
  importCpu(500); // warm-up: JIT, module state
  const small = importCpu(a);
  const large = importCpu(b);
  options.log?.(`batch: ${a} in ${fmt.ms(small)}, ${b} in ${fmt.ms(large)}`);
  const rows: Row[] = [
    { name: `${a} addContact in one batch (applyOperations), CPU`, value: fmt.ms(small) },
    {
      name: `${b} addContact in one batch (applyOperations), CPU`,
      value: fmt.ms(large),
      baseline: `${fmt.ms((small * b) / a)} (${a} scaled linearly)`,
      ratio: fmt.ratio(large / ((small * b) / a)),
      note: 'before the in-place append: 8000 in 8.5 s, 16000 in 49.9 s (quadratic), on this machine under load',
    },
  ];
  return { title: 'Applying a large batch (bench/batch.ts, no server)', rows };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = runBatchBench({ log: (l) => console.log(l) });
  console.table(s.rows);
}
