/**
 * SIP over TCP and TLS for Node services, written against sip.js's `transportConstructor`
 * (sip.js only ships a WebSocket transport). Node-only: imports `node:net` and `node:tls`.
 *
 * Framing follows RFC 3261 §18.3: a message ends after its headers plus Content-Length bytes;
 * CRLF keep-alives (RFC 5626 §3.5.1) between messages are skipped.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { EmitterImpl, type Transport, TransportState } from 'sip.js';

/** Options of {@link TcpTransport} (sip.js `transportOptions`). */
export interface TcpTransportOptions {
  /** `host:port` (or `[v6]:port`) of the SIP server / outbound proxy. */
  readonly server: string;
  /** Milliseconds to wait for the connection (default 10 s). */
  readonly connectTimeout?: number;
  /** Extra TLS options for {@link TlsTransport} (CA, servername...). */
  readonly tls?: ConnectionOptions;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** Bounds on what one peer can make us buffer (the client's own body limit is 16 MiB too). */
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * The stream cannot be framed (RFC 3261 §18.3): the connection must be dropped. `messages`
 * are the complete ones that came before the problem.
 *
 * @example try { splitSipStream(holder) } catch (e) { if (e instanceof SipFramingError) drop(e.messages) }
 */
export class SipFramingError extends Error {
  constructor(
    message: string,
    readonly messages: readonly string[],
  ) {
    super(message);
    this.name = 'SipFramingError';
  }
}

/**
 * A sip.js transport over one TCP connection.
 *
 * @example
 * ```ts
 * new UserAgent({ uri, transportConstructor: TcpTransport, transportOptions: { server: '127.0.0.1:5060' } });
 * ```
 */
export class TcpTransport implements Transport {
  state: TransportState = TransportState.Disconnected;
  readonly stateChange = new EmitterImpl<TransportState>();
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  /** `host:port` of our end of the connection, for a Contact the server can reach. */
  localContactHost: string | undefined;
  protected readonly options: TcpTransportOptions;
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  /** Chunks received since the last split, and their size (joined once, not per chunk). */
  private chunks: Buffer[] = [];
  private pending = 0;
  /** Bytes the current message needs in all, once its headers are read (0: unknown). */
  private need = 0;

  constructor(_logger: unknown, options?: TcpTransportOptions) {
    if (options?.server === undefined)
      throw new Error('TcpTransport needs transportOptions.server');
    this.options = options;
  }

  get protocol(): string {
    return 'TCP';
  }

  protected open(host: string, port: number): Socket {
    return netConnect({ host, port });
  }

  protected readyEvent(): string {
    return 'connect';
  }

  connect(): Promise<void> {
    if (this.state === TransportState.Connected) return Promise.resolve();
    const { host, port } = splitHostPort(this.options.server);
    this.transition(TransportState.Connecting);
    return new Promise<void>((resolve, reject) => {
      const socket = this.open(host, port);
      this.socket = socket;
      socket.setNoDelay(true);
      socket.setTimeout(this.options.connectTimeout ?? 10_000);
      let connected = false;
      socket.once('timeout', () => socket.destroy(new Error('SIP connection timed out')));
      socket.once(this.readyEvent(), () => {
        connected = true;
        socket.setTimeout(0);
        const addr = socket.localAddress ?? '127.0.0.1';
        this.localContactHost = `${addr.includes(':') ? `[${addr}]` : addr}:${socket.localPort}`;
        this.transition(TransportState.Connected);
        this.onConnect?.();
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('error', (error) => {
        if (!connected)
          reject(new Error(`SIP connection to ${this.options.server} failed: ${error.message}`));
      });
      socket.on('close', () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        const wasConnected = this.state === TransportState.Connected;
        this.transition(TransportState.Disconnected);
        if (wasConnected) this.onDisconnect?.(new Error('SIP connection closed'));
      });
    });
  }

  disconnect(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) {
      this.transition(TransportState.Disconnected);
      return Promise.resolve();
    }
    this.transition(TransportState.Disconnecting);
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
      this.transition(TransportState.Disconnected);
      this.onDisconnect?.();
    });
  }

  dispose(): Promise<void> {
    return this.disconnect();
  }

  isConnected(): boolean {
    return this.state === TransportState.Connected;
  }

