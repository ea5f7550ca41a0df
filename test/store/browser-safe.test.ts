/**
 * The browser-safe part of the store (everything `src/store/index.ts` reaches) must not import a
 * `node:` module nor a Node-only package (DESIGN §1): browsers bundle it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const NODE_ONLY = /^(node:|lowdb|proper-lockfile|fs$|path$|os$|crypto$)/;

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

it('src/store/index.ts reaches no node: module and no Node-only package', () => {
  const start = fileURLToPath(new URL('../../src/store/index.ts', import.meta.url));
  const seen = new Set<string>();
  const offending: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (NODE_ONLY.test(spec)) offending.push(`${file}: ${spec}`);
    }
  };
  visit(start);
  expect(offending).toStrictEqual([]);
  // The walk did reach the modules it vouches for, and not the Node-only ones.
  const names = [...seen].map((f) => f.slice(f.lastIndexOf('/') + 1));
  expect(names).toEqual(
    expect.arrayContaining(['memory-storage.ts', 'document-cache.ts', 'journal-store.ts']),
  );
  expect(names).not.toContain('file-storage.ts');
});

it('src/store/node.ts does reach the file adapter (so the walk above can see node: imports)', () => {
  const offending: string[] = [];
  const visit = (file: string, seen: Set<string>) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen);
      else if (NODE_ONLY.test(spec)) offending.push(spec);
    }
  };
  visit(fileURLToPath(new URL('../../src/store/node.ts', import.meta.url)), new Set());
  expect(offending).toEqual(
    expect.arrayContaining(['node:fs/promises', 'lowdb', 'proper-lockfile']),
  );
});
