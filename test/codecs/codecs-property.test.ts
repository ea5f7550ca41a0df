import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Condition,
  DIALOG_RULES,
  decodeDialogRules,
  decodePresContent,
  decodePresence,
  decodePresRules,
  decodeResourceLists,
  decodeRlsServices,
  decodeXcapCaps,
  encodeDialogRules,
  encodePresContent,
  encodePresence,
  encodePresRules,
  encodeResourceLists,
  encodeRlsServices,
  encodeXcapCaps,
  PRES_CONTENT_SHAPE,
  PRES_RULES,
  PROVIDE_FLAGS,
  type Presence,
  type PresTransformations,
  parseXml,
  pidfShape,
  RESOURCE_LISTS_SHAPE,
  type ResourceLists,
  RLS_SERVICES_SHAPE,
  type RlItem,
  type RlList,
  type RlsServices,
  type Ruleset,
  sameElement,
  serializeXml,
  type XmlElement,
} from '../../src/codecs/index.js';
import type { PidfDevice, PidfPerson, PidfTuple, RpidEnumerated } from '../../src/codecs/pidf.js';
import {
  compact,
  foreignArb,
  foreignAttrsArb,
  foreignElementsArb,
  langTextArb,
  nameArb,
  textArb,
  tokenArb,
  uriArb,
  xcapUriArb,
} from './arbitraries.js';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 80) };

/**
 * The round-trip laws every codec obeys: decode(encode(x)) = x on the tree, and the same after
 * serializing to text and parsing back (compared by meaning, since parsing adds prefix hints).
 */
function checkLaws<T>(
  arb: fc.Arbitrary<T>,
  encode: (x: T) => XmlElement,
  decode: (e: XmlElement) => T,
) {
  fc.assert(
    fc.property(arb, (x) => {
      const tree = encode(x);
      expect(decode(tree)).toEqual(x);
      const parsed = parseXml(serializeXml(tree));
      expect(sameElement(parsed, tree)).toBe(true);
      expect(sameElement(encode(decode(parsed)), tree)).toBe(true);
    }),
    RUNS,
  );
}

// ---- resource-lists
const displayNameOpt = fc.option(langTextArb);
function rlListArb(depth: number): fc.Arbitrary<RlList> {
  const entry = fc
    .record({ uri: uriArb, displayName: displayNameOpt, f: foreignArb })
    .map(({ uri, displayName, f }) => compact({ kind: 'entry' as const, uri, displayName, ...f }));
  const ref = fc
    .record({ ref: xcapUriArb, displayName: displayNameOpt, f: foreignArb })
    .map(({ ref, displayName, f }) =>
      compact({ kind: 'entry-ref' as const, ref, displayName, ...f }),
    );
  const ext = fc
    .record({ anchor: fc.option(xcapUriArb), displayName: displayNameOpt, f: foreignArb })
    .map(({ anchor, displayName, f }) =>
      compact({ kind: 'external' as const, anchor, displayName, ...f }),
    );
  const item: fc.Arbitrary<RlItem> =
    depth > 0 ? fc.oneof(entry, ref, ext, rlListArb(depth - 1)) : fc.oneof(entry, ref, ext);
  return fc
    .record({
      name: fc.option(tokenArb),
      displayName: displayNameOpt,
      items: fc.array(item, { maxLength: 3 }),
      f: foreignArb,
    })
    .map(({ name, displayName, items, f }) =>
      compact({ kind: 'list' as const, name, displayName, items, ...f }),
    );
}
const resourceListsArb: fc.Arbitrary<ResourceLists> = fc
  .record({ lists: fc.array(rlListArb(1), { maxLength: 3 }), f: foreignArb })
  .map(({ lists, f }) => ({ lists, ...f, shape: RESOURCE_LISTS_SHAPE }));

// ---- rls-services
const rlsArb: fc.Arbitrary<RlsServices> = fc
  .record({
    services: fc.array(
      fc
        .record({
          uri: uriArb,
          source: fc.oneof(
            xcapUriArb.map((uri) => ({ kind: 'resource-list' as const, uri })),
            rlListArb(0).map((list) => ({ kind: 'list' as const, list })),
          ),
          packages: fc.option(
            fc.record({
              packages: fc.array(tokenArb, { maxLength: 2 }),
              extensions: foreignElementsArb,
            }),
          ),
          f: foreignArb,
        })
        .map(({ uri, source, packages, f }) => compact({ uri, source, packages, ...f })),
      { maxLength: 3 },
    ),
    f: foreignArb,
  })
  .map(({ services, f }) => ({ services, ...f, shape: RLS_SERVICES_SHAPE }));

