import { lastValueFrom, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fetchTransport,
  type HttpTransport,
  isTransient,
  nodeSelector,
  XcapClient,
  type XcapClientOptions,
  XcapHttpError,
  XcapNetworkError,
  XcapNodeSelectorError,
  XcapResponseTooLargeError,
  XcapTimeoutError,
} from '../../src/client/index.js';
import { undiciTransport } from '../../src/client/undici-transport.js';
import { type FakeHandler, type FakeServer, startFakeServer } from './fake-xcap-server.js';

const XUI = 'sip:alice@example.com';
const DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

// Both transports run the same suite: undici (the Node default) and fetch (the browser
// default, here Node's own fetch); their typed errors, limits and timers must not differ.
const TRANSPORTS: [string, HttpTransport][] = [
  ['undici', undiciTransport],
  ['fetch', fetchTransport],
];

describe.each(TRANSPORTS)('over %s', (_name, transport) => {
  async function setup(handler: FakeHandler, opts: Partial<XcapClientOptions> = {}) {
    server = await startFakeServer(handler);
    const client = new XcapClient({ root: server.root, xui: XUI, transport, ...opts });
    return { server, client };
  }

  describe('XcapClient against a fake server: requests', () => {
    it('GETs a whole document with the application MIME type and returns body and ETag', async () => {
      const { server: s, client } = await setup((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/resource-lists+xml', etag: '"e1"' });
        res.end(DOC);
      });
      const r = await lastValueFrom(client.get('resource-lists'));
      expect(s.requests[0]!.url).toBe(
        '/xcap-root/resource-lists/users/sip:alice@example.com/index',
      );
      expect(s.requests[0]!.headers.accept).toBe('application/resource-lists+xml');
      expect(r).toMatchObject({ status: 200, etag: 'e1', etagWeak: false, body: DOC });
      expect(r.contentType).toBe('application/resource-lists+xml');
      expect(new TextDecoder().decode(r.bytes)).toBe(DOC);
    });

    it('is cold: nothing is sent before subscribe', async () => {
      const { server: s, client } = await setup((_q, res) => res.end('x'));
      const obs = client.get('resource-lists');
      await new Promise((r) => setTimeout(r, 50));
      expect(s.requests).toHaveLength(0);
      await lastValueFrom(obs);
      expect(s.requests).toHaveLength(1);
    });

    it('sends node selectors encoded, with the MIME type of the node kind', async () => {
      const { server: s, client } = await setup((_q, res) => {
        res.writeHead(200, { etag: 'e2' });
        res.end();
      });
      const list = nodeSelector().el('resource-lists').el('list', { name: 'friends' });
      await lastValueFrom(client.put('resource-lists', '<list name="friends"/>', { node: list }));
      await lastValueFrom(client.put('resource-lists', '"x"', { node: list.attr('name') }));
      await lastValueFrom(
        client.get('resource-lists', {
          node: nodeSelector().el('resource-lists').namespaceNodes(),
        }),
      );
      await lastValueFrom(client.put('resource-lists', DOC, { contentType: 'text/xml' }));
      const [el, att, ns, doc] = s.requests;
      expect(el!.url).toBe(
        '/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D',
      );
      expect(el!.headers['content-type']).toBe('application/xcap-el+xml');
      expect(el!.body).toBe('<list name="friends"/>');
      expect(att!.url.endsWith('/~~/resource-lists/list%5B@name=%22friends%22%5D/@name')).toBe(
        true,
      );
      expect(att!.headers['content-type']).toBe('application/xcap-att+xml');
      expect(ns!.headers.accept).toBe('application/xcap-ns+xml');
      expect(doc!.headers['content-type']).toBe('text/xml');
    });

    it('writes conditional headers: quoted ETags, * quoted by default', async () => {
      const { server: s, client } = await setup((_q, res) => res.end());
      await lastValueFrom(client.put('resource-lists', DOC, { ifNoneMatch: '*' }));
      await lastValueFrom(client.put('resource-lists', DOC, { etag: 'abc' }));
      await lastValueFrom(client.delete('resource-lists', { etag: 'W/"weak"' }));
      expect(s.requests[0]!.headers['if-none-match']).toBe('"*"');
      expect(s.requests[1]!.headers['if-match']).toBe('"abc"');
      expect(s.requests[2]!.headers['if-match']).toBe('W/"weak"');
      expect(s.requests[2]!.method).toBe('DELETE');
    });

    it('writes * bare with starQuoting: bare (RFC 9110 §13.1.1)', async () => {
      const { server: s, client } = await setup((_q, res) => res.end(), { starQuoting: 'bare' });
      await lastValueFrom(client.put('resource-lists', DOC, { ifNoneMatch: '*' }));
      expect(s.requests[0]!.headers['if-none-match']).toBe('*');
    });

    it('surfaces 304 as a resource with status 304, keeping the ETag', async () => {
      const { client } = await setup((_q, res) => {
        res.writeHead(304, { etag: '"e9"' });
        res.end();
      });
      const r = await lastValueFrom(client.get('resource-lists', { ifNoneMatch: 'e9' }));
      expect(r.status).toBe(304);
      expect(r.etag).toBe('e9');
      expect(r.body).toBe('');
    });

    it('a missing ETag gives etag null without crashing; weak ETags keep the marker', async () => {
      let n = 0;
      const { client } = await setup((_q, res) => {
        if (n++ === 0) res.writeHead(200);
        else res.writeHead(200, { etag: 'W/"w1"' });
        res.end(DOC);
      });
      expect((await lastValueFrom(client.get('resource-lists'))).etag).toBeNull();
      const weak = await lastValueFrom(client.get('resource-lists'));
      expect(weak).toMatchObject({ etag: 'W/"w1"', etagWeak: true });
    });

    it('turns error statuses into XcapHttpError with the parsed xcap-error', async () => {
      const { client } = await setup((_q, res) => {
        res.writeHead(409, { 'content-type': 'application/xcap-error+xml; charset=utf-8' });
        res.end(
          '<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><cannot-delete phrase="nope"/></xcap-error>',
        );
      });
      const e = await failure(
        lastValueFrom(client.delete('resource-lists', { node: 'resource-lists/list[1]' })),
      );
      expect(e).toBeInstanceOf(XcapHttpError);
      const h = e as XcapHttpError;
      expect(h.status).toBe(409);
      expect(h.xcapError).toEqual({ type: 'cannot-delete', phrase: 'nope' });
      expect(h.url).toContain('/~~/resource-lists/list%5B1%5D');
      expect(isTransient(h)).toBe(false);
    });

    it('a bare 500 is a transient XcapHttpError without xcapError', async () => {
      const { client } = await setup((_q, res) => {
        res.writeHead(500, { 'retry-after': '3' });
        res.end('boom');
      });
      const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapHttpError;
      expect(e.status).toBe(500);
      expect(e.body).toBe('boom');
      expect(e.xcapError).toBeUndefined();
      expect(isTransient(e)).toBe(true);
    });

    it('reports a bad node selector through the Observable, sending nothing', async () => {
      const { server: s, client } = await setup((_q, res) => res.end());
      const e = await failure(lastValueFrom(client.get('resource-lists', { node: 'a/b[@c="d"' })));
      expect(e).toBeInstanceOf(XcapNodeSelectorError);
      expect(s.requests).toHaveLength(0);
    });
  });

  describe('XcapClient against a fake server: limits, timeouts, aborts', () => {
    it('aborts a body past maxBodyBytes while streaming (no Content-Length)', async () => {
      let closed = false;
      const { client } = await setup(
        (_q, res, raw) => {
          raw.socket.on('close', () => {
            closed = true;
          });
          res.writeHead(200, { 'transfer-encoding': 'chunked' });
          const chunk = Buffer.alloc(16 * 1024, 'a');
          let sent = 0;
          const pump = () => {
            while (sent < 4 * 1024 * 1024 && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
        },
        { maxBodyBytes: 64 * 1024 },
      );
      const e = await failure(lastValueFrom(client.get('resource-lists')));
      expect(e).toBeInstanceOf(XcapResponseTooLargeError);
      expect((e as XcapResponseTooLargeError).limit).toBe(64 * 1024);
      await new Promise((r) => setTimeout(r, 50));
      expect(closed).toBe(true);
    });

    it('refuses a declared Content-Length past the limit before reading it', async () => {
      const { client } = await setup(
        (_q, res) => {
          res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
          res.write('x');
        },
        { maxBodyBytes: 1024 },
      );
      const e = await failure(lastValueFrom(client.get('resource-lists')));
      expect(e).toBeInstanceOf(XcapResponseTooLargeError);
    });

    it('times out waiting for headers (phase headers)', async () => {
      const { client } = await setup(() => {}, { timeouts: { headers: 150 } });
      const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapTimeoutError;
      expect(e).toBeInstanceOf(XcapTimeoutError);
      expect(e.phase).toBe('headers');
      expect(e.code).toBe('RXCAP_TIMEOUT');
      expect(isTransient(e)).toBe(true);
    });

    it('times out in the middle of a body (phase body)', async () => {
      const { client } = await setup(
        (_q, res) => {
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
        },
        { timeouts: { body: 150 } },
      );
      const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapTimeoutError;
      expect(e).toBeInstanceOf(XcapTimeoutError);
      expect(e.phase).toBe('body');
    });

    it('enforces the overall timeoutMs (phase overall)', async () => {
      const { client } = await setup(() => {}, { timeoutMs: 150 });
      const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapTimeoutError;
      expect(e).toBeInstanceOf(XcapTimeoutError);
      expect(e.phase).toBe('overall');
      expect(e.timeoutMs).toBe(150);
    });

    it('runs its timers on the injected scheduler (virtual time: a 60 s limit fires at once)', async () => {
      const scheduler = new VirtualTimeScheduler();
      let arrived!: () => void;
      const arrivedP = new Promise<void>((r) => {
        arrived = r;
      });
      const { client } = await setup(() => arrived(), {
        scheduler,
        timeoutMs: 60_000,
        timeouts: { headers: 120_000, body: 120_000 },
      });
      const result = failure(lastValueFrom(client.get('resource-lists')));
      await arrivedP;
      scheduler.maxFrames = 60_000; // run virtual time up to the overall limit only
      scheduler.flush();
      const e = (await result) as XcapTimeoutError;
      expect(e).toBeInstanceOf(XcapTimeoutError);
      expect(e.phase).toBe('overall');
      expect(scheduler.now()).toBe(60_000);
    });

    it('maps connection refused to a transient XcapNetworkError', async () => {
      const s = await startFakeServer(() => {});
      const root = s.root;
      await s.close();
      const client = new XcapClient({ root, xui: XUI, transport });
      const e = (await failure(lastValueFrom(client.get('resource-lists')))) as XcapNetworkError;
      expect(e).toBeInstanceOf(XcapNetworkError);
      expect(e.causeCode).toBe('ECONNREFUSED');
      expect(e.code).toBe('RXCAP_NETWORK');
      expect(isTransient(e)).toBe(true);
    });

    it('unsubscribing aborts the request: the server sees the connection closed', async () => {
      let arrived!: () => void;
      const arrivedP = new Promise<void>((r) => {
        arrived = r;
      });
      let closed!: () => void;
      const closedP = new Promise<void>((r) => {
        closed = r;
      });
      const { client } = await setup((_q, res, raw) => {
        raw.socket.on('close', () => closed());
        res.on('close', () => closed());
        arrived();
      });
      const values: unknown[] = [];
      const errors: unknown[] = [];
      const sub = client.get('resource-lists').subscribe({
        next: (v) => values.push(v),
        error: (e) => errors.push(e),
      });
      await arrivedP;
      sub.unsubscribe();
      await closedP;
      await new Promise((r) => setTimeout(r, 20));
      expect(values).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
});
