import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUriValue } from '../../src/codecs/addressbook-uri.js';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, children, NS, sameElement, type XmlElement } from '../../src/codecs/xml/tree.js';
import {
  applyOperation,
  type ContactChanges,
  type Documents,
  deriveLists,
  extractData,
  type Operation,
  operations,
} from '../../src/journal/index.js';
import {
  type Attributes,
  Contact,
  type ContactData,
  ContactURI,
  type ContactURIData,
  type EventHandlingData,
  Group,
  type GroupData,
  Policy,
  type PolicyData,
  type SubHandling,
} from '../../src/model/index.js';
import { ctx } from './fixture-helpers.js';
import { expectAcceptedBySipsimple } from './sipsimple-rules.js';

// ---- generators: small id and URI pools so that operations collide and hit missing targets

const CONTACT_IDS = ['ca', 'cb', 'cc'];
const URI_IDS = ['ua', 'ub', 'uc'];
const GROUP_IDS = ['ga', 'gb'];
const POLICY_IDS = ['pa', 'pb'];
const URIS = ['sip:a@x.org', 'sip:b@x.org', 'tel:+15551234', 'sips:c@x.org', 'xmpp:d@x.org'];

const handling = fc.record({
  policy: fc.constantFrom('allow', 'block', 'default') as fc.Arbitrary<EventHandlingData['policy']>,
  subscribe: fc.boolean(),
});
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.constantFrom('k1', 'k2', 'k3'),
  fc.option(fc.constantFrom('', 'v', 'Müller & <Co>'), { nil: null }),
);
const name = fc.constantFrom('', 'Bob', 'José Müller', 'A & <B>');
const uriData: fc.Arbitrary<ContactURIData> = fc.record({
  id: fc.constantFrom(...URI_IDS),
  uri: fc.constantFrom(...URIS),
  type: fc.option(fc.constantFrom('SIP', 'Mobile'), { nil: null }),
  attributes,
});
const contactData: fc.Arbitrary<ContactData> = fc
  .record({
    id: fc.constantFrom(...CONTACT_IDS),
    name,
    uris: fc.uniqueArray(uriData, { selector: (u) => u.id, maxLength: 3 }),
    def: fc.nat(3),
    presence: handling,
    dialog: handling,
    attributes,
  })
  .map(({ def, ...c }) => ({ ...c, defaultUri: c.uris[def]?.id ?? null }));
