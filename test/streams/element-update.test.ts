/**
 * The update pipeline's element writes (src/streams/element-update.ts), on virtual time with a
 * scripted fake HTTP port and the real document engine: the chain of If-Match ETags, what is
 * cached, the fallback to the whole document when the server refuses an element write
 * (Kamailio's bare 500), a 412 in the middle, and a server rxcap does not know.
 */
import { type Observable, Subject, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { sameElement } from '../../src/codecs/xml/tree.js';
import { KAMAILIO_XCAP_SERVER, planElementWrites } from '../../src/element-writes/index.js';
import { applyOperation, type Documents, operations } from '../../src/journal/index.js';
import { defaultEngine } from '../../src/manager-defaults.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import type {
  Discovery,
  DocumentStore,
  MachineCommand,
  MachineEvent,
} from '../../src/streams/events.js';
import type { HttpResponse } from '../../src/streams/ports.js';
import { serverKnowledge } from '../../src/streams/server-knowledge.js';
import { updatePipeline } from '../../src/streams/update.js';
import { FakeHttpError, fails, fakeHttp, fakePorts, type Recorded } from './fakes.js';

const ROOT = 'http://xcap.example.com/xcap-root';
const XUI = 'sip:alice@example.com';
const discovery: Discovery = {
  root: ROOT,
  capabilities: { auids: ['resource-lists'], extensions: [], namespaces: [] },
  presRulesAuid: 'pres-rules',
  supported: ['resource-lists'],
};
const jctx = {
  xcapRoot: ROOT,
  xui: XUI,
  presRulesAuid: 'pres-rules',
  supported: new Set(['resource-lists'] as const),
};
const contact = (i: number) =>
  new Contact({
    id: `c${i}`,
    name: `Contact ${i}`,
    uris: [new ContactURI({ id: `c${i}u`, uri: `sip:u${i}@ex.net`, type: 'SIP' })],
    defaultUri: `c${i}u`,
    presence: { policy: 'allow', subscribe: true },
    dialog: { policy: 'allow', subscribe: false },
    attributes: {},
  });

/** A resource-lists document of 20 contacts, held with ETag "e0". */
function held(): DocumentStore {
  let docs: Documents = applyOperation({}, operations.normalize(), jctx).docs;
  for (let i = 0; i < 20; i++)
    docs = applyOperation(docs, operations.addContact(contact(i)), jctx).docs;
  const root = docs['resource-lists']!;
  return { 'resource-lists': { content: defaultEngine.serialize(root), etag: 'e0', root } };
}

const addContact = { id: 'op1', operation: operations.addContact(contact(100)) };
const command = (documents: DocumentStore): MachineCommand => ({
  type: 'update',
  connection: { root: ROOT, xui: XUI },
  discovery,
  documents,
  entries: [addContact],
});

/** Runs one update command; `answer(req, n)` scripts the n-th write. */
function run(
  ts: TestScheduler,
  documents: DocumentStore,
  answer: (req: Recorded, n: number) => Observable<HttpResponse>,
  servers = serverKnowledge(KAMAILIO_XCAP_SERVER),
) {
  const http = fakeHttp(ts);
  let n = 0;
  http.route('PUT resource-lists', (req) => answer(req, ++n));
  http.route('DELETE resource-lists', (req) => answer(req, ++n));
  const ports = { ...fakePorts(ts, http), engine: defaultEngine, servers };
  const commands = new Subject<MachineCommand>();
  const events: MachineEvent[] = [];
  updatePipeline(commands, ports)
    .pipe(toArray())
    .subscribe((e) => events.push(...e));
  ts.schedule(() => {
    commands.next(command(documents));
    commands.complete();
  }, 0);
  return { http, events };
}

