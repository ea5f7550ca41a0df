import { describe, expect, it } from 'vitest';
import { formatEtag, parseEtag } from '../../src/client/index.js';
import { XcapValidationError } from '../../src/errors.js';

describe('formatEtag (conditional request headers)', () => {
  it('quotes a bare tag and keeps quoted and weak tags as given', () => {
    expect(formatEtag('abc')).toBe('"abc"');
    expect(formatEtag('"abc"')).toBe('"abc"');
    expect(formatEtag('W/"abc"')).toBe('W/"abc"');
  });
  it('writes * quoted by default (Kamailio, DESIGN §4) and bare on request (RFC 9110)', () => {
    expect(formatEtag('*')).toBe('"*"');
    expect(formatEtag('*', 'quoted')).toBe('"*"');
    expect(formatEtag('*', 'bare')).toBe('*');
  });
  it('refuses tags that could inject header content', () => {
    expect(() => formatEtag('a"b')).toThrow(XcapValidationError);
    expect(() => formatEtag('a\r\nX-Evil: 1')).toThrow(XcapValidationError);
    expect(() => formatEtag('a b')).toThrow(XcapValidationError);
  });
  it('quotes a bare tag that merely starts with W/ (not a weak tag, so not sent unquoted)', () => {
    expect(formatEtag('W/abc')).toBe('"W/abc"');
    expect(formatEtag('W/')).toBe('"W/"');
  });
});

describe('parseEtag (response ETag header)', () => {
  it('strips quotes from strong tags, quoted or not', () => {
    expect(parseEtag('"abc"')).toEqual({ etag: 'abc', weak: false });
    expect(parseEtag('abc')).toEqual({ etag: 'abc', weak: false });
    expect(parseEtag(' "abc" ')).toEqual({ etag: 'abc', weak: false });
  });
  it('keeps the weak marker so that the tag round-trips', () => {
    const w = parseEtag('W/"xyz"');
    expect(w).toEqual({ etag: 'W/"xyz"', weak: true });
    expect(formatEtag(w!.etag)).toBe('W/"xyz"');
  });
  it('gives null for a missing or empty header', () => {
    expect(parseEtag(undefined)).toBeNull();
    expect(parseEtag('')).toBeNull();
    expect(parseEtag('""')).toBeNull();
  });
  it('round-trips a strong tag through formatEtag', () => {
    expect(formatEtag(parseEtag('"e0003"')!.etag)).toBe('"e0003"');
  });
});
