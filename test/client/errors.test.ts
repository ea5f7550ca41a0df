import { describe, expect, it } from 'vitest';
import {
  isTransient,
  MAX_ERROR_BODY_CHARS,
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