const answered = (ts: TestScheduler, etag: string) =>
  ts.createColdObservable<HttpResponse>('1ms (r|)', { r: { status: 200, etag } });

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('element writes in the update pipeline', () => {
  it('chains the writes: each If-Match is the ETag the previous answer returned', () => {
    const ts = newScheduler();
    const docs = held();
    ts.run(() => {
      const { http, events } = run(ts, docs, (_, n) => answered(ts, `e${n}`));
      ts.flush();
      const writes = http.requests;
      expect(writes.length).toBeGreaterThan(1);
      // Every request names an element, none is the whole document.
      for (const w of writes) expect(typeof w.options.node).toBe('string');
      expect(writes.map((w) => w.options.etag)).toEqual(writes.map((_, i) => `e${i}`));
      const updated = events.find((e) => e.type === 'updated');
      expect(updated?.type).toBe('updated');
      if (updated?.type !== 'updated') return;
      const doc = updated.documents['resource-lists']!;
      expect(doc.etag).toBe(`e${writes.length}`);
      // What is cached is the planner's model of the server's document, text and tree.
      const before = docs['resource-lists']!.root;
      const after = applyOperation({ 'resource-lists': before }, addContact.operation, jctx).docs;
      const plan = planElementWrites(before, after['resource-lists']!, {
        server: KAMAILIO_XCAP_SERVER,
      });
      expect(plan.kind).toBe('elements');
      expect(sameElement(doc.root, plan.expected!)).toBe(true);
      expect(sameElement(defaultEngine.parse(doc.content), doc.root)).toBe(true);
      // The chain's earlier ETags are ours: their NOTIFYs need no GET.
      expect(doc.ownEtags).toEqual(writes.map((_, i) => `e${i}`));
    });
  });

  it("a bare 500 to an element write (Kamailio's refusal) is not retried: the whole document goes against the chain's ETag, and so do later edits", () => {
    const ts = newScheduler();
    const servers = serverKnowledge(KAMAILIO_XCAP_SERVER);
    ts.run(() => {
      const { http, events } = run(
        ts,
        held(),
        (req, n) =>
          n === 2 && req.options.node !== undefined
            ? fails(ts, new FakeHttpError(500))
            : answered(ts, `e${n}`),
        servers,
      );
      ts.flush();
      const [first, refused, whole, ...rest] = http.requests;
      expect(first!.options.node).toBeDefined();
      expect(refused!.options.node).toBeDefined();
      expect(whole!.options.node).toBeUndefined();
      expect(whole!.options.etag).toBe('e1');
      expect(rest).toEqual([]);
      const updated = events.find((e) => e.type === 'updated');
      expect(updated?.type === 'updated' && updated.documents['resource-lists']?.etag).toBe('e3');
    });
    expect(servers.profile(ROOT, 'resource-lists')).toBeUndefined();
  });

  it('a 412 in the middle reports a conflict with the part written (its ETag) recorded', () => {
    const ts = newScheduler();
    const docs = held();
    ts.run(() => {
      const { http, events } = run(ts, docs, (_, n) =>
        n === 3 ? fails(ts, new FakeHttpError(412)) : answered(ts, `e${n}`),
      );
      ts.flush();
      expect(http.requests).toHaveLength(3);
      const conflict = events.find((e) => e.type === 'conflict');
      expect(conflict?.type).toBe('conflict');
      if (conflict?.type !== 'conflict') return;
      const doc = conflict.documents['resource-lists']!;
      // The refetch is conditional on the version the chain reached.
      expect(doc.etag).toBe('e2');
      expect(sameElement(doc.root, docs['resource-lists']!.root)).toBe(false);
    });
  });

  it('a server rxcap does not know gets the whole document', () => {
    const ts = newScheduler();
    ts.run(() => {
      const { http } = run(ts, held(), (_, n) => answered(ts, `e${n}`), serverKnowledge('auto'));
      ts.flush();
      expect(http.requests).toHaveLength(1);
      expect(http.requests[0]!.options.node).toBeUndefined();
      expect(http.requests[0]!.options.etag).toBe('e0');
    });
  });
});
