/**
 * Element and attribute requests on the in-memory XCAP server (RFC 4825 §6.3 node selectors,
 * §7.4–7.6, insertion per §8.2.3), through the manager's HTTP port and over real HTTP with
 * Digest. Before, every node-selector request answered 501.
 */
import { lastValueFrom, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { XcapHttpError } from '../../src/client/errors.js';
import { nodeSelector } from '../../src/client/node-selector.js';
import { XcapClient } from '../../src/client/xcap-client.js';
import { createInMemoryXcapServer, type XcapHttpListener } from '../../src/testing/index.js';

const XUI = 'sip:alice@example.com';
const RL = 'urn:ietf:params:xml:ns:resource-lists';
const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}" xmlns:x="urn:example:x"><list name="friends"><entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry><entry uri="sip:carol@example.com"/><x:note/></list><list name="work"/></resource-lists>`;
const FRIENDS = 'resource-lists/list[@name="friends"]';

const listeners: XcapHttpListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** A server holding DOC for alice, and her port. */
function setup() {
  const server = createInMemoryXcapServer();
  const etag = server.setDocument(XUI, 'resource-lists', DOC);
  const http = server.http({ root: server.root, xui: XUI });
  const body = () => server.document(XUI, 'resource-lists')!.body;
  return { server, http, etag, body };
}
const statusOf = (o: Observable<{ status: number }>) =>
  lastValueFrom(o).then(
    (r) => r.status,
    (e: unknown) => (e as XcapHttpError).status,
  );
const uris = (xml: string) => [...xml.matchAll(/<entry uri="([^"]*)"/g)].map((m) => m[1]);

describe('in-memory XCAP server: GET by node selector (RFC 4825 §7.3)', () => {
  it('answers an element, an attribute and a positional step with the document’s ETag', async () => {
    const { http, etag } = setup();
    const bob = await lastValueFrom(
      http.get('resource-lists', { node: `${FRIENDS}/entry[@uri="sip:bob@example.com"]` }),
    );
    expect(bob).toMatchObject({ status: 200, etag, contentType: 'application/xcap-el+xml' });
    expect(bob.body).toBe(
      `<entry xmlns="${RL}" uri="sip:bob@example.com"><display-name>Bob</display-name></entry>`,
    );
    const second = await lastValueFrom(
      http.get('resource-lists', { node: `${FRIENDS}/entry[2]/@uri` }),
    );
    expect(second).toMatchObject({
      body: 'sip:carol@example.com',
      contentType: 'application/xcap-att+xml',
    });
    const star = await lastValueFrom(
      http.get('resource-lists', { node: 'resource-lists/*[2]/@name' }),
    );
    expect(star.body).toBe('work');
  });

  it('answers 404 when nothing, or more than one element, is selected; 400 for a bad selector', async () => {
    const { http } = setup();
    expect(await statusOf(http.get('resource-lists', { node: `${FRIENDS}/entry[3]` }))).toBe(404);
    expect(await statusOf(http.get('resource-lists', { node: `${FRIENDS}/entry` }))).toBe(404);
    expect(await statusOf(http.get('resource-lists', { node: `${FRIENDS}/@nope` }))).toBe(404);
    expect(await statusOf(http.get('resource-lists', { node: 'list' }))).toBe(404);
    expect(
      await statusOf(http.get('resource-lists', { node: 'resource-lists/list[@name="a' })),
    ).toBe(400);
    expect(
      await statusOf(http.get('resource-lists', { node: 'resource-lists/namespace::*' })),
    ).toBe(501);
  });
});

