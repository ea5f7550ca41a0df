/**
 * fast-check arbitrary of journal operations over small id and URI pools, shared by the batch
 * law (batch.property.test.ts) and the element-write planner's property test.
 */
import fc from 'fast-check';
import { type Operation, operations } from '../../src/journal/index.js';
import {
  type Attributes,
  Contact,
  type ContactData,
  ContactURI,
  type ContactURIData,
  type EventHandlingData,
  Group,
  Policy,
  type PolicyData,
} from '../../src/model/index.js';

// Small id and URI pools: operations collide, touch the same URIs again (the batch must close
// its window), hit missing targets and make URIs unreferenced.
const CONTACT_IDS = ['ca', 'cb', 'cc', 'cd'];
const URI_IDS = ['ua', 'ub'];
const GROUP_IDS = ['ga', 'gb'];
const POLICY_IDS = ['pa', 'pb'];
const URIS = [
  'sip:a@x.org',
  'sip:b@x.org',
  'tel:+15551234',
  'sip:other-grant@example.org',
  'sip:zed@example.org',
  'sip:e@x.org',
  'sip:f@x.org',
];

const handling = fc.record({
  policy: fc.constantFrom('allow', 'block', 'default') as fc.Arbitrary<EventHandlingData['policy']>,
  subscribe: fc.boolean(),
});
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.constantFrom('k1', 'k2'),
  fc.option(fc.constantFrom('', 'v'), { nil: null }),
);
const name = fc.constantFrom('', 'Bob', 'A & <B>');
const uriData: fc.Arbitrary<ContactURIData> = fc.record({
  id: fc.constantFrom(...URI_IDS),
  uri: fc.constantFrom(...URIS),
  type: fc.option(fc.constantFrom('SIP'), { nil: null }),
  attributes,
});
const contactData: fc.Arbitrary<ContactData> = fc
  .record({
    id: fc.constantFrom(...CONTACT_IDS),
    name,
    uris: fc.uniqueArray(uriData, { selector: (u) => u.id, maxLength: 2 }),
    presence: handling,
    dialog: handling,
    attributes,
  })
  .map((c) => ({ ...c, defaultUri: c.uris[0]?.id ?? null }));
const policyData: fc.Arbitrary<PolicyData> = fc.record({
  id: fc.constantFrom(...POLICY_IDS),
  name,
  uri: fc.constantFrom(...URIS),
  presence: handling,
  dialog: handling,
  attributes,
});
const partialHandling = fc.record(
  { policy: fc.constantFrom('allow', 'block', 'default'), subscribe: fc.boolean() },
  { requiredKeys: [] },
) as fc.Arbitrary<{ policy?: EventHandlingData['policy']; subscribe?: boolean }>;
const cid = fc.constantFrom(...CONTACT_IDS, 'missing');
const gid = fc.constantFrom(...GROUP_IDS);
const pid = fc.constantFrom(...POLICY_IDS);
const uid = fc.constantFrom(...URI_IDS);

/** Any journal operation, including skips (missing targets, invalid journal data). */
export const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: contactData.map((c) => operations.addContact(new Contact(c))) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        cid,
        fc.record(
          { name, presence: partialHandling, dialog: partialHandling, attributes },
          {
            requiredKeys: [],
          },
        ),
      )
      .map(([id, ch]) => operations.updateContact(id, ch)),
  },
  { weight: 2, arbitrary: cid.map((id) => operations.removeContact(id)) },
  fc.tuple(cid, uriData).map(([id, u]) => operations.addContactUri(id, new ContactURI(u))),
  fc
    .tuple(cid, uid, fc.constantFrom(...URIS))
    .map(([c, u, uri]) => operations.updateContactUri(c, u, { uri })),
  fc.tuple(cid, uid).map(([c, u]) => operations.removeContactUri(c, u)),
  fc
    .record({ id: gid, name, contacts: fc.subarray(CONTACT_IDS), attributes })
    .map((g) => operations.addGroup(new Group(g))),
  fc.tuple(gid, name).map(([g, n]) => operations.updateGroup(g, { name: n })),
  gid.map((g) => operations.removeGroup(g)),
  fc.tuple(gid, cid).map(([g, c]) => operations.addGroupMember(g, c)),
  fc.tuple(gid, cid).map(([g, c]) => operations.removeGroupMember(g, c)),
  { weight: 3, arbitrary: policyData.map((p) => operations.addPolicy(new Policy(p))) },
  fc
    .tuple(pid, fc.constantFrom(...URIS), partialHandling)
    .map(([p, uri, presence]) => operations.updatePolicy(p, { uri, presence })),
  pid.map((p) => operations.removePolicy(p)),
  fc
    .constantFrom('allow', 'block', 'confirm', 'polite-block')
    .map((p) => operations.setDefaultPresencePolicy(p)),
  fc.constant(operations.normalize()),
  // Journal data that fails validation (hand-edited storage) is a skip inside a batch too.
  fc.constant({ type: 'addContact', contact: { id: '' } } as unknown as Operation),
);