const policyData: fc.Arbitrary<PolicyData> = fc.record({
  id: fc.constantFrom(...POLICY_IDS),
  name,
  uri: fc.constantFrom(...URIS),
  presence: handling,
  dialog: handling,
  attributes,
});
const partialHandling = fc.record(
  {
    policy: fc.constantFrom('allow', 'block', 'default', 'wp_prs_allow_own'),
    subscribe: fc.boolean(),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<{ policy?: EventHandlingData['policy']; subscribe?: boolean }>;
const attrChanges = {
  attributes: attributes,
  removeAttributes: fc.subarray(['k1', 'k2', 'k3']),
};
const cid = fc.constantFrom(...CONTACT_IDS);
const gid = fc.constantFrom(...GROUP_IDS);
const pid = fc.constantFrom(...POLICY_IDS);
const uid = fc.constantFrom(...URI_IDS);

const operation: fc.Arbitrary<Operation> = fc.oneof(
  // Adds weigh more, so that sequences build an addressbook the other operations then hit.
  { weight: 8, arbitrary: contactData.map((c) => operations.addContact(new Contact(c))) },
  fc
    .tuple(
      cid,
      fc.record(
        {
          name,
          presence: partialHandling,
          dialog: partialHandling,
          defaultUri: fc.option(uid, { nil: null }),
          ...attrChanges,
        },
        { requiredKeys: [] },
      ),
    )
    .map(([id, ch]) => operations.updateContact(id, ch as ContactChanges)),
  cid.map((id) => operations.removeContact(id)),
  {
    weight: 2,
    arbitrary: fc
      .tuple(cid, uriData)
      .map(([id, u]) => operations.addContactUri(id, new ContactURI(u))),
  },
  fc
    .tuple(
      cid,
      uid,
      fc.record(
        {
          uri: fc.constantFrom(...URIS),
          type: fc.option(fc.constantFrom('Work'), { nil: null }),
          ...attrChanges,
        },
        { requiredKeys: [] },
      ),
    )
    .map(([c, u, ch]) => operations.updateContactUri(c, u, ch)),
  fc.tuple(cid, uid).map(([c, u]) => operations.removeContactUri(c, u)),
  {
    weight: 3,
    arbitrary: fc
      .record({ id: gid, name, contacts: fc.subarray(CONTACT_IDS), attributes })
      .map((g) => operations.addGroup(new Group(g))),
  },
  fc
    .tuple(gid, fc.record({ name, ...attrChanges }, { requiredKeys: [] }))
    .map(([g, ch]) => operations.updateGroup(g, ch)),
  gid.map((g) => operations.removeGroup(g)),
  { weight: 3, arbitrary: fc.tuple(gid, cid).map(([g, c]) => operations.addGroupMember(g, c)) },
  fc.tuple(gid, cid).map(([g, c]) => operations.removeGroupMember(g, c)),
  { weight: 4, arbitrary: policyData.map((p) => operations.addPolicy(new Policy(p))) },
  fc
    .tuple(
      pid,
      fc.record(
        {
          name,
          uri: fc.constantFrom(...URIS),
          presence: partialHandling,
          dialog: partialHandling,
          ...attrChanges,
        },
        { requiredKeys: [] },
      ),
    )
    .map(([p, ch]) => operations.updatePolicy(p, ch)),
  pid.map((p) => operations.removePolicy(p)),
  fc
    .constantFrom('allow', 'block', 'confirm', 'polite-block')
    .map((p) => operations.setDefaultPresencePolicy(p)),
  fc
    .constantFrom('allow', 'block', 'confirm', 'polite-block')
    .map((p) => operations.setDefaultDialogPolicy(p)),
  fc.constant(operations.normalize()),
);

// ---- a reference model of what the operations mean

interface Model {
  contacts: ContactData[];
  groups: GroupData[];
  policies: PolicyData[];
  presence: SubHandling;
  dialog: SubHandling;
}

function mergeAttrs(
  bag: Attributes,
  ch: { attributes?: Attributes; removeAttributes?: readonly string[] },
): Attributes {
  const out: Record<string, string | null> = { ...bag, ...(ch.attributes ?? {}) };
  for (const k of ch.removeAttributes ?? []) delete out[k];
  return out;
}
function mergeH(
  h: EventHandlingData,
  c?: { policy?: EventHandlingData['policy']; subscribe?: boolean },
): EventHandlingData {
  return { policy: c?.policy ?? h.policy, subscribe: c?.subscribe ?? h.subscribe };
}
/** Existing items keep their place; new ones are appended (the codec patches in place). */
function mergeOrder<T extends { id: string }>(existing: readonly T[], next: readonly T[]): T[] {
  const byId = new Map(next.map((x) => [x.id, x]));
  return [
    ...existing.flatMap((x) => (byId.has(x.id) ? [byId.get(x.id)!] : [])),
    ...next.filter((x) => !existing.some((e) => e.id === x.id)),
  ];
}
function mergeIds(existing: readonly string[], next: readonly string[]): string[] {
  return [
    ...existing.filter((x) => next.includes(x)),
    ...next.filter((x) => !existing.includes(x)),
  ];
}
function upsert<T extends { id: string }>(xs: T[], x: T, merge: (old: T, x: T) => T): T[] {
  const i = xs.findIndex((e) => e.id === x.id);
  if (i < 0) return [...xs, x];
  const out = xs.slice();
  out[i] = merge(xs[i]!, x);
  return out;
}

function simulate(m: Model, op: Operation): Model {
  const contact = (id: string) => m.contacts.find((c) => c.id === id);
  const mapContact = (id: string, fn: (c: ContactData) => ContactData) => ({
    ...m,
    contacts: m.contacts.map((c) => (c.id === id ? fn(c) : c)),
  });
  switch (op.type) {
    case 'normalize':
      return m;
    case 'addContact':
      return {
        ...m,
        contacts: upsert(m.contacts, op.contact, (old, c) => ({
          ...c,
          uris: mergeOrder(old.uris, c.uris),
        })),
      };
    case 'updateContact': {
      const ch = op.changes;
      return mapContact(op.contactId, (c) => ({
        ...c,
        name: ch.name ?? c.name,
        defaultUri:
          ch.defaultUri === undefined ||
          (ch.defaultUri !== null && !c.uris.some((u) => u.id === ch.defaultUri))
            ? c.defaultUri
            : ch.defaultUri,
        presence: mergeH(c.presence, ch.presence),
        dialog: mergeH(c.dialog, ch.dialog),
        attributes: mergeAttrs(c.attributes, ch),
      }));
    }
    case 'removeContact':
      return {
        ...m,
        contacts: m.contacts.filter((c) => c.id !== op.contactId),
        groups: m.groups.map((g) => ({
          ...g,
          contacts: g.contacts.filter((x) => x !== op.contactId),
        })),
      };
    case 'addContactUri':
      return mapContact(op.contactId, (c) => ({
        ...c,
        uris: upsert([...c.uris], op.uri, (_o, u) => u),
      }));
    case 'updateContactUri':
      return mapContact(op.contactId, (c) => ({
        ...c,
        uris: c.uris.map((u) =>
          u.id === op.uriId
            ? {
                ...u,
                uri: op.changes.uri ?? u.uri,
                type: op.changes.type === undefined ? u.type : op.changes.type,
                attributes: mergeAttrs(u.attributes, op.changes),
              }
            : u,
        ),
      }));
    case 'removeContactUri':
      return mapContact(op.contactId, (c) => ({
        ...c,
        uris: c.uris.filter((u) => u.id !== op.uriId),
        defaultUri: c.defaultUri === op.uriId ? null : c.defaultUri,
      }));
    case 'addGroup': {
      const g = { ...op.group, contacts: op.group.contacts.filter((id) => contact(id)) };
      return {
        ...m,
        groups: upsert(m.groups, g, (old, x) => ({
          ...x,
          contacts: mergeIds(old.contacts, x.contacts),
        })),
      };
    }
    case 'updateGroup':
      return {
        ...m,
        groups: m.groups.map((g) =>
          g.id === op.groupId
            ? {
                ...g,
                name: op.changes.name ?? g.name,
                attributes: mergeAttrs(g.attributes, op.changes),
              }
            : g,
        ),
      };
    case 'removeGroup':
      return { ...m, groups: m.groups.filter((g) => g.id !== op.groupId) };
    case 'addGroupMember':
      if (!contact(op.contactId)) return m;
      return {
        ...m,
        groups: m.groups.map((g) =>
          g.id === op.groupId && !g.contacts.includes(op.contactId)
            ? { ...g, contacts: [...g.contacts, op.contactId] }
            : g,
        ),
      };
    case 'removeGroupMember':
      return {
        ...m,
        groups: m.groups.map((g) =>
          g.id === op.groupId
            ? { ...g, contacts: g.contacts.filter((x) => x !== op.contactId) }
            : g,
        ),
      };
    case 'addPolicy':
      return { ...m, policies: upsert(m.policies, op.policy, (_o, p) => p) };
    case 'updatePolicy':
      return {
        ...m,
        policies: m.policies.map((p) =>
          p.id === op.policyId
            ? {
                ...p,
                name: op.changes.name ?? p.name,
                uri: op.changes.uri ?? p.uri,
                presence: mergeH(p.presence, op.changes.presence),
                dialog: mergeH(p.dialog, op.changes.dialog),
                attributes: mergeAttrs(p.attributes, op.changes),
              }
            : p,
        ),
      };
    case 'removePolicy':
      return { ...m, policies: m.policies.filter((p) => p.id !== op.policyId) };
    case 'setDefaultPresencePolicy':
      return { ...m, presence: op.policy };
    case 'setDefaultDialogPolicy':
      return { ...m, dialog: op.policy };
    default:
      return m;
  }
}

// ---- invariants

function listEntries(docs: Documents): Record<string, string[]> {
  return Object.fromEntries(
    children(docs['resource-lists']!, NS.resourceLists, 'list').map((l) => [
      attr(l, 'name')!,
      children(l, NS.resourceLists, 'entry').map((e) => decodeUriValue(attr(e, 'uri')!)),
    ]),
  );
}

function reparse(docs: Documents): Documents {
  const out: Documents = {};
  for (const n of DOCUMENT_NAMES) {
    const d = docs[n];
    out[n] = d ? parseXml(serializeXml(d)) : (d ?? null);
  }
  return out;
}

function run(
  start: Documents,
  ops: readonly Operation[],
  check: (docs: Documents) => void,
): { docs: Documents; model: Model } {
  let docs = start;
  let model: Model = {
    contacts: [],
    groups: [],
    policies: [],
    presence: 'confirm',
    dialog: 'confirm',
  };
  for (const op of ops) {
    const r = applyOperation(docs, op, ctx);
    // Apply twice = apply once.
    const again = applyOperation(r.docs, op, ctx);
    expect(again.outcome.changed).toEqual([]);
    expect(again.docs).toBe(r.docs);
    // Unchanged documents keep their identity; `changed` is exact.
    for (const n of DOCUMENT_NAMES) {
      if (r.outcome.changed.includes(n))
        expect(sameElement(r.docs[n]!, docs[n] ?? r.docs[n]!) && docs[n] != null).toBe(false);
      else expect(r.docs[n]).toBe(docs[n]);
    }
    docs = r.docs;
    model = simulate(model, op);
    check(docs);
  }
  return { docs, model };
}

function expectMatchesModel(docs: Documents, model: Model, foreignEntries = new Set<string>()) {
  // Everything rxcap wrote is acceptable to the reference implementation (quirk 13).
  expectAcceptedBySipsimple(docs);
  const data = extractData(docs, ctx);
  expect(data.addressbook.toJSON()).toEqual({
    contacts: model.contacts,
    groups: model.groups,
    policies: model.policies,
  });
  expect(data.presenceRules.defaultPolicy).toBe(model.presence);
  expect(data.dialogRules.defaultPolicy).toBe(model.dialog);
  const lists = listEntries(docs);
  const derived = deriveLists(model.contacts, model.policies);
  for (const [n, want] of Object.entries(derived)) {
    const have = lists[n]!.filter((u) => !foreignEntries.has(u));
    expect(new Set(have), n).toEqual(new Set(want));
    expect(have.length, `${n} has duplicates`).toBe(new Set(have).size);
  }
  // Every URI of a contact is in at most one of granted/blocked, per event package.
  for (const [g, b] of [
    ['oma_grantedcontacts', 'oma_blockedcontacts'],
    ['dialog_grantedcontacts', 'dialog_blockedcontacts'],
  ] as const)
    for (const c of model.contacts)
      for (const u of c.uris)
        expect(lists[g]!.includes(u.uri) && lists[b]!.includes(u.uri)).toBe(false);
}

const FOREIGN_RL = `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:example:x"><rl:list name="friends"><rl:entry uri="sip:zed@example.org"/></rl:list><rl:list name="oma_grantedcontacts"><rl:entry uri="sip:other-grant@example.org"><rl:display-name>theirs</rl:display-name></rl:entry></rl:list><rl:list name="sipsimple_addressbook"><x:note>foreign item</x:note></rl:list><x:top/></rl:resource-lists>`;
const FOREIGN_RULES = `<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cp:rule id="their_rule"><cp:conditions/><cp:actions><pr:sub-handling>block</pr:sub-handling></cp:actions></cp:rule></cp:ruleset>`;
const FOREIGN_RLS = `<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:x@example.org"><resource-list>http://x/y</resource-list></service></rls-services>`;

describe('random operation sequences', () => {
  it('keep the documents equal to the model the operations built, with the list invariants', () => {
    const seen = { contacts: 0, members: 0, policies: 0 };
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 20 }), (ops) => {
        const { docs, model } = run({}, [operations.normalize(), ...ops], (d) => {
          const lists = listEntries(d);
          for (const [g, b] of [
            ['oma_grantedcontacts', 'oma_blockedcontacts'],
            ['dialog_grantedcontacts', 'dialog_blockedcontacts'],
          ] as const)
            for (const u of lists[g]!) expect(lists[b]!.includes(u)).toBe(false);
        });
        expectMatchesModel(docs, model);
        if (model.contacts.length >= 2) seen.contacts++;
        if (model.groups.some((g) => g.contacts.length > 0)) seen.members++;
        if (model.policies.length > 0 && model.contacts.length > 0) seen.policies++;
        // Through the wire: serialize, parse, normalize changes nothing and extracts the same.
        const wire = reparse(docs);
        expect(applyOperation(wire, operations.normalize(), ctx).outcome.changed).toEqual([]);
        expectMatchesModel(wire, model);
      }),
      { numRuns: 120 },
    );
    // The property must have been exercised on real addressbooks, not only on no-ops.
    // (Typical counts over 120 runs: ~30 / ~10 / ~35; the bounds leave room for randomness.)
    expect(seen.contacts).toBeGreaterThan(8);
    expect(seen.members).toBeGreaterThan(0);
    expect(seen.policies).toBeGreaterThan(8);
  });

  it('leave foreign content alone', () => {
    const start: Documents = {
      'resource-lists': parseXml(FOREIGN_RL),
      'pres-rules': parseXml(FOREIGN_RULES),
      'rls-services': parseXml(FOREIGN_RLS),
    };
    const foreign = (d: Documents): XmlElement[] => [
      children(d['resource-lists']!).find((l) => attr(l, 'name') === 'friends')!,
      children(d['resource-lists']!).find((l) => l.name === 'top')!,
      children(
        children(d['resource-lists']!).find((l) => attr(l, 'name') === 'sipsimple_addressbook')!,
      ).find((e) => e.name === 'note')!,
      children(
        children(d['resource-lists']!).find((l) => attr(l, 'name') === 'oma_grantedcontacts')!,
      ).find((e) => attr(e, 'uri') === 'sip:other-grant@example.org')!,
      children(d['pres-rules']!).find((r) => attr(r, 'id') === 'their_rule')!,
      children(d['rls-services']!).find((s) => attr(s, 'uri') === 'sip:x@example.org')!,
    ];
    const original = foreign(start);
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 10 }), (ops) => {
        const { docs, model } = run(start, [operations.normalize(), ...ops], () => {});
        const now = foreign(docs);
        original.forEach((e, i) => {
          expect(now[i], `foreign element ${i}`).toBeDefined();
          expect(sameElement(now[i]!, e)).toBe(true);
        });
        expectMatchesModel(docs, model, new Set(['sip:other-grant@example.org']));
      }),
      { numRuns: 60 },
    );
  });
});
