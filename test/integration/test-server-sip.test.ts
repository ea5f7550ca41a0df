/**
 * Proves the SIP side of the Kamailio test server (test-server/README.md, "xcap-diff"): a
 * SUBSCRIBE to the user's own `xcap-diff` event package (RFC 5875), Digest-authenticated with
 * the XCAP credentials, gets the initial NOTIFY, and every successful XCAP PUT or DELETE then
 * sends a NOTIFY whose RFC 5874 body names the document with its ETags. The SIP client here is a
 * deliberately tiny raw one (UDP, TCP and WebSocket framing only): the library's sip.js
 * subscriber is tested elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { request, WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  documentUrl,
  poolUser,
  type TestUser,
  testServer,
  wipeUserDocuments,
} from '../support/test-server.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const token = (): string => randomBytes(6).toString('hex');

interface SipMessage {
  readonly startLine: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

function parseSip(text: string): SipMessage {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers = lines.map((l): readonly [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  });
  return { startLine, headers, body };
}

function hdr(m: SipMessage, name: string): string | undefined {
  return m.headers.find(([n]) => n === name)?.[1];
}

/** Splits a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). */
function tcpFramer(onMessage: (text: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('utf8');
    for (;;) {
      buffer = buffer.replace(/^(\r\n)+/, '');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(
        /\r\ncontent-length:\s*(\d+)/i.exec(buffer.slice(0, end + 2))?.[1] ?? '0',
      );
      if (buffer.length < end + 4 + length) return;
      onMessage(buffer.slice(0, end + 4 + length));
      buffer = buffer.slice(end + 4 + length);
    }
  };
}

type Transport = 'udp' | 'tcp' | 'ws';

/** A minimal SIP subscriber: one dialog, answers every NOTIFY with 200, queues what arrives. */
class RawSubscriber {
  private readonly queue: SipMessage[] = [];
  private waiter: (() => void) | undefined;
  private send: (text: string) => void = () => {};
  private close: () => void = () => {};
  private localPort = 0;
  readonly callId = `${token()}@rxcap.test`;
  private readonly fromTag = token();
  private cseq = 0;
  private toTag = '';
  private routeUri = '';

  constructor(
    private readonly transport: Transport,
    private readonly user: TestUser,
    /** Optional RFC 5875 §4.2 SUBSCRIBE body (a resource-lists document naming the documents). */
    private readonly body = '',
  ) {}

