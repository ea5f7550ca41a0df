/**
 * Node's DNS adapter for the manager's `dns` port (Node-only: imports `node:dns`).
 */
import { promises as dns } from 'node:dns';
import { defer, from } from 'rxjs';
import type { DnsPort } from './ports/dns-port.js';

/**
 * TXT lookups through `node:dns` (a record such as `xcap.<domain>. IN TXT "https://..."`, as sipsimple looks it up).
 * Cold: each subscription makes one lookup.
 *
 * @example createXcapManager({ account: { id: 'alice@example.org' }, dns: nodeDns() })
 */
export function nodeDns(resolver: Pick<typeof dns, 'resolveTxt'> = dns): DnsPort {
  return { resolveTxt: (name) => defer(() => from(resolver.resolveTxt(name))) };
}
