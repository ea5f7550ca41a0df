/**
 * A FAKE XCAP server that follows RFC 4825 strictly where Kamailio does not: element and
 * attribute PUT/DELETE (§7.4–7.6) with replacement in place, insertion at the position the
 * selector asks for (§8.2.3), the "GET returns what was PUT" check (409 cannot-insert), the
 * idempotency of a DELETE (§8.2.5: 409 cannot-delete when the same URI would then select
 * another element, e.g. a positional step naming an element in the middle; OpenXCAP's
 * test_element.py "cannot delete something in the middle"), 409 answers with an
 * `application/xcap-error+xml` body (§11), 404 for nothing selected, ETags and If-Match/If-None-Match (412). In-process, no auth.
 *
 * Its selector evaluation and insertion rules are written here on their own (not the
 * planner's model in src/element-writes), so a test that sends planned writes to it checks
 * the planner against a second reading of the RFC. Steps: `*` or a local name, `[n]`,
 * `[@a="v"]` (with character references), and a final `@attr`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import type { XmlElement, XmlNode } from '../../src/codecs/xml/tree.js';

interface Stored {
  text: string;
  etag: string;
}

interface Step {
  name: string;
  pos?: number;
  attr?: [string, string];
}

class Refused extends Error {
  /** The RFC 4825 §11 error condition of a 409 (its body's only child). */
  constructor(
    readonly status: number,
    readonly condition?: string,
  ) {
    super(String(status));
  }
}

const decodeRefs = (v: string): string =>
  v
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

function splitSteps(sel: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (const ch of sel) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '/' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function parseStep(s: string): Step {
  const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(s);
  if (!m) throw new Refused(400);
  const step: Step = { name: m[1]! };
  for (const p of m[2]!.match(/\[[^\]]*\]/g) ?? []) {
    const body = p.slice(1, -1);
    if (/^\d+$/.test(body)) step.pos = Number(body);
    else {
      const a = /^@([^=]+)=(?:"([^"]*)"|'([^']*)')$/.exec(body);
      if (!a) throw new Refused(400);
      step.attr = [a[1]!, decodeRefs(a[2] ?? a[3]!)];
    }
  }
  return step;
}

const isEl = (n: XmlNode): n is XmlElement => n.type === 'element';
const nameOk = (e: XmlElement, s: Step) => s.name === '*' || s.name === e.name;
const attrOk = (e: XmlElement, s: Step) =>
  s.attr === undefined ||
  e.attributes.some((a) => a.ns === '' && a.name === s.attr![0] && a.value === s.attr![1]);

/** Children indices selected by a step: name test, then position among those, then attribute. */
function pick(parent: XmlElement, s: Step): number[] {
  const named = parent.children.flatMap((c, i) => (isEl(c) && nameOk(c, s) ? [i] : []));
  const byPos =
    s.pos === undefined ? named : named[s.pos - 1] === undefined ? [] : [named[s.pos - 1]!];
  return byPos.filter((i) => attrOk(parent.children[i] as XmlElement, s));
}

/** Applies `f` to the element that `steps` select below `root` (steps[0] is the root's). */
function edit(root: XmlElement, steps: Step[], f: (e: XmlElement) => XmlElement): XmlElement {
  const first = steps[0]!;
  if (!nameOk(root, first) || !attrOk(root, first) || (first.pos ?? 1) !== 1)
    throw new Refused(404);
  const go = (e: XmlElement, d: number): XmlElement => {
    if (d === steps.length) return f(e);
    const hit = pick(e, steps[d]!);
    if (hit.length !== 1) throw new Refused(404);
    const children = e.children.slice();
    children[hit[0]!] = go(e.children[hit[0]!] as XmlElement, d + 1);
    return { ...e, children };
  };
  return go(root, 1);
}

/**
 * §8.2.3: after a PUT, a GET of the same URI must return the element that was PUT, else 409
 * cannot-insert (checked on the new parent, so it covers replacement and insertion alike).
 */
function selectsPut(parent: XmlElement, last: Step, el: XmlElement): XmlElement {
  const hit = pick(parent, last);
  if (hit.length !== 1 || parent.children[hit[0]!] !== el) throw new Refused(409, 'cannot-insert');
  return parent;
}

function putElement(root: XmlElement, steps: Step[], el: XmlElement): XmlElement {
  const last = steps[steps.length - 1]!;
  // §8.2.3: a GET of the same URI must return the element afterwards.
  if (!nameOk(el, last) || !attrOk(el, last)) throw new Refused(409, 'cannot-insert');
  return edit(root, steps.slice(0, -1), (parent) => {
    const hit = pick(parent, last);
    if (hit.length > 1) throw new Refused(409, 'cannot-insert');
    const children = parent.children.slice();
    if (hit.length === 1) {
      children[hit[0]!] = el;
      return selectsPut({ ...parent, children }, last, el);
    }
    // Insert. With a position: the new element is the pos-th of those the name test matches.
    const named = parent.children.flatMap((c, i) => (isEl(c) && nameOk(c, last) ? [i] : []));
    let at: number;
    if (last.pos !== undefined) {
      if (last.pos > named.length + 1) throw new Refused(409, 'cannot-insert');
      at = last.pos === 1 ? (named[0] ?? parent.children.length) : named[last.pos - 2]! + 1;
    } else {
      const same = parent.children.flatMap((c, i) =>
        isEl(c) && c.ns === el.ns && c.name === el.name ? [i] : [],
      );
      at = same.length > 0 ? same[same.length - 1]! + 1 : parent.children.length;
    }
    children.splice(at, 0, el);
    return selectsPut({ ...parent, children }, last, el);
  });
}

