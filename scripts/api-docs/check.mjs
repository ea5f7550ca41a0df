// Fails (exit 1) when an export of a public entry point has no JSDoc, or when an export of the
// curated entries (the main entry, rxcap/model, rxcap/testing, rxcap/ports, rxcap/machines, rxcap/operators,
// rxcap/store) has no @example: reads the JSON TypeDoc wrote (scripts/api-docs/run.sh) and
// lists every offender. The building-block subpaths (client, codecs, journal, sip) still
// have exports without an example: they are counted, not yet enforced.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'docs-api/api.json';
const project = JSON.parse(readFileSync(file, 'utf8'));

/** The comments of a reflection and of its signatures (functions, methods). */
function commentsOf(r) {
  return [
    r.comment,
    ...(r.signatures ?? []).map((s) => s.comment),
    ...(r.type?.declaration?.signatures ?? []).map((s) => s.comment),
  ].filter((c) => c !== undefined);
}

const documented = (c) => (c.summary ?? []).some((p) => (p.text ?? '').trim() !== '');
const hasExample = (c) => (c.blockTags ?? []).some((t) => t.tag === '@example');

// A name exported by several entry points is declared once; the others hold a reference to it.
const byId = new Map();
(function index(r) {
  byId.set(r.id, r);
  for (const c of r.children ?? []) index(c);
})(project);
const REFERENCE = 4194304;
const resolve = (r) => (r.kind === REFERENCE && byId.has(r.target) ? byId.get(r.target) : r);

const modules = project.children?.some((c) => c.kind === 2) ? project.children : [project];
const STRICT = new Set([
  'node',
  'model',
  'testing',
  'ports',
  'machines',
  'operators',
  'store/node',
]);
const missing = [];
const lenient = [];
let checked = 0;
for (const mod of modules) {
  for (const r of mod.children ?? []) {
    checked++;
    const cs = commentsOf(resolve(r));
    const where = `${mod.name === project.name ? '' : `${mod.name}: `}${r.name}`;
    if (!cs.some(documented)) missing.push(`${where} (no documentation)`);
    else if (!cs.some(hasExample)) (STRICT.has(mod.name) ? missing : lenient).push(where);
  }
}
if (missing.length > 0) {
  console.error(`${missing.length} of ${checked} exports lack documentation or an example:`);
  for (const m of missing) console.error(`  ${m}`);
  process.exit(1);
}
console.log(
  `all ${checked} exports are documented; ${checked - lenient.length} with an example` +
    (lenient.length > 0 ? ` (${lenient.length} building-block exports have none yet)` : ''),
);
