// Fails (exit 1) when an export of a public entry point has no JSDoc or no @example: reads the
// JSON TypeDoc wrote (scripts/api-docs/run.sh) and lists every offender.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'docs-api/api.json';
const project = JSON.parse(readFileSync(file, 'utf8'));

/** The comment of a reflection, or of its first signature (functions, methods). */
function commentOf(r) {
  if (r.comment) return r.comment;
  for (const s of r.signatures ?? []) if (s.comment) return s.comment;
  if (r.type?.declaration?.signatures?.[0]?.comment)
    return r.type.declaration.signatures[0].comment;
  return undefined;
}

const modules = project.children?.some((c) => c.kind === 2) ? project.children : [project];
const missing = [];
let checked = 0;
for (const mod of modules) {
  for (const r of mod.children ?? []) {
    checked++;
    const c = commentOf(r);
    const where = `${mod.name === project.name ? '' : `${mod.name}: `}${r.name}`;
    if (!c || (c.summary ?? []).every((p) => (p.text ?? '').trim() === ''))
      missing.push(`${where} (no documentation)`);
    else if (!(c.blockTags ?? []).some((t) => t.tag === '@example'))
      missing.push(`${where} (no @example)`);
  }
}
if (missing.length > 0) {
  console.error(`${missing.length} of ${checked} exports lack documentation or an example:`);
  for (const m of missing) console.error(`  ${m}`);
  process.exit(1);
}
console.log(`all ${checked} exports are documented with an example`);
