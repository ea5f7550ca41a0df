/**
 * The browser entry bundles for browsers: esbuild with `platform: 'browser'` resolves every
 * import of src/browser.ts, and the bundle holds no `node:` module, no undici and no Node-only
 * store package. The package's `exports` send browser bundlers there.
 */
import { readFileSync } from 'node:fs';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const NODE_ONLY = /(^|\/)node_modules\/(undici|lowdb|proper-lockfile)\/|^node:/;

async function bundle(entry: string): Promise<{ errors: string[]; inputs: string[] }> {
  try {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    return { errors: [], inputs: Object.keys((r.metafile as Metafile).inputs) };
  } catch (e) {
    const errors = (e as { errors?: { text: string }[] }).errors ?? [];
    return { errors: errors.map((x) => x.text), inputs: [] };
  }
}

describe('browser bundle', () => {
  it('src/browser.ts bundles for platform=browser without node: modules or undici', async () => {
    const { errors, inputs } = await bundle('src/browser.ts');
    expect(errors).toStrictEqual([]);
    expect(inputs.filter((f) => NODE_ONLY.test(f))).toStrictEqual([]);
    // It did bundle what it vouches for: the fetch transport, the IndexedDB store, the hashes.
    expect(inputs).toEqual(
      expect.arrayContaining([
        'src/client/fetch-transport.ts',
        'src/store/indexeddb-storage.ts',
        'src/client/hash.ts',
      ]),
    );
    expect(inputs.some((f) => f.includes('node_modules/@noble/hashes/'))).toBe(true);
  }, 60_000);

  it('the same check refuses the Node entry (it can see node: imports)', async () => {
    const { errors } = await bundle('src/node.ts');
    expect(errors.some((t) => t.includes('node:'))).toBe(true);
  }, 60_000);

  it("package.json sends the browser condition of 'rxcap' to the browser entry, first", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, Record<string, { default: string }>>;
    };
    const dot = pkg.exports['.']!;
    expect(Object.keys(dot)[0]).toBe('browser');
    expect(dot.browser!.default).toBe('./dist/browser.js');
    expect(dot.node!.default).toBe('./dist/node.js');
    expect(dot.default!.default).toBe('./dist/index.js');
  });
});
