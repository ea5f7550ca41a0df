import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeNodeSelector,
  encodePathSegment,
  nodeSelector,
  validateNodeSelector,
} from '../../src/client/index.js';

// After encoding only pchar characters and "/" may remain (RFC 3986 §3.3), '%' only as %XX.
const ENCODED_RE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/;

const xmlUnescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');

describe('node selector properties', () => {
  it('encoding is reversible and leaves only path characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const enc = encodeNodeSelector(`a/b[@c="${s}"]`);
        expect(enc).toMatch(ENCODED_RE);
        expect(decodeURIComponent(enc)).toBe(`a/b[@c="${s}"]`);
      }),
    );
  });

  it('path segments (XUIs) round-trip and never contain / ? # or a bare %', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const enc = encodePathSegment(s);
        expect(enc).not.toMatch(/[/?#]|%(?![0-9A-F]{2})/);
        expect(decodeURIComponent(enc)).toBe(s);
      }),
    );
  });

  it('any attribute value gives a valid selector that carries the value exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (v) => {
        const sel = nodeSelector().el('resource-lists').el('list', { name: v }).toString();
        expect(validateNodeSelector(sel)).toBe('element');
        const m = /\[@name=(["'])(.*)\1\]$/s.exec(sel);
        expect(m).not.toBeNull();
        expect(xmlUnescape(m![2]!)).toBe(v);
      }),
    );
  });
});