  async open(): Promise<void> {
    const env = testServer();
    const [host = '127.0.0.1', portText = '5060'] =
      env.sip[this.transport === 'udp' ? 'udp' : 'tcp'].split(':');
    const port = Number(portText);
    const deliver = (text: string): void => this.receive(text);
    if (this.transport === 'udp') {
      const socket: UdpSocket = createSocket('udp4');
      socket.on('message', (b) => deliver(b.toString('utf8')));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      this.localPort = socket.address().port;
      this.send = (text) => socket.send(text, port, host);
      this.close = () => socket.close();
    } else if (this.transport === 'tcp') {
      const socket: TcpSocket = connect({ host, port });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.on('data', tcpFramer(deliver));
      this.localPort = socket.localPort ?? 0;
      this.send = (text) => socket.write(text);
      this.close = () => socket.destroy();
    } else {
      const ws = new WebSocket(env.sip.ws, 'sip');
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener('open', () => resolve());
        ws.addEventListener('error', () => reject(new Error(`WebSocket ${env.sip.ws} failed`)));
      });
      ws.addEventListener('message', (e) =>
        deliver(
          typeof e.data === 'string' ? e.data : Buffer.from(e.data as ArrayBuffer).toString('utf8'),
        ),
      );
      this.send = (text) => ws.send(text);
      this.close = () => ws.close();
    }
  }

  private get via(): string {
    const proto = this.transport.toUpperCase();
    const sentBy = this.transport === 'ws' ? 'rxcap-test.invalid' : `127.0.0.1:${this.localPort}`;
    return `SIP/2.0/${proto} ${sentBy};branch=z9hG4bK${token()};rport`;
  }

  private get contact(): string {
    return this.transport === 'ws'
      ? `<sip:${this.user.username}@rxcap-test.invalid;transport=ws>`
      : `<sip:${this.user.username}@127.0.0.1:${this.localPort};transport=${this.transport}>`;
  }

  private receive(text: string): void {
    const m = parseSip(text);
    if (process.env.RXCAP_SIP_DEBUG) console.log(`<<< ${this.transport}\n${text}`);
    if (m.startLine.startsWith('NOTIFY ')) {
      // RFC 6665 §4.1.3: every NOTIFY in the dialog gets a 2xx.
      const copy = ['via', 'from', 'to', 'call-id', 'cseq']
        .flatMap((n) => m.headers.filter(([h]) => h === n).map(([h, v]) => `${h}: ${v}`))
        .join('\r\n');
      this.send(`SIP/2.0 200 OK\r\n${copy}\r\nContent-Length: 0\r\n\r\n`);
    }
    this.queue.push(m);
    this.waiter?.();
  }

  /** Next message matching `pred` (earlier non-matching ones are dropped), or a timeout error. */
  async next(pred: (m: SipMessage) => boolean, timeoutMs = 2000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) return this.queue.splice(0, i + 1)[i] as SipMessage;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching SIP message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private subscribeText(expires: number, authorization?: string): string {
    const env = testServer();
    const ruri = this.routeUri || this.user.id;
    this.cseq += 1;
    return [
      `SUBSCRIBE ${ruri} SIP/2.0`,
      `Via: ${this.via}`,
      'Max-Forwards: 70',
      `From: <${this.user.id}>;tag=${this.fromTag}`,
      `To: <${this.user.id}>${this.toTag ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq} SUBSCRIBE`,
      `Contact: ${this.contact}`,
      // RFC 5875 §4.4: the parameter the server must cope with (it is stripped there).
      'Event: xcap-diff;diff-processing=no-patching',
      'Accept: application/xcap-diff+xml',
      `Expires: ${expires}`,
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      `User-Agent: rxcap-test (${env.domain})`,
      ...(this.body ? ['Content-Type: application/resource-lists+xml'] : []),
      `Content-Length: ${Buffer.byteLength(this.body)}`,
      '',
      this.body,
    ].join('\r\n');
  }

  /** SUBSCRIBE, answering the Digest challenge; resolves with the final response. */
  async subscribe(expires = 600): Promise<SipMessage> {
    const isResponse = (m: SipMessage): boolean =>
      m.startLine.startsWith('SIP/2.0 ') && !/^SIP\/2\.0 1\d\d/.test(m.startLine);
    this.send(this.subscribeText(expires));
    let answer = await this.next(isResponse);
    if (answer.startLine.startsWith('SIP/2.0 401')) {
      const challenge = hdr(answer, 'www-authenticate') ?? '';
      this.send(
        this.subscribeText(
          expires,
          this.digest(challenge, 'SUBSCRIBE', this.routeUri || this.user.id),
        ),
      );
      answer = await this.next(isResponse);
    }
    const toTag = /;tag=([^;>\s]+)/.exec(hdr(answer, 'to') ?? '')?.[1];
    if (toTag && !this.toTag) {
      this.toTag = toTag;
      this.routeUri = /<([^>]+)>/.exec(hdr(answer, 'contact') ?? '')?.[1] ?? '';
    }
    return answer;
  }

  private digest(challenge: string, method: string, uri: string): string {
    const param = (name: string): string =>
      new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1] ?? '';
    const realm = param('realm');
    const nonce = param('nonce');
    const cnonce = token();
    const nc = '00000001';
    const ha1 = md5(`${this.user.username}:${realm}:${this.user.password}`);
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${uri}`)}`);
    return `Digest username="${this.user.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
  }

  /** Ends the subscription (RFC 6665 §4.1.2.3: in-dialog SUBSCRIBE with Expires: 0). */
  async unsubscribe(): Promise<SipMessage> {
    return this.subscribe(0);
  }

  shutdown(): void {
    this.close();
  }
}

/** Subscriptions the server holds for a Call-ID (read straight from its sqlite database). */
function watcherRows(callId: string): number {
  const out = execFileSync('sqlite3', [
    '-cmd',
    '.timeout 5000',
    testServer().dbFile,
    `SELECT count(*) FROM active_watchers WHERE callid = '${callId.replaceAll("'", "''")}';`,
  ]);
  return Number(out.toString().trim());
}

const isNotify = (m: SipMessage): boolean => m.startLine.startsWith('NOTIFY ');

/** Digest PUT/DELETE over XCAP (same tiny Digest as the XCAP test). */
async function xcap(
  user: TestUser,
  method: 'PUT' | 'DELETE',
  url: string,
  body?: string,
): Promise<{ status: number; etag: string }> {
  const go = async (authorization?: string) => {
    const res = await request(url, {
      method,
      headers: {
        'content-type': 'application/resource-lists+xml',
        ...(authorization ? { authorization } : {}),
      },
      ...(body === undefined ? {} : { body }),
    });
    await res.body.text();
    return res;
  };
  let res = await go();
  if (res.statusCode === 401) {
    const challenge = String(res.headers['www-authenticate'] ?? '');
    const param = (name: string): string =>
      new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1] ?? '';
    const path = new URL(url).pathname;
    const cnonce = token();
    const ha1 = md5(`${user.username}:${param('realm')}:${user.password}`);
    const response = md5(
      `${ha1}:${param('nonce')}:00000001:${cnonce}:auth:${md5(`${method}:${path}`)}`,
    );
    res = await go(
      `Digest username="${user.username}", realm="${param('realm')}", nonce="${param('nonce')}", uri="${path}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}"`,
    );
  }
  return { status: res.statusCode, etag: String(res.headers.etag ?? '') };
}

