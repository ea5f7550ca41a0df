/**
 * The sip.js adapter over sip.js's real UserAgentCore and a FAKE transport. One test per sip.js
 * 0.21 defect (DESIGN §5); each fails if the adapter used the defective sip.js path.
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  NotifyRequest,
  SipDialogPort,
  SubscribeRequest,
  SubscribeResponse,
} from '../../src/sip/dialog-port.js';
import { sipJsDialogPort } from '../../src/sip/sipjs-dialog-port.js';
import { answer, fakeSipTransport, header, notify, type SipText } from './fake-sip-transport.js';

const BODY =
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list/></resource-lists>';
const request = (kind: SubscribeRequest['kind'], expires = 600): SubscribeRequest => ({
  kind,
  event: 'xcap-diff',
  accept: 'application/xcap-diff+xml',
  expires,
  body: { contentType: 'application/resource-lists+xml', content: BODY },
});
const tick = () => new Promise((r) => setTimeout(r, 5));
const cseqOf = (m: SipText) => Number((header(m, 'cseq') ?? '').split(' ')[0]);

let teardown: Subscription | undefined;
afterEach(() => teardown?.unsubscribe());

async function setup(
  target: { transport: 'ws' | 'wss' | 'tcp' | 'tls'; server: string } = {
    transport: 'tcp',
    server: '127.0.0.1:5060',
  },
) {
  const fake = fakeSipTransport();
  const port$ = sipJsDialogPort({
    aor: 'sip:u200@example.com',
    username: 'u200',
    password: 'u200-secret',
    ...target,
    transportConstructor: fake.FakeTransport as never,
  });
  let resolve!: (p: SipDialogPort) => void;
  const ready = new Promise<SipDialogPort>((r) => {
    resolve = r;
  });
  teardown = port$.subscribe(resolve);
  const port = await ready;
  const notifies: NotifyRequest[] = [];
  teardown.add(port.notify$.subscribe((n) => notifies.push(n)));
  const send = (r: SubscribeRequest) => {
    const out: SubscribeResponse[] = [];
    teardown?.add(port.subscribe(r).subscribe((x) => out.push(x)));
    return out;
  };
  /** Initial SUBSCRIBE answered 200 + active NOTIFY: a dialog exists. */
  const establish = async () => {
    const responses = send(request('initial'));
    await tick();
    const sub = fake.requests('SUBSCRIBE').at(-1)!;
    fake.receive(answer(sub, '200 OK', ['Expires: 600']));
    fake.receive(notify(sub, 'active;expires=600'));
    await tick();
    return { sub, responses };
  };
  return { fake, port, notifies, send, establish };
}

