/**
 * The benchmark addressbook: N contacts, groups and policies in the AG Projects layout
 * (DESIGN §4, test/fixtures/reference-layout). The addressbook list is written as text
 * in exactly the form rxcap's own `addContact`/`addGroup`/`addPolicy` operations produce (see
 * `operationsFixture`, which builds a small one through the journal for comparison), then one
 * `normalize` operation derives the OMA/dialog/RLS lists and the rules documents: the fixture is
 * the same either way, and writing it directly keeps the benchmark's set-up short.
 */
import { ADDRESSBOOK_LIST } from '../src/codecs/addressbook.js';
import { DOCUMENT_NAMES, type DocumentName } from '../src/codecs/applications.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { serializeXml } from '../src/codecs/xml/serialize.js';
import { NS } from '../src/codecs/xml/tree.js';
import {
  applyOperations,
  type Documents,
  type JournalContext,
  MANAGED_LIST_NAMES,
  type Operation,
  operations,
} from '../src/journal/index.js';
import { Contact } from '../src/model/contact.js';
import { ContactURI } from '../src/model/contact-uri.js';
import { Group } from '../src/model/group.js';
import { Policy } from '../src/model/policy.js';

/** Sizes of the generated addressbook. */
export interface AddressbookSize {
  readonly contacts: number;
  readonly groups: number;
  readonly policies: number;
}

/** The benchmark size: 10 000 contacts, 100 groups, 500 policies. */
export const BENCH_SIZE: AddressbookSize = { contacts: 10_000, groups: 100, policies: 500 };

/** The generated documents, as text (what is PUT) and as trees (what the engine holds). */
export interface BenchDocuments {
  readonly texts: Partial<Record<DocumentName, string>>;
  readonly docs: Documents;
  readonly ctx: JournalContext;
}

const cid = (i: number): string => `c${String(i).padStart(6, '0')}`;
const tel = (i: number): string => `tel:+1555${String(i).padStart(7, '0')}`;
/** Every tenth contact has a second (tel) URI; all have a SIP URI. */
const hasTel = (i: number): boolean => i % 10 === 0;

/**
 * Contact `i` of the benchmark addressbook as a model object.
 *
 * @example benchContact(3).uris[0]?.uri // 'sip:u3@ex.net'
 */
export function benchContact(i: number): Contact {
  const id = cid(i);
  const uris = [new ContactURI({ id: `${id}u0`, uri: `sip:u${i}@ex.net`, type: 'SIP' })];
  if (hasTel(i)) uris.push(new ContactURI({ id: `${id}u1`, uri: tel(i), type: 'mobile' }));
  return new Contact({
    id,
    name: `Contact ${i} & Søn`,
    uris,
    defaultUri: `${id}u0`,
    presence: { policy: 'allow', subscribe: i % 3 === 0 },
    dialog: { policy: i % 7 === 0 ? 'block' : 'allow', subscribe: i % 5 === 0 },
  });
}

function groupMembers(size: AddressbookSize, g: number): string[] {
  const per = Math.ceil(size.contacts / Math.max(1, size.groups));
  const out: string[] = [];
  for (let k = g * per; k < Math.min(size.contacts, (g + 1) * per); k++) out.push(cid(k));
  return out;
}

function benchPolicy(p: number): Policy {
  return new Policy({
    id: `p${p}`,
    name: `Policy ${p}`,
    uri: `sip:watcher${p}@example.org`,
    presence: { policy: p % 2 === 0 ? 'allow' : 'block', subscribe: false },
    dialog: { policy: 'allow', subscribe: false },
  });
}

/**
 * The journal operations that build the addressbook from an empty account.
 *
 * @example applyOperations(emptyDocuments(), addressbookOperations({ contacts: 5, groups: 1, policies: 1 }), ctx)
 */
export function addressbookOperations(size: AddressbookSize): Operation[] {
  const ops: Operation[] = [operations.normalize()];
  for (let i = 0; i < size.contacts; i++) ops.push(operations.addContact(benchContact(i)));
  for (let g = 0; g < size.groups; g++)
    ops.push(
      operations.addGroup(
        new Group({ id: `g${g}`, name: `Group ${g}`, contacts: groupMembers(size, g) }),
      ),
    );
  for (let p = 0; p < size.policies; p++) ops.push(operations.addPolicy(benchPolicy(p)));
  return ops;
}

/**
 * The journal context of an account on the test server (all documents supported).
 *
 * @example benchContext('http://127.0.0.1:5080/xcap-root', 'sip:u400@example.com')
 */
export function benchContext(xcapRoot: string, xui: string): JournalContext {
  return {
    xcapRoot,
    xui,
    presRulesAuid: 'org.openmobilealliance.pres-rules',
    supported: new Set(DOCUMENT_NAMES),
  };
}

