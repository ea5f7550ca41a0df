/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), the tarball's
 * contents, then an install into a fresh project (offline, from the tarball and the npm cache),
 * a strict type check of a program under `nodenext` and `bundler` resolution, and runs of it as
 * an ES module and through CommonJS `require` (Node 20.19+ loads ES modules with `require`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_CJS, USER_ESM } from './user-programs.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let work = '';
let app = '';
let packed: PackResult;

async function sh(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed:\n${x.stdout ?? ''}\n${x.stderr ?? x.message}`,
    );
  }
}

async function npmInstall(args: readonly string[]): Promise<void> {
  const common = ['install', '--no-audit', '--no-fund', '--no-update-notifier', ...args];
  try {
    await sh('npm', [...common, '--offline'], app);
  } catch {
    // A cache that lacks a package (a machine that never installed it): the registry may fill it.
    await sh('npm', [...common, '--prefer-offline'], app);
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxcap-package-'));
  const out = await sh('npm', ['pack', '--json', '--pack-destination', work], repo);
  const json = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
  packed = json[0] as PackResult;
  app = join(work, 'app');
  await sh('mkdir', ['-p', join(app, 'src')], work);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'rxcap-user', private: true, type: 'module' }, null, 2),
  );
  await npmInstall([join(work, packed.filename)]);
}, 180_000);

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships dist (JS, .d.ts, maps), the sources the maps name, README, LICENSE and CHANGELOG', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/node.js',
      'dist/node.d.ts',
      'dist/node.js.map',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(
      [...files].filter((f) => f.startsWith('test/') || f.startsWith('node_modules/')),
    ).toEqual([]);
  });

  it('every source map names files that are in the tarball', async () => {
    const files = new Set(packed.files.map((f) => f.path));
    const maps = [...files].filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const root = join(app, 'node_modules', 'rxcap');
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(root, map), 'utf8')) as {
        sources: string[];
      };
      for (const s of sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), s));
        if (!files.has(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('LICENSE is the MIT license package.json names', async () => {
    const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
      license: string;
    };
    expect(pkg.license).toBe('MIT');
    expect(await readFile(join(repo, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });
});

describe('installed into a fresh project', () => {
  it('takes rxjs and sip.js from the application (peer dependencies) and installs no xmlbuilder2', async () => {
    const installed = JSON.parse(
      await readFile(join(app, 'node_modules', 'rxcap', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(installed.peerDependencies).toMatchObject({
      rxjs: expect.any(String),
      'sip.js': expect.any(String),
    });
    expect(installed.dependencies).not.toHaveProperty('rxjs');
    expect(installed.dependencies).not.toHaveProperty('sip.js');
    // undici 8 needs Node 22: the range must stay inside 7.x.
    expect(installed.dependencies.undici).toMatch(/^\^7\./);
    const nested = join(app, 'node_modules', 'rxcap', 'node_modules');
    expect(existsSync(join(nested, 'rxjs'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'rxjs'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'xmlbuilder2'))).toBe(false);
  });

  it('type-checks under nodenext and runs as an ES module and through require()', async () => {
    await writeFile(join(app, 'src', 'main.ts'), USER_ESM);
    await writeFile(join(app, 'src', 'main-cjs.cts'), USER_CJS);
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2023'],
          types: ['node'],
          typeRoots: [join(repo, 'node_modules', '@types')],
          outDir: 'out',
          rootDir: 'src',
          skipLibCheck: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
        },
        include: ['src/*.ts', 'src/*.cts'],
      }),
    );
    await sh('node', [tsc, '-p', 'tsconfig.json'], app);
    const esm = await sh('node', ['out/main.js'], app);
    expect(JSON.parse(esm)).toEqual(EXPECTED);
    // The CommonJS build really goes through require(): no import() of rxcap in it.
    const cjsCode = await readFile(join(app, 'out', 'main-cjs.cjs'), 'utf8');
    expect(cjsCode).toContain('require("rxcap")');
    const cjs = await sh('node', ['--no-warnings', 'out/main-cjs.cjs'], app);
    expect(JSON.parse(cjs)).toEqual(EXPECTED);
  });

  it('installs the rxcap command (bin) and it runs', async () => {
    const bin = join(app, 'node_modules', '.bin', 'rxcap');
    expect((await sh(bin, ['--version'], app)).trim()).toBe(
      (JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string })
        .version,
    );
    expect(await sh(bin, ['get', '--help'], app)).toMatch(/^Usage: rxcap get/);
  });

  it('resolves every documented subpath, and the main entry is curated', async () => {
    const subpaths = [
      'client',
      'codecs',
      'journal',
      'machines',
      'model',
      'operators',
      'ports',
      'sip',
      'store',
      'testing',
    ];
    await writeFile(
      join(app, 'subpaths.mjs'),
      `const out = {};
for (const p of ${JSON.stringify(['', ...subpaths])}) {
  const m = await import(p === '' ? 'rxcap' : 'rxcap/' + p);
  out[p || 'main'] = Object.keys(m).length;
}
console.log(JSON.stringify(out));
`,
    );
    const counts = JSON.parse(await sh('node', ['subpaths.mjs'], app)) as Record<string, number>;
    for (const p of subpaths) expect(counts[p], p).toBeGreaterThan(0);
    // Runtime names of the Node main entry (types are not counted): the curated surface.
    expect(counts.main).toBeGreaterThanOrEqual(35);
    expect(counts.main).toBeLessThanOrEqual(60);
  });

  it('type-checks under bundler resolution', async () => {
    await writeFile(join(app, 'src', 'main.ts'), USER_ESM);
    await writeFile(
      join(app, 'tsconfig.bundler.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'preserve',
          moduleResolution: 'bundler',
          lib: ['ES2023', 'DOM'],
          types: ['node'],
          typeRoots: [join(repo, 'node_modules', '@types')],
          noEmit: true,
          skipLibCheck: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
        },
        files: ['src/main.ts'],
      }),
    );
    await sh('node', [tsc, '-p', 'tsconfig.bundler.json'], app);
  });
});

const EXPECTED = {
  sameRxjs: true,
  state: 'stopped',
  contact: 'Bob',
  url: 'https://xcap.example.com/xcap-root/resource-lists/users/sip:alice@example.com/index',
  testingRoot: 'http://xcap.test/xcap-root',
};