  send(message: string): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || this.state !== TransportState.Connected) {
      return Promise.reject(new Error('SIP transport not connected'));
    }
    return new Promise<void>((resolve, reject) => {
      socket.write(message, 'utf8', (error) => (error ? reject(error) : resolve()));
    });
  }

  private transition(state: TransportState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateChange.emit(state);
  }

  /** @internal a chunk from the socket (public for the framing-cost test). */
  receive(chunk: Buffer): void {
    // A body arriving in many chunks is joined once when complete: joining on every chunk
    // copied a 16 MiB NOTIFY about 256 times over (regression test "a large body in many
    // chunks is joined once").
    this.chunks.push(chunk);
    this.pending += chunk.length;
    if (this.pending < this.need) return;
    this.buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.pending);
    this.need = 0;
    let messages: readonly string[];
    let broken: SipFramingError | undefined;
    try {
      messages = splitSipStream(this);
    } catch (e) {
      if (!(e instanceof SipFramingError)) throw e;
      messages = e.messages;
      broken = e;
    }
    this.chunks = this.buffer.length > 0 ? [this.buffer] : [];
    this.pending = this.buffer.length;
    for (const message of messages) this.onMessage?.(message);
    if (broken === undefined) return;
    // Nothing after a framing error can be trusted: drop the connection (the subscription
    // sees a disconnect and reconnects).
    this.buffer = Buffer.alloc(0);
    this.chunks = [];
    this.pending = 0;
    this.need = 0;
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    socket.destroy();
    const wasConnected = this.state === TransportState.Connected;
    this.transition(TransportState.Disconnected);
    if (wasConnected) this.onDisconnect?.(broken);
  }

  /** @internal used by {@link splitSipStream}. */
  takeBuffer(): Buffer {
    return this.buffer;
  }

  /** @internal used by {@link splitSipStream}. */
  keepBuffer(rest: Buffer): void {
    this.buffer = rest;
  }

  /** @internal used by {@link splitSipStream}: the incomplete message needs `total` bytes. */
  needBytes(total: number): void {
    this.need = total;
  }
}

/**
 * The TLS variant (`sips:` / `transport=tls`).
 *
 * @example
 * ```ts
 * new UserAgent({ uri, transportConstructor: TlsTransport,
 *                 transportOptions: { server: 'sip.example.com:5061' } });
 * ```
 */
export class TlsTransport extends TcpTransport {
  override get protocol(): string {
    return 'TLS';
  }

  protected override open(host: string, port: number): Socket {
    return tlsConnect({ host, port, servername: host, ...(this.options.tls ?? {}) });
  }

  protected override readyEvent(): string {
    return 'secureConnect';
  }
}

/**
 * Cuts complete SIP messages off a stream buffer (RFC 3261 §18.3), keeping the rest.
 *
 * @example
 * ```ts
 * for (const m of splitSipStream(holder)) handle(m);
 * ```
 */
export function splitSipStream(holder: {
  takeBuffer(): Buffer;
  keepBuffer(rest: Buffer): void;
  /** Told how many bytes the incomplete message at the start of the rest needs in all. */
  needBytes?(total: number): void;
}): string[] {
  let buf = holder.takeBuffer();
  const out: string[] = [];
  for (;;) {
    // Skip CRLF keep-alives between messages.
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
    if (start > 0) buf = buf.subarray(start);
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HEADER_BYTES)
        throw new SipFramingError('SIP stream: no end of headers within 64 KiB', out);
      break;
    }
    const head = buf.subarray(0, end).toString('utf8');
    const m = /\r\n(?:content-length|l)[ \t]*:([^\r\n]*)/i.exec(`\r\n${head}`);
    const value = m?.[1]?.trim() ?? '0';
    // A length we cannot read would make the body the start of the "next" message.
    if (!/^\d+$/.test(value))
      throw new SipFramingError(
        `SIP stream: unreadable Content-Length "${value.slice(0, 20)}"`,
        out,
      );
    const length = Number(value);
    if (length > MAX_BODY_BYTES)
      throw new SipFramingError(`SIP stream: a body of ${length} bytes is over 16 MiB`, out);
    const total = end + 4 + length;
    if (buf.length < total) {
      holder.needBytes?.(total);
      break;
    }
    out.push(buf.subarray(0, total).toString('utf8'));
    buf = buf.subarray(total);
  }
  holder.keepBuffer(buf);
  return out;
}

function splitHostPort(server: string): { host: string; port: number } {
  const s = server.replace(/^[a-z]+:\/\//i, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?/.exec(s);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 5060) };
  const [host = '', port] = s.split('/')[0]!.split(':');
  return { host, port: Number(port ?? 5060) };
}
