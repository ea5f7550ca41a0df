/**
 * Planned element writes sent with the plain XcapClient, against the real Kamailio test server
 * (pool users u021, u022) and against a FAKE RFC 4825-strict server (fakeRfc4825XcapServer):
 * each edit's writes are chained (If-Match of the previous answer's ETag), and afterwards the
 * server's document equals exactly what the planner's server model predicted and means the
 * edited document. A write with a stale ETag gets 412 and changes nothing.
 */
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcapClient, XcapHttpError } from '../../src/client/index.js';
import { auidOf, type DocumentName } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { sameElement } from '../../src/codecs/xml/tree.js';
import {
  equivalentElements,
  KAMAILIO_XCAP_SERVER,
  type PlannedWrite,
  planElementWrites,
  RFC4825_SERVER,
  rxcapSiblingOrder,
  type XcapServerProfile,
} from '../../src/element-writes/index.js';
import {
  applyOperation,
  type Documents,
  type JournalContext,
  type Operation,
  operations,
} from '../../src/journal/index.js';
import { Contact, ContactURI, Group, Policy } from '../../src/model/index.js';
import {
  type FakeRfc4825XcapServer,
  fakeRfc4825XcapServer,
} from '../support/fake-rfc4825-xcap-server.js';
import { poolUser, testServer, wipeUserDocuments } from '../support/test-server.js';

const PRES_RULES = 'org.openmobilealliance.pres-rules';
const NAMES: readonly DocumentName[] = [
  'resource-lists',
  'rls-services',
  'pres-rules',
  'dialog-rules',
];

const contact = (i: number, extra = ''): Contact =>
  new Contact({
    id: `c${i}`,
    name: `Contact ${i}${extra}`,
    uris: [new ContactURI({ id: `c${i}u`, uri: `sip:u${i}@ex.net`, type: 'SIP' })],
    defaultUri: `c${i}u`,
    presence: { policy: 'allow', subscribe: i % 2 === 0 },
    dialog: { policy: 'allow', subscribe: false },
    attributes: {},
  });

/** The edits, in order, and where their writes go (every one element-level on both servers). */
const EDITS: readonly [string, Operation][] = [
  ['addContact', operations.addContact(contact(100, ' & Søn'))],
  ['updateContact (name)', operations.updateContact('c3', { name: 'Renamed' })],
  [
    'updateContact (presence: block)',
    operations.updateContact('c4', { presence: { policy: 'block' } }),
  ],
  [
    'addGroup',
    operations.addGroup(new Group({ id: 'g1', name: 'Friends', contacts: ['c1', 'c2'] })),
  ],
  ['addGroupMember', operations.addGroupMember('g1', 'c5')],
  [
    'addPolicy',
    operations.addPolicy(
      new Policy({
        id: 'p1',
        name: 'Watcher',
        uri: 'sip:watcher@example.org',
        presence: { policy: 'allow', subscribe: false },
        dialog: { policy: 'block', subscribe: false },
      }),
    ),
  ],
  ['removeContact', operations.removeContact('c2')],
  ['setDefaultPresencePolicy', operations.setDefaultPresencePolicy('block')],
];

interface Target {
  readonly client: XcapClient;
  readonly ctx: JournalContext;
  readonly server: XcapServerProfile;
}

async function send(t: Target, auid: string, w: PlannedWrite, etag: string): Promise<string> {
  const r = await lastValueFrom(
    w.body === undefined
      ? t.client.delete(auid, { node: w.node, etag })
      : t.client.put(auid, w.body, { node: w.node, etag }),
  );
  expect(r.etag).not.toBeNull();
  return r.etag!;
}