describe('in-memory XCAP server: PUT and DELETE by node selector (RFC 4825 §7.4–7.6, §8.2.3)', () => {
  it('inserts a new element after the last sibling of its name (201), with a new ETag', async () => {
    const { server, http, etag, body } = setup();
    const node = `${FRIENDS}/entry[@uri="sip:dave@example.com"]`;
    const r = await lastValueFrom(
      http.put('resource-lists', '<entry uri="sip:dave@example.com"/>', { node, etag }),
    );
    expect(r.status).toBe(201);
    expect(r.etag).not.toBe(etag);
    expect(uris(body())).toEqual([
      'sip:bob@example.com',
      'sip:carol@example.com',
      'sip:dave@example.com',
    ]);
    expect(body()).toMatch(/sip:dave@example.com"\/><x:note\/>/); // before the other element
    expect(server.requests.at(-1)).toMatchObject({ method: 'PUT', node, status: 201 });
    // The element needed no xmlns: unprefixed names are in the parent's namespace (§7.4).
    const back = await lastValueFrom(http.get('resource-lists', { node }));
    expect(back.body).toBe(`<entry xmlns="${RL}" uri="sip:dave@example.com"/>`);
  });

  it('replaces an element in place (200) and honours a position step on insert', async () => {
    const { http, body } = setup();
    const replaced = await lastValueFrom(
      http.put('resource-lists', `<entry xmlns="${RL}" uri="sip:bob@example.com"/>`, {
        node: `${FRIENDS}/entry[@uri="sip:bob@example.com"]`,
      }),
    );
    expect(replaced.status).toBe(200);
    expect(uris(body())).toEqual(['sip:bob@example.com', 'sip:carol@example.com']);
    expect(body()).not.toContain('display-name');
    await lastValueFrom(
      http.put('resource-lists', '<entry uri="sip:first@example.com"/>', {
        node: `${FRIENDS}/entry[1][@uri="sip:first@example.com"]`,
      }),
    );
    expect(uris(body())).toEqual([
      'sip:first@example.com',
      'sip:bob@example.com',
      'sip:carol@example.com',
    ]);
  });

  it('refuses what a GET of the same URI would not return (409 cannot-insert), a missing parent (409 no-parent), and a body that is not one element', async () => {
    const { http, body } = setup();
    const before = body();
    const put = (node: string, xml: string) => statusOf(http.put('resource-lists', xml, { node }));
    expect(
      await put(`${FRIENDS}/entry[@uri="sip:x@example.com"]`, '<entry uri="sip:y@example.com"/>'),
    ).toBe(409);
    expect(await put(`${FRIENDS}/entry[5]`, '<entry uri="sip:y@example.com"/>')).toBe(409);
    expect(
      await put('resource-lists/list[@name="none"]/entry', '<entry uri="sip:y@example.com"/>'),
    ).toBe(409);
    expect(
      await put(
        `${FRIENDS}/entry[@uri="sip:y@example.com"]`,
        '<entry uri="sip:y@example.com"/><entry/>',
      ),
    ).toBe(409);
    const refused = await lastValueFrom(
      http.put('resource-lists', '<entry uri="sip:y@example.com"/>', {
        node: `${FRIENDS}/entry[@uri="sip:x@example.com"]`,
      }),
    ).catch((e: unknown) => e as XcapHttpError);
    expect((refused as XcapHttpError).body).toContain('<cannot-insert/>');
    expect(body()).toBe(before);
  });

  it('deletes an element and an attribute; a positional delete that would select the next sibling is 409', async () => {
    const { http, body } = setup();
    expect(await statusOf(http.delete('resource-lists', { node: `${FRIENDS}/entry[1]` }))).toBe(
      409,
    );
    expect(
      await statusOf(
        http.delete('resource-lists', { node: `${FRIENDS}/entry[@uri="sip:carol@example.com"]` }),
      ),
    ).toBe(200);
    expect(uris(body())).toEqual(['sip:bob@example.com']);
    expect(
      await statusOf(http.delete('resource-lists', { node: 'resource-lists/list[2]/@name' })),
    ).toBe(200);
    expect(body()).toContain('<list/>');
    expect(
      await statusOf(http.delete('resource-lists', { node: 'resource-lists/list[2]/@name' })),
    ).toBe(404);
    expect(await statusOf(http.delete('resource-lists', { node: 'resource-lists' }))).toBe(409);
  });

  it('writes an attribute, checks If-Match against the document’s ETag, and notifies diff watchers', async () => {
    const { server, http, etag, body } = setup();
    const changes: unknown[] = [];
    const sub = server.diff
      .watch(
        { aor: XUI, xui: XUI, xcapRoot: server.root, subscribeInterval: 600, documents: [] },
        { terminate$: new (await import('rxjs')).Subject<void>() },
      )
      .subscribe((e) => {
        if (e.type === 'changed') changes.push(e);
      });
    expect(
      await statusOf(http.put('resource-lists', 'x', { node: `${FRIENDS}/@name`, etag: 'stale' })),
    ).toBe(412);
    const r = await lastValueFrom(
      http.put('resource-lists', 'pals', { node: `${FRIENDS}/@name`, etag }),
    );
    expect(r.status).toBe(200);
    expect(body()).toContain('<list name="pals">');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(changes).toEqual([
      {
        type: 'changed',
        documents: [
          { auid: 'resource-lists', filename: 'index', previousEtag: etag, newEtag: r.etag },
        ],
      },
    ]);
    sub.unsubscribe();
  });
});

describe('in-memory XCAP server over HTTP: node selectors with Digest and xmlns() bindings', () => {
  it('an XcapClient gets, puts and deletes elements, prefixed steps bound through the query', async () => {
    const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' } });
    server.setDocument(XUI, 'resource-lists', DOC);
    const listener = await server.listen();
    listeners.push(listener);
    const client = new XcapClient({ root: listener.root, xui: XUI, password: 's3cret' });
    const note = nodeSelector()
      .ns('x', 'urn:example:x')
      .el('resource-lists')
      .el('list', { name: 'friends' })
      .el('x:note');
    const got = await lastValueFrom(client.get('resource-lists', { node: note }));
    expect(got.body).toBe('<x:note xmlns:x="urn:example:x"/>');
    const entry = nodeSelector()
      .el('resource-lists')
      .el('list', { name: 'friends' })
      .el('entry', { uri: "sip:o'brien@example.com" });
    const put = await lastValueFrom(
      client.put('resource-lists', `<entry xmlns="${RL}" uri="sip:o'brien@example.com"/>`, {
        node: entry,
      }),
    );
    expect(put.status).toBe(201);
    expect(uris(server.document(XUI, 'resource-lists')!.body)).toContain("sip:o'brien@example.com");
    const deleted = await lastValueFrom(
      client.delete('resource-lists', { node: entry, etag: put.etag ?? '' }),
    );
    expect(deleted.status).toBe(200);
  });
});
