/**
 * The layers the folders show: the adapters (src/sip, src/client, src/store) implement the ports
 * of src/ports without importing the pipelines' layer (src/streams) or the manager; the core
 * folders, src/ports, src/actor and src/manager included, import no `node:` module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function importsIn(folder: string): { file: string; spec: string }[] {
  const out: { file: string; spec: string }[] = [];
  for (const entry of readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const source = readFileSync(join(SRC, folder, entry), 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm))
      out.push({ file: `${folder}/${entry}`, spec: m[1]! });
  }
  return out;
}

it.each(['sip', 'client', 'store'])(
  'src/%s imports neither src/streams nor src/manager',
  (folder) => {
    const imports = importsIn(folder);
    expect(imports.length).toBeGreaterThan(0);
    const offending = imports.filter((i) => /\/(streams|manager)(\/|\.js$)/.test(i.spec));
    expect(offending).toEqual([]);
  },
);

it.each(['ports', 'actor', 'manager', 'streams', 'journal', 'codecs', 'model', 'operators'])(
  'src/%s imports no node: module',
  (folder) => {
    const offending = importsIn(folder).filter((i) => i.spec.startsWith('node:'));
    expect(offending).toEqual([]);
  },
);