// ---- common-policy
const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .record({
      ones: fc.array(
        fc.record({ id: uriArb, f: foreignArb }).map(({ id, f }) => ({ id, ...f })),
        { maxLength: 2 },
      ),
      manys: fc.array(
        fc
          .record({
            domain: fc.option(tokenArb),
            excepts: fc.array(
              fc
                .record({ domain: fc.option(tokenArb), id: fc.option(uriArb), f: foreignArb })
                .map(({ domain, id, f }) => compact({ domain, id, ...f })),
              { maxLength: 2 },
            ),
            f: foreignArb,
          })
          .map(({ domain, excepts, f }) => compact({ domain, excepts, ...f })),
        { maxLength: 2 },
      ),
      f: foreignArb,
    })
    .map(({ ones, manys, f }) => ({ kind: 'identity' as const, ones, manys, ...f })),
  fc
    .record({ value: tokenArb, f: foreignArb })
    .map(({ value, f }) => ({ kind: 'sphere' as const, value, ...f })),
  fc
    .record({
      intervals: fc.array(fc.record({ from: tokenArb, until: tokenArb }), { maxLength: 2 }),
      f: foreignArb,
    })
    .map(({ intervals, f }) => ({ kind: 'validity' as const, intervals, ...f })),
  fc
    .record({
      entries: fc.array(
        fc.record({ anc: xcapUriArb, f: foreignArb }).map(({ anc, f }) => ({ anc, ...f })),
        {
          maxLength: 2,
        },
      ),
      f: foreignArb,
    })
    .map(({ entries, f }) => ({ kind: 'external-list' as const, entries, ...f })),
  foreignArb.map((f) => ({ kind: 'other-identity' as const, ...f })),
  foreignArb.map((f) => ({ kind: 'anonymous-request' as const, ...f })),
);
const provideSetArb = fc
  .record({
    all: fc.boolean(),
    items: fc.array(
      fc.record({ name: fc.constantFrom('service-uri', 'class', 'occurrence-id'), value: textArb }),
      {
        maxLength: 2,
      },
    ),
    f: foreignArb,
  })
  .map(({ all, items, f }) => ({
    all,
    items,
    extensions: f.extensions,
    otherAttributes: f.otherAttributes,
  }));
const transformationsArb: fc.Arbitrary<PresTransformations> = fc
  .record({
    provideServices: fc.option(provideSetArb),
    providePersons: fc.option(provideSetArb),
    provideDevices: fc.option(provideSetArb),
    flags: fc.dictionary(fc.constantFrom(...PROVIDE_FLAGS), fc.boolean(), { maxKeys: 4 }),
    provideUserInput: fc.option(
      fc.constantFrom('false', 'bare', 'thresholds', 'full') as fc.Arbitrary<'false'>,
    ),
    provideUnknownAttributes: fc.array(
      fc.record({ ns: fc.constantFrom('urn:x', ''), name: nameArb, value: fc.boolean() }),
      {
        maxLength: 2,
      },
    ),
    provideAllAttributes: fc.boolean(),
    f: foreignArb,
  })
  .map(({ f, ...t }) => compact({ ...t, ...f }));
function rulesetArb(
  shape: typeof PRES_RULES.shape,
  withTransformations: boolean,
): fc.Arbitrary<Ruleset> {
  return fc
    .record({
      rules: fc.array(
        fc
          .record({
            id: nameArb,
            conditions: fc.option(
              fc
                .record({ items: fc.array(conditionArb, { maxLength: 3 }), f: foreignArb })
                .map(({ items, f }) => ({ items, ...f })),
            ),
            actions: fc.option(
              fc
                .record({
                  subHandling: fc.option(
                    fc.constantFrom(
                      'block',
                      'confirm',
                      'polite-block',
                      'allow',
                    ) as fc.Arbitrary<'allow'>,
                  ),
                  f: foreignArb,
                })
                .map(({ subHandling, f }) => compact({ subHandling, ...f })),
            ),
            transformations: withTransformations
              ? fc.option(transformationsArb)
              : fc.constant(null),
            f: foreignArb,
          })
          .map(({ f, ...r }) => compact({ ...r, ...f })),
        { maxLength: 3 },
      ),
      f: foreignArb,
    })
    .map(({ rules, f }) => ({ rules, ...f, shape }));
}

// ---- pidf
const enumeratedArb: fc.Arbitrary<RpidEnumerated> = fc
  .record({
    id: fc.option(nameArb),
    from: fc.option(tokenArb),
    until: fc.option(tokenArb),
    notes: fc.array(langTextArb, { maxLength: 2 }),
    values: fc.array(fc.constantFrom('away', 'busy', 'meal', 'happy'), { maxLength: 2 }),
    others: fc.array(langTextArb, { maxLength: 1 }),
    f: foreignArb,
  })
  .map(({ f, ...e }) => compact({ ...e, ...f }));
