/**
 * One SIP connection for many accounts. A service with thousands of managers would otherwise
 * open one TCP/TLS/WebSocket connection per account for its xcap-diff subscriptions (RFC 5875);
 * a pool lets every account's sip.js user agent send over a shared connection instead.
 *
 * Each account keeps its own sip.js `UserAgent` (its own credentials answer its own Digest
 * challenges, and its own core matches its own transactions and dialogs), but that user agent's
 * transport is a lease on a pooled connection. Incoming messages are routed to the lease whose
 * requests carried their Call-ID (RFC 3261 §8.1.1.4: a dialog and each of its transactions share
 * the Call-ID of the request that opened it); the account's core then matches the tags and
 * answers 481 to whatever is not its dialog (RFC 6665 §4.1.3) and 404 to a Request-URI that is not its own. Nothing in a body is consulted.
 * A request whose Call-ID no lease sent is answered 481 here (RFC 3261 §12.2.2), at a bounded rate.
 *
 * Browser-safe: no `node:` import; the connection classes are the ones the diff port would use.
 */
import { EmitterImpl, type Transport, TransportState } from 'sip.js';
import type { SipTransportConstructor } from './sipjs-dialog-port.js';

/**
 * Options of {@link sipConnectionPool}.
 *
 * @example sipConnectionPool({ maxPerConnection: 2000 } satisfies SipConnectionPoolOptions)
 */
export interface SipConnectionPoolOptions {
  /**
   * At most this many accounts share one connection (default 2000); the next account opens
   * another. Bounds what one lost connection costs and the server's per-connection queue.
   */
  readonly maxPerConnection?: number;
  /**
   * 481 answers per second and connection to requests that belong to no account (default 20);
   * past that they are dropped, so a peer cannot make us write as fast as it writes.
   */
  readonly strayAnswersPerSecond?: number;
  /** Call-IDs remembered per account (default 4): the current dialog's and a few before it. */
  readonly callIdsPerAccount?: number;
  /** The clock of the stray-answer rate, ms (tests). */
  readonly now?: () => number;
}

/**
 * What a pool holds now.
 *
 * @example const { open, opened, accounts } = pool.stats();
 */
export interface SipConnectionPoolStats {
  /** Connections up now. */
  readonly open: number;
  /** Connections opened since the pool was made (reconnections included). */
  readonly opened: number;
  /** Accounts (user agents) attached to a connection now. */
  readonly accounts: number;
  /** Requests that matched no account (answered 481 or dropped). */
  readonly strayRequests: number;
}

/**
 * Shared SIP connections, reference-counted: a connection opens for its first account and closes
 * when its last account lets go. Pass one pool to the diff port of every manager of a process
 * (`sharedSipDiffPort()` in Node does).
 *
 * @example
 * ```ts
 * const connections = sipConnectionPool();
 * const sip = sipDiffPort({ connections });
 * for (const account of accounts) createXcapManager({ account, sip });
 * connections.stats().open; // 1
 * ```
 */
export interface SipConnectionPool {
  /**
   * A transport class for sip.js whose instances lease a connection to `key` (transport and
   * server) made with `base`. The first account on a connection gives its transport options.
   */
  transportFor(base: SipTransportConstructor, key: string): SipTransportConstructor;
  stats(): SipConnectionPoolStats;
}

interface Logger {
  readonly [name: string]: unknown;
}

/** The sip.js transport callbacks a lease forwards to its user agent. */
interface Lease extends Transport {
  deliver(message: string): void;
  lost(error: Error): void;
}

const CALL_ID = /^(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)$/im;

/**
 * Creates a pool of shared SIP connections.
 *
 * @example
 * ```ts
 * const pool = sipConnectionPool({ maxPerConnection: 1000 });
 * new UserAgent({ uri, transportConstructor: pool.transportFor(TcpTransport, 'tcp|proxy:5060'),
 *   transportOptions: { server: 'proxy:5060' } });
 * ```
 */