describe('sipJsDialogPort over sip.js core (fake transport)', () => {
  it.each([
    ['tcp', '127.0.0.1:5060', false],
    ['tls', '127.0.0.1:5061', true],
    ['ws', 'ws://127.0.0.1/ws', false],
    ['wss', 'wss://127.0.0.1/ws', true],
  ] as const)(
    'a %s port to %s is secure: %s (its NOTIFYs may carry trusted patches)',
    async (transport, server, secure) => {
      const { port } = await setup({ transport, server });
      expect(port.secure).toBe(secure);
    },
  );

  it('sends the initial SUBSCRIBE to the own address with Event, Accept, Expires, Contact and body', async () => {
    const { fake, send } = await setup();
    send(request('initial'));
    await tick();
    const [sub] = fake.requests('SUBSCRIBE');
    expect(sub!.startLine).toBe('SUBSCRIBE sip:u200@example.com SIP/2.0');
    expect(header(sub!, 'event')).toBe('xcap-diff');
    expect(header(sub!, 'accept')).toBe('application/xcap-diff+xml');
    expect(header(sub!, 'expires')).toBe('600');
    expect(header(sub!, 'content-type')).toBe('application/resource-lists+xml');
    expect(header(sub!, 'contact')).toMatch(/^<sip:[^>]+;transport=tcp>$/);
    expect(sub!.body).toBe(BODY);
  });

  it('answers a Digest challenge on the initial SUBSCRIBE', async () => {
    const { fake, send } = await setup();
    const responses = send(request('initial'));
    await tick();
    const [first] = fake.requests('SUBSCRIBE');
    fake.receive(
      answer(first!, '401 Unauthorized', [
        'WWW-Authenticate: Digest realm="example.com", nonce="n1", qop="auth"',
      ]),
    );
    await tick();
    const second = fake.requests('SUBSCRIBE')[1]!;
    expect(header(second, 'authorization')).toMatch(
      /^Digest .*username="u200".*realm="example.com"/,
    );
    expect(header(second, 'authorization')).not.toContain('u200-secret');
    expect(cseqOf(second)).toBe(cseqOf(first!) + 1);
    fake.receive(answer(second, '200 OK', ['Expires: 300']));
    await tick();
    expect(responses).toEqual([{ status: 200, reason: 'OK', expires: 300 }]);
  });

  it('defect 1: a refresh keeps the body and the Accept header (sip.js refresh() drops both)', async () => {
    const { fake, send, establish } = await setup();
    const { sub } = await establish();
    send(request('refresh'));
    await tick();
    const refresh = fake.requests('SUBSCRIBE').at(-1)!;
    expect(header(refresh, 'call-id')).toBe(header(sub, 'call-id'));
    expect(header(refresh, 'to')).toMatch(/;tag=srv1/);
    expect(header(refresh, 'accept')).toBe('application/xcap-diff+xml');
    expect(header(refresh, 'content-type')).toBe('application/resource-lists+xml');
    expect(refresh.body).toBe(BODY);
    expect(cseqOf(refresh)).toBe(cseqOf(sub) + 1);
  });

  it('defect 2: a 423 reaches the caller with Min-Expires (sip.js Subscriber terminates silently)', async () => {
    const { fake, send } = await setup();
    const responses = send(request('initial', 60));
    await tick();
    fake.receive(
      answer(fake.requests('SUBSCRIBE')[0]!, '423 Interval Too Brief', ['Min-Expires: 1800']),
    );
    await tick();
    expect(responses).toEqual([{ status: 423, reason: 'Interval Too Brief', minExpires: 1800 }]);
  });

  it('defect 3: NOTIFYs whose Event has parameters are delivered, initial and in-dialog', async () => {
    const { fake, notifies, send } = await setup();
    send(request('initial'));
    await tick();
    const sub = fake.requests('SUBSCRIBE')[0]!;
    expect(header(sub, 'event')).toBe('xcap-diff');
    fake.receive(answer(sub, '200 OK', ['Expires: 600']));
    fake.receive(
      notify(sub, 'active;expires=600', { event: 'xcap-diff;diff-processing=aggregate' }),
    );
    fake.receive(
      notify(sub, 'active;expires=500', {
        event: 'xcap-diff; diff-processing=aggregate',
        body: '<x/>',
      }),
    );
    await tick();
    expect(notifies.map((n) => [n.state, n.expires, n.body])).toEqual([
      ['active', 600, ''],
      ['active', 500, '<x/>'],
    ]);
    const answers = fake.responses().filter((r) => header(r, 'cseq')?.endsWith('NOTIFY'));
    expect(answers.map((r) => r.startLine)).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
  });

  it('defect 4: after an in-dialog challenge the next request takes a new CSeq (sip.js reuses one)', async () => {
    const { fake, send, establish } = await setup();
    const { sub } = await establish();
    send(request('refresh'));
    await tick();
    const r1 = fake.requests('SUBSCRIBE').at(-1)!;
    fake.receive(
      answer(r1, '401 Unauthorized', [
        'WWW-Authenticate: Digest realm="example.com", nonce="n2", qop="auth"',
      ]),
    );
    await tick();
    const r1b = fake.requests('SUBSCRIBE').at(-1)!;
    expect(header(r1b, 'authorization')).toBeDefined();
    fake.receive(answer(r1b, '200 OK', ['Expires: 600']));
    await tick();
    send(request('unsubscribe', 0));
    await tick();
    const r2 = fake.requests('SUBSCRIBE').at(-1)!;
    expect([cseqOf(r1), cseqOf(r1b), cseqOf(r2)]).toEqual([
      cseqOf(sub) + 1,
      cseqOf(sub) + 2,
      cseqOf(sub) + 3,
    ]);
    expect(header(r2, 'expires')).toBe('0');
  });

  it('defect 5: retry-after is reported in seconds', async () => {
    const { fake, notifies, establish } = await setup();
    const { sub } = await establish();
    fake.receive(notify(sub, 'terminated;reason=giveup;retry-after=30'));
    await tick();
    expect(notifies.at(-1)).toEqual({
      state: 'terminated',
      reason: 'giveup',
      retryAfter: 30,
      body: '',
    });
  });

  it('a new initial SUBSCRIBE forgets the old dialog: its NOTIFYs get 481', async () => {
    const { fake, notifies, send, establish } = await setup();
    const { sub } = await establish();
    send(request('initial'));
    await tick();
    const before = notifies.length;
    fake.receive(notify(sub, 'active;expires=600', { body: '<late/>' }));
    await tick();
    expect(notifies).toHaveLength(before);
    expect(fake.responses().at(-1)!.startLine).toMatch(/^SIP\/2.0 481/);
  });

  it('a lost connection fails the outstanding request with 503 and is reported', async () => {
    const { fake, port, send } = await setup();
    const lost: string[] = [];
    teardown?.add(port.disconnected$?.subscribe((r) => lost.push(r)));
    const out = send(request('initial'));
    await tick();
    fake.drop(new Error('connection reset'));
    expect(out).toEqual([{ status: 503, reason: 'connection reset' }]);
    expect(lost).toEqual(['connection reset']);
  });

  it('fails fast with 481 when asked to refresh without a dialog', async () => {
    const { send } = await setup();
    const out = send(request('refresh'));
    expect(out).toEqual([{ status: 481, reason: 'no subscription dialog' }]);
    expect(
      await firstValueFrom(
        sipJsDialogPort({ aor: 'not a uri', transport: 'ws', server: 'ws://x' }),
      ).catch((e: Error) => e.message),
    ).toMatch(/not a SIP URI/);
  });
});