const rpidValueArb = fc.record({ value: textArb, attributes: foreignAttrsArb });
const rpidArb = fc.record({
  activities: fc.option(enumeratedArb),
  mood: fc.option(enumeratedArb),
  class: fc.option(rpidValueArb),
  statusIcon: fc.option(rpidValueArb),
  timeOffset: fc.option(rpidValueArb),
  userInput: fc.option(rpidValueArb),
});
const cipidArb = fc
  .record({
    card: fc.option(tokenArb),
    displayName: fc.option(langTextArb),
    homepage: fc.option(tokenArb),
    icon: fc.option(tokenArb),
    map: fc.option(tokenArb),
    sound: fc.option(tokenArb),
  })
  .map(compact);
const personArb: fc.Arbitrary<PidfPerson> = fc
  .record({
    id: nameArb,
    rpid: rpidArb,
    cipid: cipidArb,
    notes: fc.array(langTextArb, { maxLength: 2 }),
    timestamp: fc.option(tokenArb),
    f: foreignArb,
  })
  .map(({ rpid, f, ...p }) => compact({ ...p, ...compact(rpid), ...f }));
const deviceArb: fc.Arbitrary<PidfDevice> = fc
  .record({
    id: nameArb,
    deviceId: fc.option(tokenArb),
    rpid: rpidArb,
    cipid: cipidArb,
    notes: fc.array(langTextArb, { maxLength: 2 }),
    timestamp: fc.option(tokenArb),
    f: foreignArb,
  })
  .map(({ rpid, f, ...p }) => compact({ ...p, ...compact(rpid), ...f }));
const tupleArb: fc.Arbitrary<PidfTuple> = fc
  .record({
    id: nameArb,
    status: fc
      .record({
        basic: fc.option(fc.constantFrom('open', 'closed') as fc.Arbitrary<'open'>),
        extended: fc.option(fc.constantFrom('away', 'busy', 'available')),
        extensions: foreignElementsArb,
      })
      .map(compact),
    contact: fc.option(
      fc
        .record({ uri: uriArb, priority: fc.option(fc.constantFrom('0.8', '1', '0')) })
        .map(compact),
    ),
    notes: fc.array(langTextArb, { maxLength: 2 }),
    timestamp: fc.option(tokenArb),
    deviceId: fc.option(tokenArb),
    rpid: rpidArb,
    cipid: cipidArb,
    f: foreignArb,
  })
  .map(({ rpid, f, ...t }) => compact({ ...t, ...compact(rpid), ...f }));
const presenceArb: fc.Arbitrary<Presence> = fc
  .record({
    entity: uriArb,
    tuples: fc.array(tupleArb, { maxLength: 2 }),
    persons: fc.array(personArb, { maxLength: 2 }),
    devices: fc.array(deviceArb, { maxLength: 1 }),
    notes: fc.array(langTextArb, { maxLength: 2 }),
    f: foreignArb,
    agp: fc.boolean(),
  })
  .map(({ f, agp, ...p }) => ({ ...p, ...f, shape: pidfShape(agp) }));

describe('codec round-trip laws (property)', () => {
  it('resource-lists', () => checkLaws(resourceListsArb, encodeResourceLists, decodeResourceLists));
  it('rls-services', () => checkLaws(rlsArb, encodeRlsServices, decodeRlsServices));
  it('pres-rules', () =>
    checkLaws(rulesetArb(PRES_RULES.shape, true), encodePresRules, decodePresRules));
  it('dialog-rules', () =>
    checkLaws(rulesetArb(DIALOG_RULES.shape, false), encodeDialogRules, decodeDialogRules));
  it('pres-content', () =>
    checkLaws(
      fc
        .record({
          mimeType: fc.option(fc.constantFrom('image/png', 'image/jpeg')),
          encoding: fc.option(fc.constant('base64')),
          descriptions: fc.array(langTextArb, { maxLength: 2 }),
          data: fc.uint8Array({ maxLength: 64 }),
          f: foreignArb,
        })
        .map(({ f, ...c }) => ({ ...compact(c), ...f, shape: PRES_CONTENT_SHAPE })),
      encodePresContent,
      decodePresContent,
    ));
  it('pidf', () => checkLaws(presenceArb, encodePresence, decodePresence));
  it('xcap-caps', () =>
    checkLaws(
      fc
        .record({
          auids: fc.array(tokenArb, { maxLength: 3 }),
          extensions: fc.array(tokenArb, { maxLength: 2 }),
          namespaces: fc.array(tokenArb, { maxLength: 2 }),
          otherElements: foreignElementsArb,
          otherAttributes: foreignAttrsArb,
        })
        .map((c) => ({ ...c, shape: { prefix: '' } })),
      encodeXcapCaps,
      decodeXcapCaps,
    ));
});