const doc = (n: number): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="n${n}"/></resource-lists>`;

describe.each<[Transport, number]>([
  ['udp', 590],
  ['tcp', 591],
  ['ws', 592],
])('xcap-diff NOTIFY over %s', (transport, poolNumber) => {
  const user = poolUser(poolNumber);
  let sub: RawSubscriber | undefined;

  afterEach(() => {
    sub?.shutdown();
    sub = undefined;
    wipeUserDocuments(user);
  });

  it('notifies a PUT and a DELETE of the user’s document with its ETags', async () => {
    wipeUserDocuments(user);
    const env = testServer();
    sub = new RawSubscriber(transport, user);
    await sub.open();
    const answer = await sub.subscribe();
    expect(answer.startLine).toMatch(/^SIP\/2\.0 20[02] /);
    const first = await sub.next(isNotify);
    expect(hdr(first, 'event')).toMatch(/^xcap-diff/);
    expect(hdr(first, 'subscription-state')).toMatch(/^active/);
    // The user has no documents: the initial xcap-diff lists none.
    expect(hdr(first, 'content-type')).toBe('application/xcap-diff+xml');
    expect(first.body).toContain(`xcap-root="${env.xcapRoot}/"`);
    expect(first.body).not.toContain('<document');

    const url = documentUrl(user, 'resource-lists');
    const sel = `resource-lists/users/${user.id}/index`;
    const put = await xcap(user, 'PUT', url, doc(1));
    expect(put.status).toBe(200);
    const created = await sub.next(isNotify);
    expect(hdr(created, 'content-type')).toBe('application/xcap-diff+xml');
    expect(created.body).toContain(`xcap-root="${env.xcapRoot}/"`);
    expect(created.body).toContain(
      `<document sel="${sel}" new-etag="${put.etag.replaceAll('"', '')}"/>`,
    );

    const put2 = await xcap(user, 'PUT', url, doc(2));
    const changed = await sub.next(isNotify);
    expect(changed.body).toContain(
      `<document sel="${sel}" previous-etag="${put.etag.replaceAll('"', '')}" new-etag="${put2.etag.replaceAll('"', '')}"/>`,
    );

    const del = await xcap(user, 'DELETE', url);
    expect(del.status).toBe(200);
    const deleted = await sub.next(isNotify);
    expect(deleted.body).toContain(
      `<document sel="${sel}" previous-etag="${put2.etag.replaceAll('"', '')}"/>`,
    );

    const bye = await sub.unsubscribe();
    expect(bye.startLine).toMatch(/^SIP\/2\.0 20[02] /);
    const last = await sub.next(isNotify);
    expect(hdr(last, 'subscription-state')).toMatch(/^terminated/);
  });
});

describe('xcap-diff SUBSCRIBE authorization', () => {
  it('refuses a SUBSCRIBE to another user’s documents', async () => {
    const env = testServer();
    const bob = env.users.bob;
    // Authenticate as bob, subscribe to alice: the raw client subscribes to its own user id,
    // so impersonate by giving bob's credentials with alice's id.
    const sub = new RawSubscriber('udp', {
      ...env.users.alice,
      username: bob.username,
      password: bob.password,
    });
    await sub.open();
    try {
      const answer = await sub.subscribe();
      expect(answer.startLine).toMatch(/^SIP\/2\.0 403 /);
    } finally {
      sub.shutdown();
    }
  });

  it('refuses wrong credentials', async () => {
    const alice = testServer().users.alice;
    const sub = new RawSubscriber('udp', { ...alice, password: 'not-it' });
    await sub.open();
    try {
      const answer = await sub.subscribe();
      expect(answer.startLine).toMatch(/^SIP\/2\.0 401 /);
    } finally {
      sub.shutdown();
    }
  });
});

