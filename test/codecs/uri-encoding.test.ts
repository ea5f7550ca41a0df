import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeUriValue,
  encodeXcapUriInDocument,
  quoteLikeSipsimple,
} from '../../src/codecs/uri-encoding.js';
import { REFERENCE_LAYOUT_DIR } from '../support/fixtures.js';

const DIR = REFERENCE_LAYOUT_DIR;
const ANCHOR_PLAIN =
  'http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name="oma_grantedcontacts"]';
const ANCHOR_SIPSIMPLE =
  'http%3A//127.0.0.1%3A5080/xcap-root/resource-lists/users/sip%3Aalice%40example.com/index/~~/resource-lists/list%5B%40name%3D%22oma_grantedcontacts%22%5D';

describe('decodeUriValue', () => {
  it.each([
    ['sip%3Abob%40example.com', 'sip:bob@example.com'],
    ['tel%3A%2B15551234567', 'tel:+15551234567'],
    ['sip%3Aalice%2Bpresence%40example.com', 'sip:alice+presence@example.com'],
    ['xmpp%3Agrace%40jabber.example.org', 'xmpp:grace@jabber.example.org'],
    [ANCHOR_SIPSIMPLE, ANCHOR_PLAIN],
    ['sip%3Ajos%C3%A9%40example.org', 'sip:josé@example.org'],
    ['sip:bob@example.com', 'sip:bob@example.com'],
    // Plain URIs with %XX are decoded too, as sipsimple does (quirk 14).
    ['sip:a%2Bb@example.com', 'sip:a+b@example.com'],
    // Malformed sequences stay as they are.
    ['100%', '100%'],
    ['a%zzb', 'a%zzb'],
    ['%E2%82', '%E2%82'],
    ['%FFx%C3%A9', '%FFxé'],
    ['%C0%AF', '%C0%AF'],
    ['%ED%A0%80', '%ED%A0%80'],
    ['%F0%9F%98%80', '😀'],
  ])('%s -> %s', (input, out) => {
    expect(decodeUriValue(input)).toBe(out);
  });
  it('reads every percent-encoded value of the fixture documents', () => {
    const xml = readFileSync(`${DIR}/resource-lists.xml`, 'utf8');
    const uris = [...xml.matchAll(/uri="([^"]+)"/g)].map((m) => decodeUriValue(m[1]!));
    expect(uris).toContain('sip:bob@example.com');
    for (const u of uris) expect(u).not.toMatch(/%[0-9A-F]{2}/);
  });
});

describe('encodeXcapUriInDocument', () => {
  it('encodes the node selector characters RFC 4825 needs and keeps ~~, :, @ and =', () => {
    expect(encodeXcapUriInDocument(ANCHOR_PLAIN)).toBe(
      'http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22oma_grantedcontacts%22%5D',
    );
  });
  it.each([
    ['a b', 'a%20b'],
    ['é', '%C3%A9'],
    ['<>{}|\\^`', '%3C%3E%7B%7D%7C%5C%5E%60'],
    ['%41', '%41'],
    ['100%', '100%25'],
    ['http://[::1]:5080/x[1]', 'http://[::1]:5080/x%5B1%5D'],
  ])('%s -> %s', (input, out) => {
    expect(encodeXcapUriInDocument(input)).toBe(out);
  });
  it('is undone by decodeUriValue (property, values without %)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('%')),
        (s) => {
          const enc = encodeXcapUriInDocument(s);
          expect(enc).not.toMatch(/["[\] <>]/);
          expect(decodeUriValue(enc)).toBe(s);
        },
      ),
    );
  });
});

describe('quoteLikeSipsimple', () => {
  it('reproduces the fixture encoding byte for byte', () => {
    expect(quoteLikeSipsimple(ANCHOR_PLAIN)).toBe(ANCHOR_SIPSIMPLE);
    expect(quoteLikeSipsimple("sip:o'neil!(x)*@example.com")).toBe(
      'sip%3Ao%27neil%21%28x%29%2A%40example.com',
    );
  });
  it('round-trips through decodeUriValue (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(decodeUriValue(quoteLikeSipsimple(s))).toBe(s);
      }),
    );
  });
});
