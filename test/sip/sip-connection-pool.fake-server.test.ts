/**
 * Accounts sharing one SIP connection (sipConnectionPool) over sip.js's real cores and a FAKE
 * SIP server transport: one connection for many accounts, NOTIFYs routed by dialog (Call-ID,
 * then sip.js's tag match), never by what a message claims in its Request-URI, To or body.
 */
import { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  NotifyRequest,
  SipDialogPort,
  SubscribeRequest,
  SubscribeResponse,
} from '../../src/sip/dialog-port.js';
import { sipConnectionPool, strayReply } from '../../src/sip/sip-connection-pool.js';
import { sipJsDialogPort } from '../../src/sip/sipjs-dialog-port.js';
import {
  answer,
  fakeSipTransport,
  header,
  notify,
  parseSip,
  type SipText,
} from './fake-sip-transport.js';

const BODY =
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list/></resource-lists>';
const initial: SubscribeRequest = {
  kind: 'initial',
  event: 'xcap-diff',
  accept: 'application/xcap-diff+xml',
  expires: 600,
  body: { contentType: 'application/resource-lists+xml', content: BODY },
};
const tick = () => new Promise((r) => setTimeout(r, 5));

let teardown = new Subscription();
afterEach(() => {
  teardown.unsubscribe();
  teardown = new Subscription();
});

/** A fake SIP server's end of every connection the pool opens, counted. */
function fakeServer() {
  const fake = fakeSipTransport();
  let constructed = 0;
  class CountedTransport extends fake.FakeTransport {
    constructor() {
      super();
      constructed++;
    }
  }
  return { ...fake, CountedTransport, constructed: () => constructed };
}

interface Account {
  readonly port: SipDialogPort;
  readonly notifies: NotifyRequest[];
  readonly lost: string[];
  subscribe(): SubscribeResponse[];
  readonly subscription: Subscription;
}

async function account(
  user: string,
  transportConstructor: ReturnType<ReturnType<typeof sipConnectionPool>['transportFor']>,
): Promise<Account> {
  const port$ = sipJsDialogPort({
    aor: `sip:${user}@example.com`,
    username: user,
    password: `${user}-secret`,
    transport: 'tcp',
    server: '127.0.0.1:5060',
    transportConstructor,
  });
  const subscription = new Subscription();
  teardown.add(subscription);
  const port = await new Promise<SipDialogPort>((resolve, reject) =>
    subscription.add(port$.subscribe({ next: resolve, error: reject })),
  );
  const notifies: NotifyRequest[] = [];
  const lost: string[] = [];
  subscription.add(port.notify$.subscribe((n) => notifies.push(n)));
  subscription.add(port.disconnected$!.subscribe((r) => lost.push(r)));
  return {
    port,
    notifies,
    lost,
    subscription,
    subscribe: () => {
      const out: SubscribeResponse[] = [];
      subscription.add(port.subscribe(initial).subscribe((r) => out.push(r)));
      return out;
    },
  };
}

/** The SUBSCRIBE the server got from `user`. */
const subscribeOf = (server: ReturnType<typeof fakeServer>, user: string): SipText =>
  server.requests('SUBSCRIBE').find((m) => m.startLine.includes(`sip:${user}@`))!;

const diffBody = (user: string) =>
  `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/xcap-root/"><document sel="resource-lists/users/sip:${user}@example.com/index" new-etag="e2"/></xcap-diff>`;

async function twoAccounts(options: Parameters<typeof sipConnectionPool>[0] = {}) {
  const server = fakeServer();
  const pool = sipConnectionPool(options);
  const ctor = pool.transportFor(server.CountedTransport as never, 'tcp|127.0.0.1:5060');
  const a = await account('u001', ctor);
  const b = await account('u002', ctor);
  a.subscribe();
  b.subscribe();
  await tick();
  const subA = subscribeOf(server, 'u001');
  const subB = subscribeOf(server, 'u002');
  server.receive(answer(subA, '200 OK', ['Expires: 600']));
  server.receive(answer(subB, '200 OK', ['Expires: 600']));
  server.receive(notify(subA, 'active;expires=600'));
  server.receive(notify(subB, 'active;expires=600'));
  await tick();
  return { server, pool, ctor, a, b, subA, subB };
}

