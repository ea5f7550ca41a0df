/**
 * whenInSync(): each path on virtual time (TestScheduler), against the in-memory XCAP server of
 * rxcap/testing: it resolves when the manager is in sync with nothing pending, waits through
 * failures a retry may cure, and rejects typed when only the application can help.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { XcapManagerClosedError, XcapStoppedError } from '../../src/manager/errors.js';
import { createXcapManager, type XcapManager } from '../../src/manager.js';
import { Contact } from '../../src/model/contact.js';
import { ContactURI } from '../../src/model/contact-uri.js';
import { memoryStorage } from '../../src/store/memory-storage.js';
import type { AccountSettings } from '../../src/streams/settings.js';
import { createInMemoryXcapServer } from '../../src/testing/index.js';

const XUI = 'sip:alice@example.com';
const account: AccountSettings = {
  id: 'alice@example.com',
  auth: { password: 's3cret' },
  xcap: { root: 'http://xcap.test/xcap-root' },
};
const backoff = { initialDelay: 1_000, maxDelay: 60_000, factor: 2, jitter: 0 };
const bob = () =>
  new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] });

async function advance(ts: TestScheduler, ms: number): Promise<void> {
  const target = ts.now() + ms;
  for (let i = 0; i < 30; i++) {
    ts.maxFrames = target;
    ts.flush();
    await new Promise((r) => setTimeout(r, 0));
  }
  ts.frame = Math.max(ts.frame, target);
}

/** A promise's outcome so far, without an unhandled rejection. */
function track(p: Promise<void>) {
  const t: { settled: 'no' | 'resolved' | 'rejected'; error: unknown } = {
    settled: 'no',
    error: undefined,
  };
  p.then(
    () => {
      t.settled = 'resolved';
    },
    (e: unknown) => {
      t.settled = 'rejected';
      t.error = e;
    },
  );
  return t;
}

function setup(latency = 10) {
  const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
  const server = createInMemoryXcapServer({ users: { [XUI]: 's3cret' }, scheduler: ts, latency });
  const make = (a: AccountSettings | Subject<AccountSettings> = account): XcapManager =>
    createXcapManager({
      account: a,
      storage: memoryStorage(),
      http: server.http,
      sip: server.diff,
      scheduler: ts,
      backoff,
    });
  return { ts, server, make };
}

async function started(ts: TestScheduler, m: XcapManager): Promise<void> {
  const p = m.start();
  await advance(ts, 0);
  await p;
}

describe('whenInSync()', () => {
  it('resolves once an edit is on the server, not before; status$ counts it pending meanwhile', async () => {
    const { ts, server, make } = setup();
    const m = make();
    await started(ts, m);
    await advance(ts, 1_000);
    expect(m.state).toBe('insync');
    m.addContact(bob());
    const wait = track(m.whenInSync());
    await advance(ts, 5);
    expect(wait.settled).toBe('no');
    let pending = -1;
    m.status$.subscribe((s) => {
      pending = s.pending;
    });
    expect(pending).toBe(1);
    await advance(ts, 1_000);
    expect(wait.settled).toBe('resolved');
    expect(pending).toBe(0);
    expect(server.document(XUI, 'resource-lists')?.body).toContain('sip:bob@example.com');
    await m.close();
  });

  it('resolves at once when in sync with nothing pending', async () => {
    const { ts, make } = setup();
    const m = make();
    await started(ts, m);
    await advance(ts, 1_000);
    await expect(m.whenInSync()).resolves.toBeUndefined();
    await m.close();
  });

  it('keeps waiting through failures a retry may cure (503s), then resolves', async () => {
    const { ts, server, make } = setup();
    const m = make();
    server.failNext(503, 4);
    await started(ts, m);
    const wait = track(m.whenInSync());
    await advance(ts, 5_000);
    expect(wait.settled).toBe('no');
    await advance(ts, 20_000);
    expect(wait.settled).toBe('resolved');
    await m.close();
  });

  it('rejects with XcapStoppedError when the manager is not started, and when stop() comes first', async () => {
    const { ts, make } = setup();
    const m = make();
    await expect(m.whenInSync()).rejects.toBeInstanceOf(XcapStoppedError);
    await started(ts, m);
    const wait = track(m.whenInSync());
    const stopped = m.stop();
    await advance(ts, 10_000);
    await stopped;
    expect(wait.settled).toBe('rejected');
    expect(wait.error).toMatchObject({ code: 'RXCAP_STOPPED' });
    await m.close();
  });

  it('rejects with XcapManagerClosedError when closed while waiting, and after close()', async () => {
    const { ts, make } = setup();
    const m = make();
    await started(ts, m);
    const wait = track(m.whenInSync());
    const closed = m.close();
    await advance(ts, 10_000);
    await closed;
    expect(wait.error).toBeInstanceOf(XcapManagerClosedError);
    await expect(m.whenInSync()).rejects.toBeInstanceOf(XcapManagerClosedError);
  });

  it('rejects with the settings error when the account stream ends without a value', async () => {
    const { ts, make } = setup();
    const settings$ = new Subject<AccountSettings>();
    const m = make(settings$);
    const start = track(m.start());
    const wait = track(m.whenInSync());
    settings$.complete();
    await advance(ts, 0);
    expect(start.settled).toBe('rejected');
    expect(wait.error).toMatchObject({ code: 'RXCAP_SETTINGS' });
    await m.close();
  });

  it('counts the edits made before the store is loaded as pending, and waits for them', async () => {
    const { ts, server, make } = setup();
    const m = make();
    m.addContact(bob());
    let pending = -1;
    m.status$.subscribe((s) => {
      pending = s.pending;
    });
    expect(pending).toBe(1);
    const p = m.start();
    const wait = track(m.whenInSync());
    await advance(ts, 0);
    await p;
    await advance(ts, 1_000);
    expect(wait.settled).toBe('resolved');
    expect(pending).toBe(0);
    expect(server.document(XUI, 'resource-lists')?.body).toContain('sip:bob@example.com');
    await m.close();
  });
});
