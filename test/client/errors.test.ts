import { describe, expect, it } from 'vitest';
import {
  isTransient,
  MAX_ERROR_BODY_CHARS,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  XcapAuthError,
  XcapHttpError,
  XcapNetworkError,
  XcapNodeSelectorError,
  XcapTimeoutError,
} from '../../src/client/index.js';

const http = (status: number, headers: Record<string, string> = {}) =>
  new XcapHttpError({ status, url: 'http://x/y', method: 'GET', headers, body: '' });

describe('isTransient', () => {
  it.each([
    [500, true],
    [503, true],
    [429, true],
    [408, true],
    [404, false],
    [409, false],
    [412, false],
    [401, false],
    [403, false],
  ])('HTTP %i -> %s', (status, transient) => {
    expect(isTransient(http(status))).toBe(transient);
  });
  it('network and timeout errors are transient; auth and selector errors are not', () => {
    expect(
      isTransient(new XcapNetworkError({ url: 'u', method: 'GET', cause: new Error('x') })),
    ).toBe(true);
    expect(isTransient(new XcapTimeoutError({ url: 'u', method: 'GET', phase: 'headers' }))).toBe(
      true,
    );
    expect(isTransient(new XcapAuthError({ url: 'u', method: 'GET', reason: 'r' }))).toBe(false);
    expect(isTransient(new XcapNodeSelectorError('a[', 'r'))).toBe(false);
    expect(isTransient(new Error('plain'))).toBe(false);
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds', () => {
    expect(retryAfterMs(http(503, { 'Retry-After': '120' }))).toBe(120_000);
  });
  it('reads an HTTP-date relative to now', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(retryAfterMs(http(503, { 'retry-after': 'Sun, 06 Nov 1994 08:50:07 GMT' }), now)).toBe(
      30_000,
    );
    expect(retryAfterMs(http(503, { 'retry-after': 'Sun, 06 Nov 1994 08:00:00 GMT' }), now)).toBe(
      0,
    );
  });
  it('is undefined when absent, unparsable or not an HTTP error', () => {
    expect(retryAfterMs(http(503))).toBeUndefined();
    expect(retryAfterMs(http(503, { 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Error('x'))).toBeUndefined();
  });
  // Regression: a 10-year Retry-After came back as 3.15e11 ms, past a JavaScript timer's
  // limit (2^31-1 ms), where a timer fires after 1 ms.
  it.each([
    ['10 years of delay-seconds', '315360000'],
    ['a 400-digit number', '9'.repeat(400)],
    ['an HTTP-date in year 9999', 'Fri, 31 Dec 9999 23:59:59 GMT'],
  ])('clamps %s to MAX_RETRY_AFTER_MS (one day)', (_name, value) => {
    const ms = retryAfterMs(http(503, { 'retry-after': value }), Date.UTC(2026, 0, 1));
    expect(ms).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBeLessThan(2 ** 31 - 1);
  });
  it.each([
    ['a negative number', '-5'],
    ['a fraction', '10.5'],
    ['a sign', '+10'],
    ['two values', '120, 120'],
    ['garbage', 'soon'],
  ])('is undefined for %s (Date.parse would take some for a date in 2001)', (_name, value) => {
    expect(retryAfterMs(http(503, { 'retry-after': value }), Date.UTC(2026, 0, 1))).toBeUndefined();
  });
});

describe('XcapHttpError', () => {
  it('redacts credential headers, truncates the body and has a stable code', () => {
    const e = new XcapHttpError({
      status: 500,
      url: 'http://x',
      method: 'PUT',
      headers: {
        Authorization: 'Digest secret',
        'Set-Cookie': 's=1',
        'Content-Type': 'text/plain',
      },
      body: 'x'.repeat(MAX_ERROR_BODY_CHARS + 100),
    });
    expect(e.code).toBe('RXCAP_HTTP');
    expect(e.headers.authorization).toBe('[redacted]');
    expect(e.headers['set-cookie']).toBe('[redacted]');
    expect(e.headers['content-type']).toBe('text/plain');
    expect(e.body.length).toBe(MAX_ERROR_BODY_CHARS);
    expect(e.message).toBe('PUT http://x failed with HTTP 500');
  });
});
