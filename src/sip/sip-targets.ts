/**
 * Where to send the xcap-diff SUBSCRIBE: the transports to try, in order, and the server of
 * each, from `AccountSettings.sip` (its `outboundProxy` URI and `transports` list).
 * Pure; no DNS (RFC 3263 NAPTR/SRV lookups are not done: without an outbound proxy the AOR's
 * domain is used with the default port of each transport).
 */
import type { DiffSettings } from '../ports/index.js';

/** A transport rxcap can speak SIP over (UDP is not offered: browsers cannot, see README). */
export type SipTransportName = 'ws' | 'wss' | 'tcp' | 'tls';

/** One place to connect to. */
export interface SipTarget {
  readonly transport: SipTransportName;
  /** `ws(s)://host:port/path` for WebSocket, `host:port` for TCP/TLS. */
  readonly server: string;
}

interface Proxy {
  readonly scheme: 'ws' | 'wss' | 'sip' | 'sips' | 'plain';
  readonly hostPort: string;
  readonly host: string;
  readonly port?: number;
  readonly path: string;
  readonly transport?: string;
}

const DEFAULT_PORT: Record<SipTransportName, number> = { ws: 80, wss: 443, tcp: 5060, tls: 5061 };

/**
 * The targets to try in order for `settings`.
 *
 * - `outboundProxy` may be a WebSocket URL (`wss://sip.example.com/ws`), a SIP URI
 *   (`sip:proxy.example.com:5060;transport=tcp`, `sips:proxy.example.com`) or `host:port`.
 * - `transports` orders and filters the transports; default: the proxy's own transport, else
 *   `['wss', 'tcp']`. `udp` is skipped.
 *
 * @example
 * ```ts
 * sipTargets({ ...settings, outboundProxy: 'ws://127.0.0.1:5066/ws' });
 * // [{ transport: 'ws', server: 'ws://127.0.0.1:5066/ws' }]
 * ```
 */
export function sipTargets(
  settings: Pick<DiffSettings, 'aor' | 'outboundProxy' | 'transports'>,
): SipTarget[] {
  const proxy = settings.outboundProxy ? parseProxy(settings.outboundProxy) : undefined;
  const wanted: readonly string[] =
    settings.transports ?? (proxy ? [proxyTransport(proxy)] : ['wss', 'tcp']);
  const domain = domainOf(settings.aor);
  const out: SipTarget[] = [];
  for (const t of wanted) {
    if (t !== 'ws' && t !== 'wss' && t !== 'tcp' && t !== 'tls') continue;
    out.push({ transport: t, server: serverFor(t, proxy, domain) });
  }
  return out;
}

function proxyTransport(p: Proxy): SipTransportName {
  if (p.scheme === 'ws' || p.scheme === 'wss') return p.scheme;
  const t = p.transport?.toLowerCase();
  if (t === 'ws' || t === 'wss' || t === 'tls' || t === 'tcp') return t;
  return p.scheme === 'sips' ? 'tls' : 'tcp';
}

function serverFor(t: SipTransportName, proxy: Proxy | undefined, domain: string): string {
  const host = proxy?.host ?? domain;
  // A proxy URI's port belongs to its own transport (a WebSocket port is no TCP port); a bare
  // `host:port` names no transport and serves them all.
  const ownPort = proxy && (proxy.scheme === 'plain' || proxyTransport(proxy) === t);
  const port = (ownPort ? proxy.port : undefined) ?? DEFAULT_PORT[t];
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (t === 'ws' || t === 'wss') {
    if (proxy && (proxy.scheme === 'ws' || proxy.scheme === 'wss') && proxy.scheme === t) {
      return `${t}://${proxy.hostPort}${proxy.path}`;
    }
    return `${t}://${hostPort}${proxy?.path ?? ''}`;
  }
  return hostPort;
}

function parseProxy(uri: string): Proxy {
  const u = uri.trim().replace(/^<|>$/g, '');
  const ws = /^(wss?):\/\/([^/?#]+)([^?#]*)/i.exec(u);
  if (ws) {
    const { host, port } = splitHostPort(ws[2]!);
    return {
      scheme: ws[1]!.toLowerCase() as 'ws' | 'wss',
      hostPort: ws[2]!,
      host,
      ...(port !== undefined ? { port } : {}),
      path: ws[3] ?? '',
    };
  }
  const sip = /^(sips?):(?:[^@;]*@)?([^;?]+)(.*)$/i.exec(u);
  if (sip) {
    const { host, port } = splitHostPort(sip[2]!);
    const transport = /;transport=([a-z]+)/i.exec(sip[3] ?? '')?.[1];
    return {
      scheme: sip[1]!.toLowerCase() as 'sip' | 'sips',
      hostPort: sip[2]!,
      host,
      ...(port !== undefined ? { port } : {}),
      path: '',
      ...(transport !== undefined ? { transport } : {}),
    };
  }
  const { host, port } = splitHostPort(u);
  return { scheme: 'plain', hostPort: u, host, ...(port !== undefined ? { port } : {}), path: '' };
}

function splitHostPort(s: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return v6[2] ? { host: v6[1]!, port: Number(v6[2]) } : { host: v6[1]! };
  const i = s.lastIndexOf(':');
  if (i > 0 && /^\d+$/.test(s.slice(i + 1)))
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s };
}

function domainOf(aor: string): string {
  const x = aor.replace(/^sips?:/i, '');
  const at = x.lastIndexOf('@');
  // The host only: an AOR's port (sip:alice@example.com:5070) is no part of the domain.
  return splitHostPort((at >= 0 ? x.slice(at + 1) : x).split(/[;>?]/)[0]!).host;
}
