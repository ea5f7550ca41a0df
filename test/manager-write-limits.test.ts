/**
 * Write only what every reader can read: a transaction importing 25,000 contacts once PUT a
 * 20.7 MB resource-lists document that the server accepted and that every reader (the writer
 * too, after a restart) refused. Now the addContact that would pass the limit throws
 * XcapWriteLimitError, nothing of it is journaled, and what is written parses again. A fake
 * XCAP server (in memory) records the PUTs.
 */
import { filter, firstValueFrom, type Observable, of, throwError, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { XcapHttpError } from '../src/client/errors.js';
import { parseXml } from '../src/codecs/xml/parse.js';
import { WRITE_LIMITS, XcapWriteLimitError } from '../src/journal/index.js';
import { createXcapManager } from '../src/manager.js';
import { Contact, ContactURI, EventHandling } from '../src/model/index.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { DiffPort, XcapHttp } from '../src/streams/ports.js';

const ID = 'sip:alice@example.com';
const CAPS =
  '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids><auid>resource-lists</auid>' +
  '<auid>rls-services</auid><auid>pres-rules</auid></auids><extensions/><namespaces/></xcap-caps>';

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 60_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

describe('manager: write limits (fake XCAP server)', () => {
  it('a 25,000-contact import stops at the limit: the edit that passes it is refused, what is PUT parses', {
    timeout: 120_000,
  }, async () => {
    const server = new Map<string, string>();
    const puts: { auid: string; bytes: number }[] = [];
    const http: XcapHttp = {
      get: (auid) => {
        if (auid === 'xcap-caps') return of({ status: 200, etag: 'c', body: CAPS });
        const body = server.get(auid);
        if (body === undefined)
          return throwError(
            () =>
              new XcapHttpError({ status: 404, url: auid, method: 'GET', headers: {}, body: '' }),
          );
        return of({ status: 200, etag: `${auid}-${body.length}`, body });
      },
      put: (auid, body) => {
        server.set(auid, body);
        puts.push({ auid, bytes: Buffer.byteLength(body) });
        return of({ status: 200, etag: `${auid}-${body.length}` });
      },
      delete: () => throwError(() => new Error('fake: not used')),
    };
    const sip: DiffPort = { watch: () => of({ type: 'state', state: 'unavailable' }) };
    const storage = memoryStorage();
    const m = createXcapManager({
      account: { id: ID, auth: { password: 'pw' }, xcap: { root: 'http://xcap.test/xcap-root' } },
      storage,
      http: () => http,
      sip,
    });
    await m.start();
    await wait(m.state$, (s) => s.state === 'insync');
    const everyone = new EventHandling('allow', true);
    let added = 0;
    let refused: unknown;
    // transaction(fn) is all-or-nothing: the import catches the refusal inside it, so the
    // contacts accepted before the limit are committed together.
    m.transaction(() => {
      try {
        for (let i = 0; i < 25_000; i++) {
          m.addContact(
            new Contact({
              id: `c${i}`,
              name: `Contact number ${i} of the imported address book`,
              uris: [new ContactURI({ id: `u${i}`, uri: `sip:user${i}@example.com`, type: 'SIP' })],
              presence: everyone,
              dialog: everyone,
              attributes: { source: 'import' },
            }),
          );
          added++;
        }
      } catch (e) {
        refused = e;
      }
    });
    expect(refused).toBeInstanceOf(XcapWriteLimitError);
    expect(refused).toMatchObject({ limit: 'maxBytes', document: 'resource-lists' });
    expect((refused as Error).message).toContain('maxBytes');
    // Small contacts: some 19,000 fit (a batch appends in place: 3,350 large contacts stood in
    // for them while applying a batch was quadratic).
    expect(added).toBeGreaterThan(15_000);
    expect(added).toBeLessThan(25_000);
    // What the transaction held syncs, and every reader can read it back.
    const book = await wait(m.addressbook$, (b) => b.contacts.length === added);
    expect(book.contacts.some((c) => c.id === `c${added}`)).toBe(false);
    await wait(m.state$, (s) => s.state === 'insync');
    await m.stop();
    const rl = puts.filter((p) => p.auid === 'resource-lists').at(-1)!;
    console.log(
      `imported ${added} of 25000 contacts; resource-lists PUT ${rl.bytes} bytes (limit ${WRITE_LIMITS.maxBytes})`,
    );
    expect(rl.bytes).toBeLessThanOrEqual(WRITE_LIMITS.maxBytes);
    // Within 10% of the limit: the estimate does not refuse far below it.
    expect(rl.bytes).toBeGreaterThan(WRITE_LIMITS.maxBytes * 0.9);
    expect(() => parseXml(server.get('resource-lists')!)).not.toThrow();
  });
});
