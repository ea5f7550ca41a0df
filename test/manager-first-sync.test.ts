/**
 * A manager's first sync of documents python3-sipsimple wrote writes nothing back when they
 * hold items rxcap keeps as written: a dangling `uris/@default`, a `uri=""` contact URI, and
 * anchors under another spelling of the XCAP root. A fake XCAP server (in memory, the fixture's
 * documents) records every request.
 */
import { filter, firstValueFrom, type Observable, of, throwError, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { XcapHttpError } from '../src/client/errors.js';
import { createXcapManager } from '../src/manager.js';
import { memoryStorage } from '../src/store/memory-storage.js';
import type { DiffPort, XcapHttp } from '../src/streams/ports.js';
import { fixtureXml } from './journal/fixture-helpers.js';
import { withDanglingDefault, withEmptyUri } from './journal/foreign-fixtures.js';

const ID = 'sip:alice@example.com';
const AUIDS = {
  'resource-lists': 'resource-lists',
  'rls-services': 'rls-services',
  'org.openmobilealliance.pres-rules': 'pres-rules',
  'org.openxcap.dialog-rules': 'dialog-rules',
  'pidf-manipulation': 'pidf-manipulation',
  'org.openmobilealliance.pres-content': 'pres-content',
} as const;
const CAPS = `<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids>${Object.keys(AUIDS)
  .map((a) => `<auid>${a}</auid>`)
  .join('')}</auids><extensions/><namespaces/></xcap-caps>`;

function wait<T>(o: Observable<T>, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  return firstValueFrom(o.pipe(filter(pred), timeout(ms)));
}

/** Syncs a manager whose root is spelled `root` against the fixture (resource-lists replaced). */
async function firstSync(root: string, resourceLists: string) {
  const writes: string[] = [];
  const body = (auid: keyof typeof AUIDS) =>
    auid === 'resource-lists' ? resourceLists : fixtureXml(AUIDS[auid]);
  const http: XcapHttp = {
    get: (auid) => {
      if (auid === 'xcap-caps') return of({ status: 200, etag: 'c', body: CAPS });
      if (!(auid in AUIDS))
        return throwError(
          () => new XcapHttpError({ status: 404, url: auid, method: 'GET', headers: {}, body: '' }),
        );
      return of({ status: 200, etag: `${auid}-1`, body: body(auid as keyof typeof AUIDS) });
    },
    put: (auid) => {
      writes.push(`PUT ${auid}`);
      return of({ status: 200, etag: 'w' });
    },
    delete: (auid) => {
      writes.push(`DELETE ${auid}`);
      return of({ status: 200, etag: null });
    },
  };
  const sip: DiffPort = { watch: () => of({ type: 'state', state: 'unavailable' }) };
  const m = createXcapManager({
    account: { id: ID, auth: { password: 'pw' }, xcap: { root } },
    storage: memoryStorage(),
    http: () => http,
    sip,
  });
  const errors: string[] = [];
  m.error$.subscribe((e) => errors.push(e.code));
  await m.start();
  const book = await wait(m.addressbook$, (b) => b.contacts.length > 0);
  await wait(m.state$, (s) => s.state === 'insync');
  await m.stop();
  return { writes, errors, book };
}

describe('first sync of documents another client wrote (fake XCAP server)', () => {
  it('a dangling uris/@default: nothing is PUT', async () => {
    const r = await firstSync('http://127.0.0.1:5080/xcap-root', withDanglingDefault());
    expect(r.writes).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.book.contacts.find((c) => c.name === 'Bob Smith')?.defaultUri).toBeNull();
  });

  it('a contact URI with uri="": nothing is PUT', async () => {
    const r = await firstSync('http://127.0.0.1:5080/xcap-root', withEmptyUri());
    expect(r.writes).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('anchors written under another spelling of the XCAP root: nothing is PUT', async () => {
    const r = await firstSync('http://localhost:5080/xcap-root', fixtureXml('resource-lists'));
    expect(r.writes).toEqual([]);
    expect(r.errors).toEqual([]);
  });
});
