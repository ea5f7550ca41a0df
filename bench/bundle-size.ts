/**
 * Size of rxcap in a browser page: esbuild bundles (platform=browser, minified, tree-shaken) of
 * an application that imports the browser entry, without xcap-diff (createXcapManager and the
 * IndexedDB store) and with it (plus sipDiffPort, which brings sip.js), gzipped at level 9.
 * What each dependency costs is measured by bundling again with that package left out
 * (external): the gzip bytes it adds to the page.
 */
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { fmt, type Section } from './support.js';

/** The size a page should stay under for rxcap without sip.js (gzip bytes). */
export const CORE_GZIP_TARGET = 40 * 1024;

const APPS = {
  core: "import { createXcapManager, Contact, ContactURI } from './src/browser.ts'; globalThis.app = [createXcapManager, Contact, ContactURI];",
  diff: "import { createXcapManager, Contact, ContactURI, sipDiffPort } from './src/browser.ts'; globalThis.app = [createXcapManager, Contact, ContactURI, sipDiffPort];",
} as const;

interface Bundle {
  readonly minified: number;
  readonly gzip: number;
  readonly metafile: Metafile;
}

async function bundle(app: string, external: string[] = []): Promise<Bundle> {
  const r = await build({
    stdin: { contents: app, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    external,
    logLevel: 'silent',
  });
  const out = r.outputFiles[0]!.contents;
  return { minified: out.length, gzip: gzipSync(out, { level: 9 }).length, metafile: r.metafile };
}

/** Minified bytes per npm package (rxcap's own sources as `rxcap`) in a bundle. */
function byPackage(m: Metafile): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of Object.values(m.outputs))
    for (const [file, i] of Object.entries(o.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? 'rxcap';
      out.set(pkg, (out.get(pkg) ?? 0) + i.bytesInOutput);
    }
  return out;
}

/** Minified bytes per folder of src/ in a bundle. */
function byFolder(m: Metafile): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of Object.values(m.outputs))
    for (const [file, i] of Object.entries(o.inputs)) {
      const folder = /^src\/([^/]+)\//.exec(file)?.[1] ?? (file.startsWith('src/') ? '(top)' : '');
      if (folder) out.set(folder, (out.get(folder) ?? 0) + i.bytesInOutput);
    }
  return out;
}

/**
 * Measures the browser bundle with and without xcap-diff and the cost of each dependency.
 *
 * @example const section = await runBundleSizeBench({ log: console.log });
 */
export async function runBundleSizeBench(opts: { log: (l: string) => void }): Promise<Section> {
  const core = await bundle(APPS.core);
  const diff = await bundle(APPS.diff);
  opts.log(`core ${fmt.bytes(core.gzip)} gzip, with xcap-diff ${fmt.bytes(diff.gzip)} gzip`);
  const packages = [...byPackage(diff.metafile).entries()]
    .filter(([p]) => p !== 'rxcap')
    .sort((a, b) => b[1] - a[1]);
  const rows: Section['rows'][number][] = [
    {
      name: 'browser bundle without xcap-diff (manager, IndexedDB, fetch)',
      value: `${fmt.bytes(core.gzip)} gzip`,
      baseline: `${fmt.bytes(CORE_GZIP_TARGET)} gzip target`,
      ratio: fmt.ratio(core.gzip / CORE_GZIP_TARGET),
      note: `${fmt.bytes(core.minified)} minified`,
    },
    {
      name: 'browser bundle with xcap-diff (+ sipDiffPort, sip.js)',
      value: `${fmt.bytes(diff.gzip)} gzip`,
      baseline: `${fmt.bytes(core.gzip)} without xcap-diff`,
      ratio: fmt.ratio(diff.gzip / core.gzip),
      note: `${fmt.bytes(diff.minified)} minified`,
    },
  ];
  for (const [pkg, minified] of packages) {
    const without = await bundle(APPS.diff, [pkg]);
    rows.push({
      name: `  of which ${pkg}`,
      value: `${fmt.bytes(diff.gzip - without.gzip)} gzip`,
      baseline: `${fmt.bytes(diff.gzip)} whole bundle`,
      ratio: fmt.ratio((diff.gzip - without.gzip) / diff.gzip),
      note: `${fmt.bytes(minified)} minified`,
    });
  }
  const own = [...byFolder(core.metafile).entries()].sort((a, b) => b[1] - a[1]);
  return {
    title:
      'Browser bundle size: bench/bundle-size.ts (esbuild, platform=browser, minified, gzip -9)',
    rows,
    notes: [
      `rxcap's own code in the bundle without xcap-diff, minified, by folder of src/: ${own
        .map(([f, b]) => `${f} ${fmt.bytes(b)}`)
        .join(', ')}.`,
      'A dependency’s gzip cost is the whole bundle minus the bundle built with that package external, so it includes what only that package pulls in (fast-xml-parser’s row includes is-unsafe, path-expression-matcher, strnum, anynum, xml-naming and @nodable/entities, which are also listed alone).',
    ],
  };
}
