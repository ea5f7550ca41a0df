/**
 * The DNS port: TXT lookups for the XCAP root when the settings give none (Node: `nodeDns()`).
 */
import type { Observable } from 'rxjs';

/**
 * DNS TXT lookups, used to find the XCAP root when the settings give none (a record
 * such as `xcap.<domain>. IN TXT "https://xcap.example.org/xcap-root"`). The Node adapter lives in
 * `src/dns-node.ts`; browsers have no DNS, so their default fails with a clear error.
 *
 * @example
 * ```ts
 * const dns: DnsPort = { resolveTxt: (name) => of([['https://xcap.example.org/xcap-root']]) };
 * ```
 */
export interface DnsPort {
  /** Every TXT record of `name`, each as its character strings (like `dns.resolveTxt`). */
  resolveTxt(name: string): Observable<string[][]>;
}
