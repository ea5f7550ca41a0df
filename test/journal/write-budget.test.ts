/**
 * Write limits: the estimate the manager's methods check is an upper bound of what applying
 * the operations really writes (so a refused edit is the only way past a read limit), and it
 * is close enough not to refuse documents far below the limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/client/transport.js';
import { DEFAULT_XML_LIMITS } from '../../src/codecs/xml/limits.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import {
  applyOperations,
  type Documents,
  documentSize,
  type Operation,
  operations,
  WRITE_LIMITS,
  WriteBudget,
  XcapWriteLimitError,
} from '../../src/journal/index.js';
import { Contact, ContactURI, EventHandling, Group, Policy } from '../../src/model/index.js';
import { ctx, fixtureDocs, fixtureXml } from './fixture-helpers.js';

const handling = fc
  .tuple(fc.constantFrom('allow', 'block', 'default'), fc.boolean())
  .map(([p, s]) => new EventHandling(p as 'allow', s));
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const uri = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,12}$/), fc.constantFrom('example.com', 'x.org'))
  .map(([u, h]) => `sip:${u}@${h}`);
const contact = fc
  .record({
    name: text,
    uris: fc.uniqueArray(uri, { maxLength: 3 }),
    presence: handling,
    dialog: handling,
    note: fc.option(text, { nil: undefined }),
  })
  .map(
    (r) =>
      new Contact({
        name: r.name,
        uris: r.uris.map((u) => new ContactURI({ uri: u, type: 'SIP' })),
        presence: r.presence,
        dialog: r.dialog,
        attributes: r.note === undefined ? {} : { note: r.note },
      }),
  );

function sizes(docs: Documents) {
  const rl = docs['resource-lists'];
  return rl ? { 'resource-lists': documentSize(serializeXml(rl)) } : {};
}

describe('write limits', () => {
  it('are no larger than every read limit (client body limit, XML limits)', () => {
    expect(WRITE_LIMITS.maxBytes).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES);
    expect(WRITE_LIMITS.maxBytes).toBeLessThanOrEqual(DEFAULT_XML_LIMITS.maxBytes);
    expect(WRITE_LIMITS.maxElements).toBeLessThanOrEqual(DEFAULT_XML_LIMITS.maxElements);
    expect(WRITE_LIMITS.maxValueLength).toBeLessThanOrEqual(
      DEFAULT_XML_LIMITS.maxAttributeValueLength,
    );
    expect(WRITE_LIMITS.maxValueLength).toBeLessThanOrEqual(DEFAULT_XML_LIMITS.maxTextLength);
  });

  it('the estimate is an upper bound of what applying adds, and within 1.5x of it', {
    timeout: 120_000,
  }, () => {
    fc.assert(
      fc.property(
        fc.array(contact, { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(text, uri), { maxLength: 3 }),
        (contacts, policies) => {
          const base = fixtureDocs();
          const before = documentSize(serializeXml(base['resource-lists']!));
          const group = new Group({ name: 'G' });
          const ops: Operation[] = [
            ...contacts.map((c) => operations.addContact(c)),
            ...policies.map(([name, u]) =>
              operations.addPolicy(
                new Policy({ name, uri: u, presence: new EventHandling('block', false) }),
              ),
            ),
            operations.addGroup(group),
            ...contacts.map((c) => operations.addGroupMember(group, c)),
          ];
          const budget = WriteBudget.of(sizes(base));
          for (const op of ops) budget.apply(op);
          const after = documentSize(
            serializeXml(applyOperations(base, ops, ctx).docs['resource-lists']!),
          );
          const estimate = budget.size('resource-lists');
          expect(estimate.bytes).toBeGreaterThanOrEqual(after.bytes);
          expect(estimate.elements).toBeGreaterThanOrEqual(after.elements);
          expect(estimate.bytes - before.bytes).toBeLessThanOrEqual(
            1.5 * (after.bytes - before.bytes) + 200,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('an addContact that would pass maxBytes is refused, naming the limit', () => {
    const big = fixtureXml('resource-lists').length;
    const budget = WriteBudget.of(
      { 'resource-lists': { bytes: big, elements: 300 } },
      { ...WRITE_LIMITS, maxBytes: big + 2_000 },
    );
    const add = (name: string) =>
      operations.addContact(
        new Contact({ name, uris: [new ContactURI({ uri: `sip:${name}@example.com` })] }),
      );
    budget.check(add('first'));
    budget.apply(add('first'));
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      try {
        budget.check(add(`n${i}`));
        budget.apply(add(`n${i}`));
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(XcapWriteLimitError);
    expect(refused).toMatchObject({
      code: 'RXCAP_INVALID_ARGUMENT',
      limit: 'maxBytes',
      document: 'resource-lists',
    });
    expect(budget.size('resource-lists').bytes).toBeLessThanOrEqual(big + 2_000);
  });

  it('a value longer than the readers accept is refused (maxValueLength)', () => {
    const budget = WriteBudget.of();
    const op = operations.addGroup(new Group({ name: 'x'.repeat(WRITE_LIMITS.maxValueLength) }));
    expect(() => budget.check(op)).not.toThrow();
    const long = operations.addGroup(
      new Group({ name: '&'.repeat(WRITE_LIMITS.maxValueLength / 4) }),
    );
    expect(() => budget.check(long)).toThrow(XcapWriteLimitError);
  });

  it('elements are counted too (maxElements)', () => {
    const budget = WriteBudget.of({}, { ...WRITE_LIMITS, maxElements: 20 });
    const op = operations.addContact(
      new Contact({
        name: 'A',
        uris: [new ContactURI({ uri: 'sip:a@example.com' })],
        presence: new EventHandling('allow', true),
      }),
    );
    budget.check(op);
    budget.apply(op);
    expect(() => budget.check(op)).toThrow(expect.objectContaining({ limit: 'maxElements' }));
  });
});
