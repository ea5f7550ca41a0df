/**
 * Runs the README's TypeScript blocks as a user would paste them: the exact text of a block,
 * with only the placeholders a test names replaced (each must still be in the README, else
 * the test fails and says which), a prelude that defines what the block leaves to the
 * application (a UI's widgets, an account list), and `from 'rxcap'` pointing at this checkout.
 * Each block runs in its own Node process through tsx, so a leaked handle (the process does
 * not exit) or an unhandled Observable error (Node exits 1) fails the test as it would fail
 * the user.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The text from `heading` (a whole line, e.g. `## A short tour`) to the next heading of its level or higher. */
export async function readmeSection(heading: string): Promise<string> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = readme.slice(at + heading.length + 2);
  const end = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return end === null ? rest : rest.slice(0, end.index);
}

/** One ```ts block of the README and the `###` heading above it. */
export interface ReadmeBlock {
  readonly heading: string;
  readonly code: string;
}

/** Every ```ts block of `section`, with the heading it sits under. */
export function tsBlocks(section: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  let heading = '';
  const re = /^(#{2,6} .*)$|^```ts\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(section); m !== null; m = re.exec(section)) {
    if (m[1] !== undefined) heading = m[1];
    else blocks.push({ heading, code: m[2] ?? '' });
  }
  return blocks;
}

/**
 * `code` with each `[placeholder, value]` replaced (every occurrence). Throws when a
 * placeholder is gone: the README changed and the test must follow it, not silently run
 * something else.
 */
export function substitute(code: string, placeholders: readonly (readonly [string, string])[]) {
  let out = code;
  for (const [from, to] of placeholders) {
    if (!out.includes(from))
      throw new Error(
        `the README block no longer contains the placeholder ${JSON.stringify(from)}`,
      );
    out = out.replaceAll(from, to);
  }
  return out;
}

const CACHE = join(REPO, 'node_modules', '.cache', 'rxcap-readme');
/** The source file of each `rxcap/<subpath>` export (its `types` path in package.json, in src/). */
const SUBPATHS: Record<string, string> = Object.fromEntries(
  Object.entries(
    (
      JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
        exports: Record<string, { types?: string } | string>;
      }
    ).exports,
  ).flatMap(([k, v]) =>
    typeof v === 'object' && v.types !== undefined && k.startsWith('./') && k.length > 2
      ? [
          [
            k.slice(2),
            join(REPO, v.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')),
          ],
        ]
      : [],
  ),
);
/**
 * `code` with `'rxcap'` imports pointing at this checkout's `entry` (default the Node entry), and
 * `'rxcap/<subpath>'` ones at the subpath's source (a subpath the package does not export stays
 * as it is and fails to resolve, as it would for a user).
 */
const withPackageImports = (code: string, entry = 'node.ts'): string =>
  code
    .replaceAll("from 'rxcap'", `from ${JSON.stringify(join(REPO, 'src', entry))}`)
    .replace(/from 'rxcap\/([\w-]+)'/g, (m, sub: string) =>
      SUBPATHS[sub] === undefined ? m : `from ${JSON.stringify(SUBPATHS[sub])}`,
    );

/**
 * Type-checks snippets (each `prelude` + `code`) with the project's compiler options, strict as
 * the project: tsx, which runs them, only strips types. Resolves with the compiler's output
 * (empty when they check).
 */
export async function typecheckSnippets(
  snippets: readonly {
    readonly name: string;
    readonly code: string;
    readonly prelude?: string;
    /** The file of src/ that `'rxcap'` stands for (default `node.ts`). */
    readonly entry?: string | undefined;
  }[],
): Promise<string> {
  const dir = join(CACHE, `typecheck-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    const files: string[] = [];
    for (const s of snippets) {
      const file = join(dir, `${s.name}.mts`);
      await writeFile(file, withPackageImports(`${s.prelude ?? ''}\n${s.code}`, s.entry));
      files.push(file);
    }
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(REPO, 'tsconfig.json'),
        compilerOptions: { allowImportingTsExtensions: true, noEmit: true },
        include: [],
        files,
      }),
    );
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    try {
      await promisify(execFile)(tsc, ['--noEmit', '-p', join(dir, 'tsconfig.json')], {
        cwd: REPO,
        timeout: 120_000,
      });
      return '';
    } catch (e) {
      const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
      return `${stdout}${stderr}` || String(e);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a run printed and how it ended. */
export interface SnippetRun {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when the run was ended by `until` (or the timeout, which throws). */
  readonly code: number | null;
}

/**
 * Writes `prelude` + `code` (imports of `'rxcap'` pointing at src/node.ts) to a file under
 * node_modules/.cache as `.mts` (ES module there too; so that `rxjs`, `undici` resolve as in the repository) and runs it with
 * tsx. Resolves when the process exits, or, with `until`, as soon as stdout matches it (the
 * process is then killed: a service that runs forever). Rejects after `timeoutMs`.
 */
export async function runSnippet(options: {
  readonly name: string;
  readonly code: string;
  readonly prelude?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly until?: RegExp;
  readonly timeoutMs?: number;
}): Promise<SnippetRun> {
  await mkdir(CACHE, { recursive: true });
  const file = join(CACHE, `${options.name}-${process.pid}.mts`);
  await writeFile(file, withPackageImports(`${options.prelude ?? ''}\n${options.code}`));
  try {
    return await new Promise<SnippetRun>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', file], {
        cwd: REPO,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let ended = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `${options.name} did not ${options.until ? `print ${options.until}` : 'exit'} within ${options.timeoutMs ?? 60_000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
      }, options.timeoutMs ?? 60_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!ended && options.until?.test(stdout)) {
          ended = true;
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve({ stdout, stderr, code: null });
        }
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      // 'close', not 'exit': stdout may still hold output when the process exits.
      child.on('close', (code) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
    });
  } finally {
    await rm(file, { force: true });
  }
}
