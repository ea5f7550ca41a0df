/**
 * Layout is kept while it is layout: comments and whitespace inside the root survive a round
 * trip, but a document padded with them (valid XML under every limit) is read without the
 * padding, in memory proportional to it, and the padding is never written back. Peak RSS is
 * measured in a child process (test/support/layout-padding-child.ts).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_KEPT_COMMENTS, MAX_KEPT_WHITESPACE, parseXml } from '../../../src/codecs/xml/parse.js';
import { serializeXml } from '../../../src/codecs/xml/serialize.js';
import { textOf } from '../../../src/codecs/xml/tree.js';

const CHILD = fileURLToPath(new URL('../../support/layout-padding-child.ts', import.meta.url));

function measure(kind: 'comments' | 'whitespace', mib: number) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', CHILD, kind, String(mib)],
    { encoding: 'utf8', maxBuffer: 1024 * 1024, timeout: 120_000 },
  );
  return JSON.parse(out) as {
    docBytes: number;
    peakGrowthBytes: number;
    ms: number;
    cpuMs: number;
    children: number;
    writtenBytes: number;
  };
}

describe('parseXml: layout padding', () => {
  it('a document padded with comments is read in memory proportional to it and written back without them', {
    timeout: 120_000,
  }, () => {
    // 16 MiB of <!----> inside the root: 2.4 million comments (before: ~1 GB peak RSS, 8 s CPU).
    const r = measure('comments', 16);
    console.log(
      `16 MiB of comments: peak RSS +${(r.peakGrowthBytes / 2 ** 20).toFixed(0)} MiB (${(r.peakGrowthBytes / r.docBytes).toFixed(1)}x), ${r.cpuMs} ms CPU`,
    );
    expect(r.peakGrowthBytes).toBeLessThan(8 * r.docBytes);
    expect(r.children).toBe(1);
    expect(r.writtenBytes).toBeLessThan(300);
  });

  it('a 12 MiB whitespace run is read in memory proportional to it and not written back', {
    timeout: 120_000,
  }, () => {
    const r = measure('whitespace', 12);
    console.log(
      `12 MiB of whitespace: peak RSS +${(r.peakGrowthBytes / 2 ** 20).toFixed(0)} MiB (${(r.peakGrowthBytes / r.docBytes).toFixed(1)}x), ${r.cpuMs} ms CPU`,
    );
    expect(r.peakGrowthBytes).toBeLessThan(8 * r.docBytes);
    expect(r.writtenBytes).toBeLessThan(300);
  });

  it(`keeps up to ${MAX_KEPT_COMMENTS} comments, and none past that`, () => {
    const doc = (n: number) => `<a><b/>${'<!--c-->'.repeat(n)}<b/></a>`;
    const kept = parseXml(doc(MAX_KEPT_COMMENTS));
    expect(kept.children.filter((c) => c.type === 'comment')).toHaveLength(MAX_KEPT_COMMENTS);
    const padded = parseXml(doc(MAX_KEPT_COMMENTS + 1));
    expect(padded.children.map((c) => c.type)).toEqual(['element', 'element']);
    expect(serializeXml(padded, { declaration: false })).toBe('<a><b/><b/></a>');
  });

  it('drops a whitespace-only run past the layout size, keeps shorter ones and all text', () => {
    const long = ' '.repeat(MAX_KEPT_WHITESPACE + 1);
    const short = '\n'.repeat(MAX_KEPT_WHITESPACE);
    const r = parseXml(`<a>${short}<b/>${long}<c> ${long}x</c></a>`);
    expect(r.children.map((c) => c.type)).toEqual(['text', 'element', 'element']);
    expect(textOf(r.children[2] as never)).toBe(` ${long}x`);
  });

  it('a comment inside CDATA is text, never stripped', () => {
    const r = parseXml(
      `<a>${'<!---->'.repeat(MAX_KEPT_COMMENTS + 1)}<![CDATA[<!-- keep -->]]></a>`,
    );
    expect(textOf(r)).toBe('<!-- keep -->');
  });
});
