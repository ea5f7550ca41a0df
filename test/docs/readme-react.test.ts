/**
 * The README's "Binding to React" snippet is the React example's own line: the block must appear
 * verbatim in examples/react/app.tsx, which test/browser/react-example.test.ts runs in Chromium.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, readmeSection } from '../support/readme-blocks.js';

describe('README: Binding to React', () => {
  it('shows exactly what examples/react/app.tsx runs', async () => {
    const section = await readmeSection('### Binding to React');
    const blocks = [...section.matchAll(/^```tsx\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
    expect(blocks).toHaveLength(1);
    const app = await readFile(join(REPO, 'examples', 'react', 'app.tsx'), 'utf8');
    const code = blocks[0]!.trim();
    expect(code).toContain('useSyncExternalStore(manager.subscribe, manager.getSnapshot)');
    expect(app).toContain(code);
  });
});