describe('xcap-diff subscriptions that end badly', () => {
  it('keeps notifying a WebSocket subscriber after another one vanished without unsubscribing', async () => {
    const user = poolUser(593);
    wipeUserDocuments(user);
    const gone = new RawSubscriber('ws', user);
    await gone.open();
    expect((await gone.subscribe()).startLine).toMatch(/^SIP\/2\.0 20[02] /);
    await gone.next(isNotify);
    expect(watcherRows(gone.callId)).toBe(1);
    // Closed without an unsubscribe: the server must drop that subscription, else building its
    // NOTIFY fails and the presence module skips the remaining watchers.
    gone.shutdown();
    for (let i = 0; i < 20 && watcherRows(gone.callId) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(watcherRows(gone.callId)).toBe(0);

    const sub = new RawSubscriber('ws', user);
    try {
      await sub.open();
      expect((await sub.subscribe()).startLine).toMatch(/^SIP\/2\.0 20[02] /);
      await sub.next(isNotify);
      const put = await xcap(user, 'PUT', documentUrl(user, 'resource-lists'), doc(3));
      expect(put.status).toBe(200);
      const notify = await sub.next(isNotify);
      expect(notify.body).toContain(`new-etag="${put.etag.replaceAll('"', '')}"`);
      await sub.unsubscribe();
    } finally {
      sub.shutdown();
      wipeUserDocuments(user);
    }
  });

  it('accepts an RFC 5875 SUBSCRIBE body listing the documents', async () => {
    const user = poolUser(594);
    wipeUserDocuments(user);
    const list = `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="resource-lists/users/${user.id}/index"/></list></resource-lists>`;
    const sub = new RawSubscriber('tcp', user, list);
    try {
      await sub.open();
      expect((await sub.subscribe()).startLine).toMatch(/^SIP\/2\.0 20[02] /);
      await sub.next(isNotify);
      const put = await xcap(user, 'PUT', documentUrl(user, 'resource-lists'), doc(4));
      const notify = await sub.next(isNotify);
      expect(notify.body).toContain(`new-etag="${put.etag.replaceAll('"', '')}"`);
      await sub.unsubscribe();
    } finally {
      sub.shutdown();
      wipeUserDocuments(user);
    }
  });
});

describe('xcap-diff initial NOTIFY', () => {
  it('lists every document of the user with its current ETag (RFC 5875 §4.5)', async () => {
    const user = poolUser(596);
    wipeUserDocuments(user);
    const policy =
      '<?xml version="1.0" encoding="UTF-8"?>\n<cp:ruleset xmlns:cp="urn:ietf:params:xml:ns:common-policy"/>';
    const rl = await xcap(user, 'PUT', documentUrl(user, 'resource-lists'), doc(6));
    const dr = await xcap(user, 'PUT', documentUrl(user, 'org.openxcap.dialog-rules'), policy);
    expect([rl.status, dr.status]).toEqual([200, 200]);
    const sub = new RawSubscriber('udp', user);
    try {
      await sub.open();
      expect((await sub.subscribe()).startLine).toMatch(/^SIP\/2\.0 20[02] /);
      const first = await sub.next(isNotify);
      const documents = [...first.body.matchAll(/<document sel="([^"]+)" new-etag="([^"]+)"\/>/g)]
        .map((m) => [m[1], m[2]])
        .sort();
      expect(documents).toEqual(
        [
          [`org.openxcap.dialog-rules/users/${user.id}/index`, dr.etag.replaceAll('"', '')],
          [`resource-lists/users/${user.id}/index`, rl.etag.replaceAll('"', '')],
        ].sort(),
      );
      await sub.unsubscribe();
    } finally {
      sub.shutdown();
      wipeUserDocuments(user);
    }
  });
});

describe('xcap-diff with sip.js', () => {
  it('a sip.js Subscriber over WebSocket gets the NOTIFY of an XCAP PUT', async () => {
    const user = poolUser(595);
    wipeUserDocuments(user);
    // Node 20 has no global WebSocket; sip.js's transport needs one (undici's is standard).
    const g = globalThis as { WebSocket?: unknown };
    const previous = g.WebSocket;
    g.WebSocket = WebSocket;
    const { UserAgent, Subscriber } = await import('sip.js');
    const ua = new UserAgent({
      uri: UserAgent.makeURI(user.id),
      transportOptions: { server: testServer().sip.ws },
      authorizationUsername: user.username,
      authorizationPassword: user.password,
      logLevel: 'error',
    });
    const bodies: string[] = [];
    try {
      await ua.start();
      const target = UserAgent.makeURI(user.id);
      if (target === undefined) throw new Error(`bad URI ${user.id}`);
      const sub = new Subscriber(ua, target, 'xcap-diff', {
        extraHeaders: ['Accept: application/xcap-diff+xml'],
        expires: 600,
      });
      sub.delegate = {
        onNotify: (n) => {
          bodies.push(n.request.body);
          n.accept();
        },
      };
      await sub.subscribe();
      for (let i = 0; i < 20 && bodies.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(bodies).toHaveLength(1);
      const put = await xcap(user, 'PUT', documentUrl(user, 'resource-lists'), doc(5));
      expect(put.status).toBe(200);
      for (let i = 0; i < 20 && bodies.length === 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(bodies[1]).toContain(
        `<document sel="resource-lists/users/${user.id}/index" new-etag="${put.etag.replaceAll('"', '')}"/>`,
      );
      await sub.unsubscribe();
    } finally {
      await ua.stop();
      g.WebSocket = previous;
      wipeUserDocuments(user);
    }
  });
});
