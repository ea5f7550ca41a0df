import { describe, expect, it } from 'vitest';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import type { XmlElement } from '../../src/codecs/xml/tree.js';
import {
  applyElementWrite,
  bodyOf,
  type ElementWrite,
  KAMAILIO_XCAP_SERVER,
  nodeSelectorOf,
  RFC4825_SERVER,
  XcapElementWriteError,
} from '../../src/element-writes/index.js';

// RFC 4825 §8.2.3's insertion examples, as OpenXCAP's test_element_put.py runs them.
const START = '<root xmlns="t"><el1 att="first"/><el1 att="second"/><el2 att="first"/></root>';
const el = (xml: string): XmlElement =>
  parseXml(`<x xmlns="t">${xml}</x>`).children[0] as XmlElement;
const out = (e: XmlElement): string =>
  serializeXml(e, { declaration: false }).replace(' xmlns="t"', '').replaceAll(' xmlns="t"', '');
const put = (steps: ElementWrite['path'], xml: string): ElementWrite => ({
  kind: 'put-element',
  path: [{}, ...steps],
  element: el(xml),
});

describe('applyElementWrite, RFC 4825 server (§8.2.3)', () => {
  const rows: { name: string; write: ElementWrite; want: string }[] = [
    {
      name: 'attribute test only: after the last sibling of the same name',
      write: put([{ test: { name: 'att', value: 'third' } }], '<el1 att="third"/>'),
      want: '<root><el1 att="first"/><el1 att="second"/><el1 att="third"/><el2 att="first"/></root>',
    },
    {
      name: 'a name no sibling has: as the last child',
      write: put([{ test: { name: 'att', value: 'x' } }], '<el3 att="x"/>'),
      want: '<root><el1 att="first"/><el1 att="second"/><el2 att="first"/><el3 att="x"/></root>',
    },
    {
      name: '*[2][@att]: becomes the second element',
      write: put([{ position: 2, test: { name: 'att', value: '2' } }], '<el2 att="2"/>'),
      want: '<root><el1 att="first"/><el2 att="2"/><el1 att="second"/><el2 att="first"/></root>',
    },
    {
      name: '*[1][@att]: becomes the first element',
      write: put([{ position: 1, test: { name: 'att', value: '0' } }], '<el0 att="0"/>'),
      want: '<root><el0 att="0"/><el1 att="first"/><el1 att="second"/><el2 att="first"/></root>',
    },
    {
      name: '*[4]: one past the last element inserts',
      write: put([{ position: 4 }], '<el9/>'),
      want: '<root><el1 att="first"/><el1 att="second"/><el2 att="first"/><el9/></root>',
    },
    {
      name: '*[1]: replaces in place',
      write: put([{ position: 1 }], '<el1 att="third"/>'),
      want: '<root><el1 att="third"/><el1 att="second"/><el2 att="first"/></root>',
    },
    {
      name: 'delete by attribute test',
      write: { kind: 'delete-element', path: [{}, { test: { name: 'att', value: 'second' } }] },
      want: '<root><el1 att="first"/><el2 att="first"/></root>',
    },
    {
      name: 'delete of the last element by position (§8.2.5: the URI then selects nothing)',
      write: { kind: 'delete-element', path: [{}, { position: 3 }] },
      want: '<root><el1 att="first"/><el1 att="second"/></root>',
    },
    {
      name: 'attribute PUT (§7.5)',
      write: { kind: 'put-attribute', path: [{}, { position: 3 }], name: 'att', value: 'v' },
      want: '<root><el1 att="first"/><el1 att="second"/><el2 att="v"/></root>',
    },
  ];
  it.each(rows)('$name', ({ write, want }) => {
    expect(out(applyElementWrite(parseXml(START), write, RFC4825_SERVER))).toBe(want);
  });

  it.each([
    [
      'a PUT whose element fails the attribute test (cannot-insert)',
      put([{ test: { name: 'att', value: 'first' } }], '<el1 att="other"/>'),
      409,
    ],
    [
      'a position two past the last element',
      put([{ position: 5, test: { name: 'att', value: 'n' } }], '<el1 att="n"/>'),
      409,
    ],
    [
      'a step that selects two elements',
      put([{ test: { name: 'att', value: 'first' } }], '<el1 att="first"/>'),
      409,
    ],
    [
      // §8.2.5: `*[2]` would then select the old third element (not idempotent).
      'a positional DELETE of an element in the middle (cannot-delete)',
      { kind: 'delete-element', path: [{}, { position: 2 }] } as ElementWrite,
      409,
    ],
    [
      'a DELETE of nothing',
      { kind: 'delete-element', path: [{}, { position: 9 }] } as ElementWrite,
      404,
    ],
  ])('refuses %s', (_, write, status) => {
    const e = (() => {
      try {
        applyElementWrite(parseXml(START), write, RFC4825_SERVER);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(XcapElementWriteError);
    expect((e as XcapElementWriteError).status).toBe(status);
    expect((e as XcapElementWriteError).code).toBe('RXCAP_ELEMENT_WRITE');
  });
});

describe('applyElementWrite, Kamailio xcap_server (measured on the test server)', () => {
  it('moves a replaced element to the end of its parent', () => {
    const w = put([{ test: { name: 'att', value: 'first' } }], '<el1 att="first" x="1"/>');
    expect(
      out(
        applyElementWrite(
          parseXml('<root xmlns="t"><el1 att="first"/><el2/></root>'),
          w,
          KAMAILIO_XCAP_SERVER,
        ),
      ),
    ).toBe('<root><el2/><el1 att="first" x="1"/></root>');
  });

  it('deletes an element in the middle by position (no idempotency check, measured)', () => {
    const w: ElementWrite = { kind: 'delete-element', path: [{}, { position: 2 }] };
    expect(out(applyElementWrite(parseXml(START), w, KAMAILIO_XCAP_SERVER))).toBe(
      '<root><el1 att="first"/><el2 att="first"/></root>',
    );
  });

  it('appends every new element, whatever its position predicate', () => {
    const w = put([{ position: 1, test: { name: 'att', value: 'n' } }], '<el1 att="n"/>');
    expect(out(applyElementWrite(parseXml(START), w, KAMAILIO_XCAP_SERVER))).toBe(
      '<root><el1 att="first"/><el1 att="second"/><el2 att="first"/><el1 att="n"/></root>',
    );
  });

  it('has no attribute writes and cannot match a value with a character reference', () => {
    expect(() =>
      applyElementWrite(
        parseXml(START),
        { kind: 'put-attribute', path: [{}, { position: 1 }], name: 'att', value: 'v' },
        KAMAILIO_XCAP_SERVER,
      ),
    ).toThrow(XcapElementWriteError);
    expect(() =>
      applyElementWrite(
        parseXml(START),
        { kind: 'delete-element', path: [{}, { test: { name: 'att', value: 'a&b' } }] },
        KAMAILIO_XCAP_SERVER,
      ),
    ).toThrow(/cannot match/);
  });
});

describe('nodeSelectorOf and bodyOf', () => {
  it('builds `*` steps with the client builder (no namespace bindings needed)', () => {
    const w: ElementWrite = {
      kind: 'put-element',
      path: [
        {},
        { test: { name: 'name', value: 'oma_grantedcontacts' } },
        { position: 3, test: { name: 'uri', value: 'sip:a"b@x' } },
      ],
      element: el('<entry uri="sip:a&quot;b@x"/>'),
    };
    expect(nodeSelectorOf(w).toString()).toBe(
      `*/*[@name="oma_grantedcontacts"]/*[3][@uri='sip:a"b@x']`,
    );
    expect(nodeSelectorOf(w).namespaces).toEqual({});
    expect(bodyOf(w)).toBe('<entry xmlns="t" uri="sip:a&quot;b@x"/>');
    expect(
      nodeSelectorOf({
        kind: 'delete-attribute',
        path: [{}, { position: 1 }],
        name: 'att',
      }).toString(),
    ).toBe('*/*[1]/@att');
  });
});