/** A running fake RFC 4825 server. */
export interface FakeRfc4825XcapServer {
  /** XCAP root URI, e.g. `http://127.0.0.1:12345/xcap-root`. */
  readonly root: string;
  /** Requests seen: method and path. */
  readonly requests: { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * Starts the fake RFC 4825 server on a free loopback port.
 *
 * @example const fake = await fakeRfc4825XcapServer(); new XcapClient({ root: fake.root, xui })
 */
export async function fakeRfc4825XcapServer(): Promise<FakeRfc4825XcapServer> {
  const docs = new Map<string, Stored>();
  const requests: { method: string; url: string }[] = [];
  let counter = 0;
  const handle = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const url = req.url ?? '';
    requests.push({ method: req.method ?? '', url });
    const [docPath, rawSel] = url.split('/~~/') as [string, string | undefined];
    const stored = docs.get(docPath);
    const ifMatch = req.headers['if-match']?.replaceAll('"', '');
    const ifNone = req.headers['if-none-match']?.replaceAll('"', '');
    const reply = (status: number, etag?: string, text = '', type?: string) => {
      res.writeHead(status, {
        ...(etag === undefined ? {} : { etag: `"${etag}"` }),
        ...(type === undefined ? {} : { 'content-type': type }),
      });
      res.end(text);
    };
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== stored?.etag) return reply(412);
    if (ifMatch === '*' && stored === undefined) return reply(412);
    if (ifNone === '*' && stored !== undefined) return reply(412);
    if (ifNone !== undefined && ifNone === stored?.etag && req.method === 'GET')
      return reply(304, stored.etag);
    try {
      if (rawSel === undefined) {
        if (req.method === 'GET') return stored ? reply(200, stored.etag, stored.text) : reply(404);
        if (req.method === 'PUT') {
          parseXml(body);
          const etag = `e${++counter}`;
          docs.set(docPath, { text: body, etag });
          return reply(stored ? 200 : 201, etag);
        }
        if (!stored) return reply(404);
        docs.delete(docPath);
        return reply(200);
      }
      if (!stored) return reply(404);
      const steps = splitSteps(decodeURIComponent(rawSel.split('?')[0]!));
      const lastRaw = steps[steps.length - 1]!;
      const root = parseXml(stored.text);
      let next: XmlElement;
      if (lastRaw.startsWith('@')) {
        const name = lastRaw.slice(1);
        const path = steps.slice(0, -1).map(parseStep);
        if (req.method === 'GET') throw new Refused(405);
        next = edit(root, path, (e) => {
          const rest = e.attributes.filter((a) => !(a.ns === '' && a.name === name));
          if (req.method === 'DELETE') {
            if (rest.length === e.attributes.length) throw new Refused(404);
            return { ...e, attributes: rest };
          }
          const i = e.attributes.findIndex((a) => a.ns === '' && a.name === name);
          const attributes = e.attributes.slice();
          if (i < 0) attributes.push({ ns: '', name, value: body });
          else attributes[i] = { ...attributes[i]!, value: body };
          return { ...e, attributes };
        });
      } else {
        const path = steps.map(parseStep);
        if (req.method === 'PUT') next = putElement(root, path, parseXml(body));
        else if (req.method === 'DELETE')
          next = edit(root, path.slice(0, -1), (parent) => {
            const last = path[path.length - 1]!;
            const hit = pick(parent, last);
            if (hit.length !== 1) throw new Refused(404);
            const after = { ...parent, children: parent.children.filter((_, i) => i !== hit[0]) };
            // §8.2.5: a GET of the same URI must then answer 404; a positional step naming an
            // element in the middle would select its next sibling instead.
            if (pick(after, last).length > 0) throw new Refused(409, 'cannot-delete');
            return after;
          });
        else throw new Refused(405);
      }
      const etag = `e${++counter}`;
      docs.set(docPath, { text: serializeXml(next), etag });
      return reply(200, etag);
    } catch (e) {
      const status = e instanceof Refused ? e.status : 409;
      const condition = e instanceof Refused ? e.condition : 'not-well-formed';
      if (status !== 409 || condition === undefined) return reply(status);
      return reply(
        409,
        undefined,
        `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><${condition}/></xcap-error>`,
        'application/xcap-error+xml',
      );
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    root: `http://127.0.0.1:${port}/xcap-root`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
