import { EmitterImpl, type Transport, TransportState } from 'sip.js';

/** A parsed SIP message (enough for tests). */
export interface SipText {
  readonly startLine: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export function parseSip(text: string): SipText {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [startLine = '', ...lines] = head.split('\r\n');
  return {
    startLine,
    headers: lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as const;
    }),
    body: end < 0 ? '' : text.slice(end + 4),
  };
}

export function header(m: SipText, name: string): string | undefined {
  return m.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

/**
 * A FAKE sip.js transport: connects at once, records what sip.js sends and lets the test
 * inject what a server would answer. sip.js's real core runs on top of it.
 */
export function fakeSipTransport() {
  const sent: string[] = [];
  let current: FakeTransport | undefined;
  class FakeTransport implements Transport {
    readonly protocol = 'TCP';
    state = TransportState.Disconnected;
    readonly stateChange = new EmitterImpl<TransportState>();
    onConnect: (() => void) | undefined;
    onDisconnect: ((error?: Error) => void) | undefined;
    onMessage: ((message: string) => void) | undefined;
    constructor() {
      current = this;
    }
    connect(): Promise<void> {
      this.state = TransportState.Connected;
      this.stateChange.emit(this.state);
      this.onConnect?.();
      return Promise.resolve();
    }
    disconnect(): Promise<void> {
      this.state = TransportState.Disconnected;
      return Promise.resolve();
    }
    dispose(): Promise<void> {
      return this.disconnect();
    }
    isConnected(): boolean {
      return this.state === TransportState.Connected;
    }
    send(message: string): Promise<void> {
      sent.push(message);
      return Promise.resolve();
    }
  }
  return {
    FakeTransport,
    sent,
    /** Every request sip.js sent with this method, parsed. */
    requests: (method: string) =>
      sent.map(parseSip).filter((m) => m.startLine.startsWith(`${method} `)),
    /** Every response sip.js sent (to NOTIFYs), parsed. */
    responses: () => sent.map(parseSip).filter((m) => m.startLine.startsWith('SIP/2.0 ')),
    receive: (text: string) => current?.onMessage?.(text),
    /** Simulates a lost connection. */
    drop: (error: Error) => current?.onDisconnect?.(error),
  };
}

/** A response to `request` with `status`, the server's To tag and extra header lines. */
export function answer(
  request: SipText,
  status: string,
  extra: string[] = [],
  toTag = 'srv1',
): string {
  const to = header(request, 'to') ?? '';
  return [
    `SIP/2.0 ${status}`,
    `Via: ${header(request, 'via')};received=127.0.0.1`,
    `From: ${header(request, 'from')}`,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${header(request, 'call-id')}`,
    `CSeq: ${header(request, 'cseq')}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

let notifyCseq = 1;

/** A NOTIFY in the dialog created by `subscribe` (RFC 6665 §4.4.1). */
export function notify(
  subscribe: SipText,
  state: string,
  options: { event?: string; body?: string; toTag?: string } = {},
): string {
  const fromTag = /;tag=([^;>\s]+)/.exec(header(subscribe, 'from') ?? '')?.[1];
  const aor = /<([^>]+)>/.exec(header(subscribe, 'to') ?? '')?.[1];
  const contact = /<([^>]+)>/.exec(header(subscribe, 'contact') ?? '')?.[1];
  const body = options.body ?? '';
  return [
    `NOTIFY ${contact} SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKnotify${notifyCseq}`,
    `From: <${aor}>;tag=${options.toTag ?? 'srv1'}`,
    `To: <${aor}>;tag=${fromTag}`,
    `Call-ID: ${header(subscribe, 'call-id')}`,
    `CSeq: ${notifyCseq++} NOTIFY`,
    'Max-Forwards: 70',
    `Event: ${options.event ?? 'xcap-diff'}`,
    `Subscription-State: ${state}`,
    'Contact: <sip:127.0.0.1:5060;transport=tcp>',
    ...(body !== '' ? ['Content-Type: application/xcap-diff+xml'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}