export function sipConnectionPool(options: SipConnectionPoolOptions = {}): SipConnectionPool {
  const maxPerConnection = positive(options.maxPerConnection, 2000);
  const strayRate = positive(options.strayAnswersPerSecond, 20);
  const keepCallIds = positive(options.callIdsPerAccount, 4);
  const now = options.now ?? (() => Date.now());
  const byKey = new Map<string, Set<Connection>>();
  let opened = 0;
  let strayRequests = 0;

  class Connection {
    readonly leases = new Set<Lease>();
    readonly routes = new Map<string, Lease>();
    readonly transport: Transport;
    private connecting: Promise<void> | undefined;
    private windowStart = 0;
    private answered = 0;

    constructor(
      private readonly key: string,
      base: SipTransportConstructor,
      logger: Logger,
      transportOptions: unknown,
    ) {
      this.transport = new base(logger as never, transportOptions as never);
      this.transport.onMessage = (m) => this.receive(m);
      this.transport.onDisconnect = (error) => this.lost(error);
      this.transport.onConnect = undefined;
    }

    connect(): Promise<void> {
      if (this.transport.isConnected()) return Promise.resolve();
      this.connecting ??= this.transport.connect().then(
        () => {
          this.connecting = undefined;
          opened++;
        },
        (e: unknown) => {
          this.connecting = undefined;
          throw e;
        },
      );
      return this.connecting;
    }

    attach(lease: Lease): void {
      this.leases.add(lease);
    }

    detach(lease: Lease, callIds: readonly string[]): void {
      for (const id of callIds) this.unroute(id, lease);
      if (!this.leases.delete(lease) || this.leases.size > 0) return;
      // The last account let go: close the connection and forget it.
      const set = byKey.get(this.key);
      set?.delete(this);
      if (set?.size === 0) byKey.delete(this.key);
      this.transport.onDisconnect = undefined;
      this.transport.dispose().catch(() => undefined);
    }

    route(callId: string, lease: Lease): void {
      this.routes.set(callId, lease);
    }

    unroute(callId: string, lease: Lease): void {
      if (this.routes.get(callId) === lease) this.routes.delete(callId);
    }

    /** The connection went down: every account on it learns at once and resubscribes. */
    private lost(error?: Error): void {
      this.routes.clear();
      const e = error ?? new Error('SIP connection closed');
      for (const lease of [...this.leases]) lease.lost(e);
    }

    private receive(message: string): void {
      const head = message.slice(0, headerEnd(message));
      const callId = CALL_ID.exec(head)?.[1]?.trim();
      const lease = callId === undefined ? undefined : this.routes.get(callId);
      if (lease !== undefined) {
        lease.deliver(message);
        return;
      }
      if (head.startsWith('SIP/2.0 ')) return; // a response to nothing we sent: drop
      strayRequests++;
      if (/^ACK /.test(head) || !this.mayAnswer()) return;
      const reply = strayReply(head);
      if (reply !== undefined) this.transport.send(reply).catch(() => undefined);
    }

    private mayAnswer(): boolean {
      const t = now();
      if (t - this.windowStart >= 1000) {
        this.windowStart = t;
        this.answered = 0;
      }
      return this.answered++ < strayRate;
    }
  }

  const connectionFor = (
    key: string,
    base: SipTransportConstructor,
    logger: Logger,
    transportOptions: unknown,
  ): Connection => {
    let set = byKey.get(key);
    if (set === undefined) {
      set = new Set();
      byKey.set(key, set);
    }
    for (const c of set) if (c.leases.size < maxPerConnection) return c;
    const c = new Connection(key, base, logger, transportOptions);
    set.add(c);
    return c;
  };

  return {
    transportFor(base, key) {
      return class PooledTransport implements Lease {
        state: TransportState = TransportState.Disconnected;
        readonly stateChange = new EmitterImpl<TransportState>();
        onConnect: (() => void) | undefined;
        onDisconnect: ((error?: Error) => void) | undefined;
        onMessage: ((message: string) => void) | undefined;
        private connection: Connection | undefined;
        private readonly callIds: string[] = [];

        constructor(
          private readonly logger: Logger,
          private readonly transportOptions?: unknown,
        ) {}

        get protocol(): string {
          return this.connection?.transport.protocol ?? '';
        }

        /** `host:port` of the shared socket (TCP/TLS), for a Contact the server can reach. */
        get localContactHost(): string | undefined {
          return (this.connection?.transport as { localContactHost?: string } | undefined)
            ?.localContactHost;
        }

        async connect(): Promise<void> {
          if (this.state === TransportState.Connected) return;
          this.connection ??= connectionFor(key, base, this.logger, this.transportOptions);
          const connection = this.connection;
          connection.attach(this);
          this.transition(TransportState.Connecting);
          try {
            await connection.connect();
          } catch (e) {
            this.release();
            throw e;
          }
          if (this.connection !== connection) return; // let go while connecting
          this.transition(TransportState.Connected);
          this.onConnect?.();
        }

        disconnect(): Promise<void> {
          this.release();
          return Promise.resolve();
        }

        dispose(): Promise<void> {
          return this.disconnect();
        }

        isConnected(): boolean {
          return this.state === TransportState.Connected;
        }

        send(message: string): Promise<void> {
          const connection = this.connection;
          if (connection === undefined || this.state !== TransportState.Connected)
            return Promise.reject(new Error('SIP transport not connected'));
          const callId = CALL_ID.exec(message.slice(0, headerEnd(message)))?.[1]?.trim();
          if (callId !== undefined && !this.callIds.includes(callId)) {
            this.callIds.push(callId);
            connection.route(callId, this);
            // Older dialogs of this account are over (a new subscription has a new Call-ID,
            // RFC 6665 §4.1.2.1): their late messages get the stray 481.
            while (this.callIds.length > keepCallIds) {
              connection.unroute(this.callIds.shift()!, this);
            }
          }
          return connection.transport.send(message);
        }

        deliver(message: string): void {
          this.onMessage?.(message);
        }

        lost(error: Error): void {
          this.release();
          this.onDisconnect?.(error);
        }

        private release(): void {
          const connection = this.connection;
          this.connection = undefined;
          if (connection !== undefined) connection.detach(this, this.callIds.splice(0));
          this.transition(TransportState.Disconnected);
        }

        private transition(state: TransportState): void {
          if (this.state === state) return;
          this.state = state;
          this.stateChange.emit(state);
        }
      } as unknown as SipTransportConstructor;
    },
    stats() {
      let open = 0;
      let accounts = 0;
      for (const set of byKey.values())
        for (const c of set) {
          if (c.transport.isConnected()) open++;
          accounts += c.leases.size;
        }
      return { open, opened, accounts, strayRequests };
    },
  };
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

function headerEnd(message: string): number {
  const end = message.indexOf('\r\n\r\n');
  return end < 0 ? message.length : end;
}

/**
 * The 481 to a request of a dialog no account has (RFC 3261 §12.2.2, §8.2.6.2): Via, From,
 * Call-ID and CSeq copied, To with a tag. Undefined when the request lacks one of them.
 *
 * @example strayReply(head)?.startsWith('SIP/2.0 481') // true for a NOTIFY with all its headers
 */
export function strayReply(head: string): string | undefined {
  const lines = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const pick = (long: string, short: string) =>
    lines.filter((l) => new RegExp(`^(?:${long}|${short})[ \\t]*:`, 'i').test(l));
  const via = pick('via', 'v');
  const from = pick('from', 'f')[0];
  const to = pick('to', 't')[0];
  const callId = pick('call-id', 'i')[0];
  const cseq = pick('cseq', 'cseq')[0];
  if (via.length === 0 || !from || !to || !callId || !cseq) return undefined;
  const toLine = /;\s*tag=/i.test(to) ? to : `${to};tag=rxcap-stray`;
  return [
    'SIP/2.0 481 Call/Transaction Does Not Exist',
    ...via,
    from,
    toLine,
    callId,
    cseq,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
