/**
 * RFC 4825 §8.2.5 and §8.2.3: a write must be idempotent, so an RFC-strict server refuses a
 * positional DELETE of an element that is not the last of its siblings (409 <cannot-delete>;
 * OpenXCAP's test_element.py "cannot delete something in the middle") and a PUT after which
 * the URI would not select the element PUT (409 <cannot-insert>). Checked against the FAKE
 * RFC 4825-strict server (fakeRfc4825XcapServer), then the planner's writes sent to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { sameElement, type XmlElement } from '../../src/codecs/xml/tree.js';
import {
  KAMAILIO_XCAP_SERVER,
  planElementWrites,
  RFC4825_SERVER,
} from '../../src/element-writes/index.js';
import {
  type FakeRfc4825XcapServer,
  fakeRfc4825XcapServer,
} from '../support/fake-rfc4825-xcap-server.js';

let fake: FakeRfc4825XcapServer;
beforeAll(async () => {
  fake = await fakeRfc4825XcapServer();
});
afterAll(async () => {
  await fake.close();
});

let n = 0;
const docUrl = () => `${fake.root}/resource-lists/users/sip:u${n++}@example.com/index`;
const node = (url: string, selector: string) => `${url}/~~/${encodeURI(selector)}`;
const etagOf = (r: Response) => r.headers.get('etag')!;

async function putDocument(url: string, xml: string): Promise<string> {
  const r = await fetch(url, { method: 'PUT', body: xml });
  expect(r.status).toBe(201);
  return etagOf(r);
}

const LIST = (entries: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="x">${entries}</list><list name="y">${Array.from({ length: 20 }, (_, i) => `<entry uri="sip:y${i}@x"/>`).join('')}</list></resource-lists>`;

describe('the fake RFC 4825 server refuses writes that are not idempotent', () => {
  it('a positional DELETE of an element in the middle: 409 <cannot-delete> (§8.2.5)', async () => {
    const url = docUrl();
    const xml = LIST('<entry uri="sip:a@x"/><entry uri="sip:b@x"/><entry uri="sip:c@x"/>');
    await putDocument(url, xml);
    const r = await fetch(node(url, 'resource-lists/*[1]/*[2]'), { method: 'DELETE' });
    expect(r.status).toBe(409);
    expect(r.headers.get('content-type')).toBe('application/xcap-error+xml');
    const body = parseXml(await r.text());
    expect(body.name).toBe('xcap-error');
    expect((body.children[0] as XmlElement).name).toBe('cannot-delete');
    expect(await (await fetch(url)).text()).toBe(xml);
    // The last of its siblings by position, or the middle one by a unique attribute: deleted.
    expect((await fetch(node(url, '*/*[1]/*[3]'), { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(node(url, '*/*[1]/*[@uri="sip:a@x"]'), { method: 'DELETE' })).status).toBe(
      200,
    );
    expect(await (await fetch(url)).text()).toContain(
      '<list name="x"><entry uri="sip:b@x"/></list>',
    );
  });

  it('a PUT the URI would not select afterwards: 409 <cannot-insert> (§8.2.3)', async () => {
    const url = docUrl();
    await putDocument(url, LIST('<entry uri="sip:a@x"/>'));
    const r = await fetch(node(url, '*/*[1]/*[@uri="sip:z@x"]'), {
      method: 'PUT',
      body: '<entry xmlns="urn:ietf:params:xml:ns:resource-lists" uri="sip:other@x"/>',
    });
    expect(r.status).toBe(409);
    expect(await r.text()).toContain('<cannot-insert/>');
  });
});

/** Sends the plan's writes in order, each with If-Match of the previous answer's ETag. */
async function sendPlan(
  url: string,
  before: XmlElement,
  after: XmlElement,
): Promise<{ kind: string; statuses: number[] }> {
  let etag = await putDocument(url, serializeXml(before));
  // `after` shares `before`'s unchanged subtrees, as a journal operation's result does.
  const plan = planElementWrites(before, after, { server: RFC4825_SERVER });
  const statuses: number[] = [];
  if (plan.kind === 'document') {
    const r = await fetch(url, {
      method: 'PUT',
      body: serializeXml(after),
      headers: { 'if-match': etag },
    });
    return { kind: plan.kind, statuses: [r.status] };
  }
  if (plan.kind !== 'elements') return { kind: plan.kind, statuses };
  for (const w of plan.writes) {
    const r = await fetch(node(url, w.node), {
      method: w.body === undefined ? 'DELETE' : 'PUT',
      headers: { 'if-match': etag },
      ...(w.body === undefined ? {} : { body: w.body }),
    });
    statuses.push(r.status);
    if (r.status >= 300) break;
    etag = etagOf(r);
  }
  return { kind: plan.kind, statuses };
}

const without = (root: XmlElement, listIndex: number, childIndex: number): XmlElement => {
  const list = root.children[listIndex] as XmlElement;
  const children = root.children.slice();
  children[listIndex] = {
    ...list,
    children: list.children.filter((_, i) => i !== childIndex),
  };
  return { ...root, children };
};

describe('planElementWrites with RFC4825_SERVER, sent to the fake RFC 4825 server', () => {
  it('removes an entry that only a position selects, in the middle of its list', async () => {
    const url = docUrl();
    // Two entries with the same URI (another client's list): no attribute test is unique.
    const before = LIST(
      '<entry uri="sip:a@x"/><entry uri="sip:dup@x"/><entry uri="sip:dup@x"><display-name>2</display-name></entry><entry uri="sip:c@x"/>',
    );
    const root = parseXml(before);
    const after = without(root, 0, 1);
    const { kind, statuses } = await sendPlan(url, root, after);
    expect(statuses.every((s) => s < 300)).toBe(true);
    expect(sameElement(parseXml(await (await fetch(url)).text()), after)).toBe(true);
    // Not the whole document: the list is replaced (the other, larger list is not sent).
    expect(kind).toBe('elements');
  });

  it('removes an element without attributes from the middle of its parent', async () => {
    const url = docUrl();
    const before = LIST(
      '<display-name>one</display-name><entry uri="sip:a@x"/><entry uri="sip:b@x"/>',
    );
    // A <display-name> has no attribute: only its position names it.
    const root = parseXml(before);
    const after = without(root, 0, 0);
    const { statuses } = await sendPlan(url, root, after);
    expect(statuses.every((s) => s < 300)).toBe(true);
    expect(sameElement(parseXml(await (await fetch(url)).text()), after)).toBe(true);
  });

  it('Kamailio (which deletes by position in the middle) still gets the positional DELETE', () => {
    const before = parseXml(
      LIST('<entry uri="sip:a@x"/><entry uri="sip:dup@x"/><entry uri="sip:dup@x"/>'),
    );
    const plan = planElementWrites(before, without(before, 0, 1), {
      server: KAMAILIO_XCAP_SERVER,
    });
    expect(plan.kind).toBe('elements');
    if (plan.kind !== 'elements') return;
    expect(plan.writes.map((w) => [w.body === undefined ? 'DELETE' : 'PUT', w.node])).toEqual([
      ['DELETE', '*/*[@name="x"]/*[2]'],
    ]);
  });
});