/** All documents known to be absent (an empty account). */
export function emptyDocuments(): Documents {
  const docs: Documents = {};
  for (const n of DOCUMENT_NAMES) docs[n] = null;
  return docs;
}

function textsOf(docs: Documents): Partial<Record<DocumentName, string>> {
  const texts: Partial<Record<DocumentName, string>> = {};
  for (const n of DOCUMENT_NAMES) {
    const d = docs[n];
    if (d) texts[n] = serializeXml(d);
  }
  return texts;
}

/**
 * A small addressbook built entirely through journal operations (the reference for the text
 * form `directFixture` writes).
 *
 * @example operationsFixture({ contacts: 20, groups: 2, policies: 3 }, ctx).texts['resource-lists']
 */
export function operationsFixture(size: AddressbookSize, ctx: JournalContext): BenchDocuments {
  const { docs } = applyOperations(emptyDocuments(), addressbookOperations(size), ctx);
  return { texts: textsOf(docs), docs, ctx };
}

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('"', '&quot;');

function handling(tag: 'dialog' | 'presence', policy: string, subscribe: boolean): string {
  return `<addressbook:${tag}><addressbook:policy>${policy}</addressbook:policy><addressbook:subscribe>${subscribe}</addressbook:subscribe></addressbook:${tag}>`;
}

function contactXml(c: Contact): string {
  const uris = c.uris
    .map(
      (u) =>
        `<addressbook:uri id="${u.id}" uri="${esc(u.uri)}"${u.type === null ? '' : ` type="${esc(u.type)}"`}><sipsimple:attributes/></addressbook:uri>`,
    )
    .join('');
  return (
    `<addressbook:contact id="${c.id}"><addressbook:name>${esc(c.name)}</addressbook:name>` +
    `<addressbook:uris${c.defaultUri === null ? '' : ` default="${c.defaultUri}"`}>${uris}</addressbook:uris>` +
    handling('dialog', c.dialog.policy, c.dialog.subscribe) +
    handling('presence', c.presence.policy, c.presence.subscribe) +
    '<sipsimple:attributes/></addressbook:contact>'
  );
}

function groupXml(g: number, members: readonly string[]): string {
  const ids = members.map((m) => `<addressbook:contact_id>${m}</addressbook:contact_id>`).join('');
  return `<addressbook:group id="g${g}"><addressbook:name>Group ${g}</addressbook:name><addressbook:contacts>${ids}</addressbook:contacts><sipsimple:attributes/></addressbook:group>`;
}

function policyXml(p: Policy): string {
  return (
    `<addressbook:policy-element id="${p.id}" uri="${esc(p.uri)}"><addressbook:name>${esc(p.name)}</addressbook:name>` +
    handling('dialog', p.dialog.policy, p.dialog.subscribe) +
    handling('presence', p.presence.policy, p.presence.subscribe) +
    '<sipsimple:attributes/></addressbook:policy-element>'
  );
}

/**
 * The addressbook list written directly as text (same element form as the operations write),
 * then normalized once by the journal: derived lists, rls-services and the rules documents.
 * `normalizedChanges` names the documents normalize changed beyond creating them; it must only
 * be the derived content, never the addressbook list itself.
 *
 * @example directFixture(BENCH_SIZE, benchContext(root, xui)).texts['resource-lists']?.length
 */
export function directFixture(size: AddressbookSize, ctx: JournalContext): BenchDocuments {
  const parts: string[] = [];
  for (let i = 0; i < size.contacts; i++) parts.push(contactXml(benchContact(i)));
  for (let g = 0; g < size.groups; g++) parts.push(groupXml(g, groupMembers(size, g)));
  for (let p = 0; p < size.policies; p++) parts.push(policyXml(benchPolicy(p)));
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<rl:resource-lists xmlns:rl="${NS.resourceLists}" ` +
    `xmlns:addressbook="${NS.addressbook}" xmlns:sipsimple="${NS.sipsimpleAddressbook}">` +
    // The managed lists first, empty, in the order normalize creates them on an empty account.
    `${MANAGED_LIST_NAMES.filter((n) => n !== ADDRESSBOOK_LIST)
      .map((n) => `<rl:list name="${n}"/>`)
      .join('')}` +
    `<rl:list name="${ADDRESSBOOK_LIST}">${parts.join('')}</rl:list></rl:resource-lists>`;
  const start: Documents = { ...emptyDocuments(), 'resource-lists': parseXml(text) };
  const { docs } = applyOperations(start, [operations.normalize()], ctx);
  return { texts: textsOf(docs), docs, ctx };
}