describe('sipConnectionPool (fake SIP server)', () => {
  it('two accounts subscribe over one connection, each with its own credentials and dialog', async () => {
    const { server, pool, a, b, subA, subB } = await twoAccounts();
    expect(server.constructed()).toBe(1);
    expect(pool.stats()).toEqual({ open: 1, opened: 1, accounts: 2, strayRequests: 0 });
    expect(header(subA, 'call-id')).not.toBe(header(subB, 'call-id'));
    expect(a.notifies.map((n) => n.state)).toEqual(['active']);
    expect(b.notifies.map((n) => n.state)).toEqual(['active']);
  });

  it("a NOTIFY in one account's dialog reaches that account only, whatever its To or body claims", async () => {
    const { server, a, b, subB } = await twoAccounts();
    // In u002's dialog (its Call-ID and tags) but addressed to u001 and about u001's documents.
    const hostile = notify(subB, 'active;expires=600', { body: diffBody('u001') }).replace(
      /\r\nTo: <[^>]+>/,
      '\r\nTo: <sip:u001@example.com>',
    );
    server.receive(hostile);
    await tick();
    expect(a.notifies).toHaveLength(1);
    expect(b.notifies).toHaveLength(2);
  });

  it("a NOTIFY with one account's Call-ID but other tags is refused with 481 and reaches nobody", async () => {
    const { server, a, b, subA } = await twoAccounts();
    const forged = notify(subA, 'active;expires=600', { body: diffBody('u001') }).replace(
      /\r\nTo: (<[^>]+>);tag=[^\r\n]+/,
      '\r\nTo: $1;tag=guessed',
    );
    server.receive(forged);
    await tick();
    expect(a.notifies).toHaveLength(1);
    expect(b.notifies).toHaveLength(1);
    expect(server.responses().at(-1)!.startLine).toBe(
      'SIP/2.0 481 Call/Transaction Does Not Exist',
    );
  });

  it('a request of a dialog no account has gets 481 from the pool, at a bounded rate', async () => {
    let clock = 0;
    const { server, pool, a, b, subA } = await twoAccounts({
      strayAnswersPerSecond: 3,
      now: () => clock,
    });
    const before = server.responses().length;
    const stray = (n: number) =>
      notify(subA, 'active', { body: diffBody('u001') }).replace(
        /\r\nCall-ID: [^\r\n]+/,
        `\r\nCall-ID: unknown-${n}`,
      );
    for (let i = 0; i < 10; i++) server.receive(stray(i));
    await tick();
    const answered = server.responses().slice(before);
    expect(answered).toHaveLength(3);
    expect(answered[0]!.startLine).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
    expect(header(answered[0]!, 'call-id')).toBe('unknown-0');
    clock = 1000;
    server.receive(stray(10));
    await tick();
    expect(server.responses().slice(before)).toHaveLength(4);
    expect(pool.stats().strayRequests).toBe(11);
    expect(a.notifies).toHaveLength(1);
    expect(b.notifies).toHaveLength(1);
  });

  it('a lost connection is reported to every account on it, and the next account opens a new one', async () => {
    const { server, pool, ctor, a, b } = await twoAccounts();
    server.drop(new Error('reset by peer'));
    await tick();
    expect(a.lost).toEqual(['reset by peer']);
    expect(b.lost).toEqual(['reset by peer']);
    expect(pool.stats().accounts).toBe(0);
    a.subscription.unsubscribe();
    b.subscription.unsubscribe();
    const c = await account('u003', ctor);
    c.subscribe();
    await tick();
    expect(server.constructed()).toBe(2);
    expect(pool.stats()).toMatchObject({ opened: 2, accounts: 1 });
  });

  it('past maxPerConnection accounts, the next account opens a second connection', async () => {
    const server = fakeServer();
    const pool = sipConnectionPool({ maxPerConnection: 2 });
    const ctor = pool.transportFor(server.CountedTransport as never, 'tcp|127.0.0.1:5060');
    await account('u001', ctor);
    await account('u002', ctor);
    expect(server.constructed()).toBe(1);
    await account('u003', ctor);
    expect(server.constructed()).toBe(2);
    expect(pool.stats()).toMatchObject({ open: 2, accounts: 3 });
  });

  it('the connection closes when its last account lets go, not before', async () => {
    const { pool, a, b } = await twoAccounts();
    a.subscription.unsubscribe();
    await tick();
    expect(pool.stats()).toMatchObject({ open: 1, accounts: 1 });
    b.subscription.unsubscribe();
    await tick();
    expect(pool.stats()).toMatchObject({ open: 0, accounts: 0 });
  });

  it('an account that starts a new subscription (new Call-ID) keeps a bounded list of its Call-IDs', async () => {
    const server = fakeServer();
    const pool = sipConnectionPool({ callIdsPerAccount: 2 });
    const ctor = pool.transportFor(server.CountedTransport as never, 'tcp|127.0.0.1:5060');
    const a = await account('u001', ctor);
    for (let i = 0; i < 4; i++) a.subscribe();
    await tick();
    const subs = server.requests('SUBSCRIBE');
    expect(new Set(subs.map((s) => header(s, 'call-id'))).size).toBe(4);
    const before = pool.stats().strayRequests;
    // The first dialog's late NOTIFY is no longer routed: the pool answers it.
    server.receive(notify(subs[0]!, 'terminated'));
    await tick();
    expect(pool.stats().strayRequests).toBe(before + 1);
  });
});

describe('strayReply', () => {
  it('copies Via (all), From, Call-ID and CSeq and adds a To tag', () => {
    const head = [
      'NOTIFY sip:x@h SIP/2.0',
      'Via: SIP/2.0/TCP a;branch=z9hG4bK1',
      'v: SIP/2.0/TCP b;branch=z9hG4bK2',
      'f: <sip:s@h>;tag=1',
      't: <sip:x@h>',
      'i: abc',
      'CSeq: 7 NOTIFY',
    ].join('\r\n');
    const reply = parseSip(strayReply(head)!);
    expect(reply.startLine).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
    expect(reply.headers.filter(([n]) => n === 'via' || n === 'v')).toHaveLength(2);
    expect(header(reply, 't')).toBe('<sip:x@h>;tag=rxcap-stray');
    expect(header(reply, 'i')).toBe('abc');
    expect(header(reply, 'cseq')).toBe('7 NOTIFY');
  });

  it('gives nothing for a request without the headers a response needs', () => {
    expect(strayReply('NOTIFY sip:x@h SIP/2.0\r\nCall-ID: a')).toBeUndefined();
  });
});