function suite(label: string, target: () => Promise<Target>): void {
  describe(label, () => {
    let t: Target;
    let docs: Documents;
    const etags = new Map<DocumentName, string>();
    const kinds: string[] = [];

    beforeAll(async () => {
      t = await target();
      docs = applyOperation({}, operations.normalize(), t.ctx).docs;
      for (let i = 0; i < 12; i++)
        docs = applyOperation(docs, operations.addContact(contact(i)), t.ctx).docs;
      for (const n of NAMES) {
        const r = await lastValueFrom(t.client.put(auidOf(n, PRES_RULES), serializeXml(docs[n]!)));
        etags.set(n, r.etag!);
      }
    });

    it.each(EDITS)('%s: the chained writes leave exactly the predicted document', async (_, op) => {
      const next = applyOperation(docs, op, t.ctx).docs;
      let changed = 0;
      for (const n of NAMES) {
        if (next[n] === docs[n]) continue;
        changed++;
        const plan = planElementWrites(docs[n]!, next[n]!, {
          server: t.server,
          documentBytes: serializeXml(docs[n]!).length,
        });
        if (plan.kind === 'none') continue;
        kinds.push(`${n} ${plan.kind}`);
        expect(plan.kind).toBe('elements');
        if (plan.kind !== 'elements') continue;
        const auid = auidOf(n, PRES_RULES);
        let etag = etags.get(n)!;
        for (const w of plan.writes) etag = await send(t, auid, w, etag);
        const got = await lastValueFrom(t.client.get(auid));
        // The chain is consistent: the document's ETag is the last write's.
        expect(got.etag).toBe(etag);
        const server = parseXml(got.body);
        // The server model predicted the server's document exactly (order included)...
        expect(sameElement(server, plan.expected)).toBe(true);
        // ...and it means the edited document (exactly, where replacement stays in place).
        expect(equivalentElements(server, next[n]!, rxcapSiblingOrder)).toBe(true);
        if (t.server.replaceInPlace) expect(sameElement(server, next[n]!)).toBe(true);
        etags.set(n, etag);
        next[n] = server;
      }
      expect(changed).toBeGreaterThan(0);
      docs = next;
    });

    it('a write with a stale ETag is refused with 412 and changes nothing', async () => {
      const stale = etags.get('resource-lists')!;
      // Move the document on, as another client would.
      const other = applyOperation(docs, operations.addContact(contact(200)), t.ctx).docs;
      const plan = planElementWrites(docs['resource-lists']!, other['resource-lists']!, {
        server: t.server,
        documentBytes: 1e9,
      });
      expect(plan.kind).toBe('elements');
      if (plan.kind !== 'elements') return;
      const auid = 'resource-lists';
      const fresh = await send(t, auid, plan.writes[0]!, stale);
      const before = await lastValueFrom(t.client.get(auid));
      const e = await lastValueFrom(
        t.client.put(auid, plan.writes[1]?.body ?? plan.writes[0]!.body!, {
          node: plan.writes[1]?.node ?? plan.writes[0]!.node,
          etag: stale,
        }),
      ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(XcapHttpError);
      expect((e as XcapHttpError).status).toBe(412);
      const after = await lastValueFrom(t.client.get(auid));
      expect(after.etag).toBe(fresh);
      expect(after.body).toBe(before.body);
    });

    it('every edit above was element-level', () => {
      expect(kinds.length).toBeGreaterThanOrEqual(EDITS.length);
      expect(kinds.filter((k) => !k.endsWith('elements'))).toEqual([]);
    });
  });
}

suite('on the Kamailio test server (xcap_server 5.6)', async () => {
  const env = testServer();
  const user = poolUser(21);
  wipeUserDocuments(user);
  return {
    client: new XcapClient({ root: env.xcapRoot, xui: user.id, password: user.password }),
    ctx: {
      xcapRoot: env.xcapRoot,
      xui: user.id,
      presRulesAuid: PRES_RULES,
      supported: new Set(NAMES),
    },
    server: KAMAILIO_XCAP_SERVER,
  };
});

let fake: FakeRfc4825XcapServer | undefined;
afterAll(async () => {
  await fake?.close();
});
suite('on a fake RFC 4825-strict server (fakeRfc4825XcapServer)', async () => {
  fake = await fakeRfc4825XcapServer();
  const xui = 'sip:alice@example.com';
  return {
    client: new XcapClient({ root: fake.root, xui }),
    ctx: { xcapRoot: fake.root, xui, presRulesAuid: PRES_RULES, supported: new Set(NAMES) },
    server: RFC4825_SERVER,
  };
});
