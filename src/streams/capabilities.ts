/**
 * The capabilities pipeline (initializing): find the XCAP root (settings, else the
 * DNS TXT record of `xcap.<domain>`), GET `xcap-caps/global/index` (RFC 4825 §12)
 * and check the AUIDs the manager needs.
 */
import {
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  map,
  type Observable,
  of,
  switchMap,
  throwError,
  timer,
} from 'rxjs';
import {
  DOCUMENT_NAMES,
  type DocumentName,
  OPTIONAL_AUIDS,
  PRES_RULES_AUIDS,
  REQUIRED_AUIDS,
} from '../codecs/applications.js';
import { backoffDelay, retryBackoff } from '../operators/retry-backoff.js';
import { isAuthFailure, statusOf, toXcapError, XcapCapabilitiesError } from './errors.js';
import type { Discovery, MachineCommand, MachineEvent } from './events.js';
import type { Capabilities, PipelinePorts } from './ports.js';
import { request } from './request.js';
import { type AccountSettings, connectionOf, domainOf } from './settings.js';

/**
 * The Discovery for a server's capabilities, or the typed error naming the missing AUIDs.
 *
 * @example discoveryOf('http://h/xcap-root', { auids: ['resource-lists', 'rls-services', 'pres-rules'], extensions: [], namespaces: [] })
 */
export function discoveryOf(
  root: string,
  capabilities: Capabilities,
): Discovery | XcapCapabilitiesError {
  const offered = new Set(capabilities.auids);
  const presRulesAuid = PRES_RULES_AUIDS.find((a) => offered.has(a));
  const missing: string[] = REQUIRED_AUIDS.filter((a) => !offered.has(a));
  if (presRulesAuid === undefined) missing.push(PRES_RULES_AUIDS.join(' or '));
  if (missing.length > 0 || presRulesAuid === undefined) {
    return new XcapCapabilitiesError(
      `the XCAP server at ${root} lacks required application usages: ${missing.join(', ')}`,
      { missing, root },
    );
  }
  const optional = new Set<DocumentName>(
    Object.entries(OPTIONAL_AUIDS)
      .filter(([auid]) => offered.has(auid))
      .map(([, name]) => name),
  );
  const supported = DOCUMENT_NAMES.filter(
    (n) => n === 'resource-lists' || n === 'rls-services' || n === 'pres-rules' || optional.has(n),
  );
  return { root, capabilities, presRulesAuid, supported };
}

/**
 * The XCAP root of an account: the setting, else the first `https://` TXT string of
 * `xcap.<domain>` whose host is the account's domain or a subdomain of it (an `http://` one
 * only with `xcap.allowInsecureDiscoveredRoot`). Transient DNS failures are retried; no
 * record, only records naming other hosts, or only plain-http ones is an
 * XcapCapabilitiesError.
 *
 * A TXT answer is not authenticated (no DNSSEC check here), and the root decides where the
 * password goes: a record naming a foreign host would send the Digest exchange (and, if the
 * server asked for it, Basic credentials) to whoever wrote it. So a root from DNS must stay on
 * the account's domain, and the client never answers Basic for it (see `connectionOf`). An
 * account that really uses a server elsewhere names it in `xcap.root`.
 *
 * @example xcapRootOf({ id: 'a@example.org' }, ports).subscribe((root) => ...)
 */
export function xcapRootOf(settings: AccountSettings, ports: PipelinePorts): Observable<string> {
  const configured = settings.xcap?.root;
  if (configured) return of(configured.replace(/\/+$/, ''));
  const domain = domainOf(settings);
  const name = `xcap.${domain}`;
  return defer(() => ports.dns.resolveTxt(name)).pipe(
    retryBackoff({
      ...ports.backoff,
      scheduler: ports.scheduler,
      random: ports.random,
      shouldRetry: (e) => isTransientDns(e),
      onRetry: (e, attempt, delay) =>
        ports.retrying?.({ error: toXcapError(e, 'capabilities'), attempt, delay }),
    }),
    catchError((e: unknown) =>
      throwError(
        () =>
          new XcapCapabilitiesError(`no XCAP root: DNS TXT lookup of ${name} failed`, { cause: e }),
      ),
    ),
    switchMap((records) => {
      const uris = records
        .map((r) => r.join('').trim())
        .filter((t) => /^https?:\/\//i.test(t))
        .map((t) => t.replace(/\/+$/, ''));
      if (uris.length === 0)
        return throwError(
          () =>
            new XcapCapabilitiesError(
              `no XCAP root: ${name} has no TXT record with an http(s) URI`,
            ),
        );
      const onAccountDomain = uris.filter((u) => onDomain(u, domain));
      const root =
        onAccountDomain.find((u) => /^https:/i.test(u)) ??
        (settings.xcap?.allowInsecureDiscoveredRoot === true ? onAccountDomain[0] : undefined);
      if (root === undefined && onAccountDomain.length > 0) {
        // Only plain http on the account's domain: a forged or downgraded TXT answer would
        // have the Digest exchange answered in cleartext (open to offline cracking of the
        // password), so such a root is refused unless the application opted in (regression
        // test "a plain-http root from DNS is refused unless allowInsecureDiscoveredRoot").
        return throwError(
          () =>
            new XcapCapabilitiesError(
              `refusing the XCAP root from DNS: ${name} names only plain http (${onAccountDomain[0]!.slice(0, 200)}), and the credentials of ${domain} go only over https to a root found through DNS; publish an https root, set xcap.root, or set xcap.allowInsecureDiscoveredRoot: true`,
              { root: onAccountDomain[0]! },
            ),
        );
      }
      if (root === undefined) {
        const hosts = [...new Set(uris.map(hostOf))].join(', ').slice(0, 200);
        return throwError(
          () =>
            new XcapCapabilitiesError(
              `refusing the XCAP root from DNS: ${name} names ${hosts}, which is not ${domain} or a subdomain of it, and the credentials of ${domain} go only there; set xcap.root to use another server`,
            ),
        );
      }
      return of(root);
    }),
  );
}

/**
 * True when `uri`'s host is `domain` or a subdomain of it (case-insensitive, IDNs compared in
 * their ASCII form, a trailing dot ignored).
 *
 * @example onDomain('https://xcap.example.org/xcap-root', 'example.org') // true
 */
export function onDomain(uri: string, domain: string): boolean {
  const host = hostOf(uri);
  let want: string;
  try {
    want = new URL(`http://${domain}/`).hostname.replace(/\.$/, '');
  } catch {
    return false;
  }
  if (host === '' || want === '') return false;
  // An address has no subdomains.
  if (want.startsWith('[') || /^[\d.]+$/.test(want)) return host === want;
  return host === want || host.endsWith(`.${want}`);
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).hostname.replace(/\.$/, '');
  } catch {
    return '';
  }
}

/**
 * RFC 4825 §12: every XCAP server serves `xcap-caps/global/index`. A 404 for it means that the
 * root names no XCAP server (a typo in the path, a web server): only new settings can help
 * (regression test "a 404 on xcap-caps says there is no XCAP server at the root").
 */
function noXcapServer(e: unknown, settings: AccountSettings): XcapCapabilitiesError | null {
  if (statusOf(e) !== 404) return null;
  const root = (settings.xcap?.root ?? '').replace(/\/+$/, '');
  const url = (e as { url?: unknown }).url;
  const at =
    root !== '' ? root : typeof url === 'string' ? url.replace(/\/xcap-caps\/.*$/, '') : '';
  return new XcapCapabilitiesError(
    `no XCAP server at ${at || 'the XCAP root'}: xcap-caps answered 404 (check xcap.root)`,
    at !== '' ? { root: at, cause: e } : { cause: e },
  );
}

function isTransientDns(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'ETIMEOUT' || code === 'ESERVFAIL' || code === 'ECONNREFUSED' || code === 'EAI_AGAIN'
  );
}

/**
 * `(commands$, ports) => events$` for `discoverCapabilities`; a `cancel` aborts a discovery.
 *
 * @example merge(capabilitiesPipeline(commands$, ports), ...).subscribe(dispatch)
 */
export function capabilitiesPipeline(
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  return commands$.pipe(
    filter((c) => c.type === 'discoverCapabilities' || c.type === 'cancel'),
    switchMap((c) => (c.type === 'discoverCapabilities' ? discover(c.settings, ports) : EMPTY)),
  );
}

function discover(
  settings: AccountSettings,
  ports: PipelinePorts,
  failures = 0,
): Observable<MachineEvent> {
  return xcapRootOf(settings, ports).pipe(
    switchMap((root) => {
      const http = ports.http(connectionOf(settings, root));
      return request(ports, { method: 'GET', auid: 'xcap-caps', filename: 'index' }, () =>
        http.get('xcap-caps', { global: true, filename: 'index' }),
      ).pipe(
        map((resource): MachineEvent => {
          const caps = ports.engine.decodeCaps(ports.engine.parse(resource.body));
          const d = discoveryOf(root, caps);
          return d instanceof XcapCapabilitiesError
            ? { type: 'capabilitiesFailed', error: d }
            : { type: 'capabilitiesDiscovered', discovery: d };
        }),
      );
    }),
    catchError((e: unknown) => {
      if (isAuthFailure(e))
        return of<MachineEvent>({ type: 'authFailed', error: toXcapError(e, 'capabilities') });
      const failed = of<MachineEvent>({
        type: 'capabilitiesFailed',
        error: noXcapServer(e, settings) ?? toXcapError(e, 'capabilities'),
      });
      // No root, no XCAP server at it, or required AUIDs missing: only new settings can help.
      if (e instanceof XcapCapabilitiesError || statusOf(e) === 404) return failed;
      // A broken answer (a truncated or hostile xcap-caps document, an HTTP error that is not
      // transient) may be gone later: report it and discover again after a backoff, instead of
      // waiting in initializing for new settings that nothing calls for (robustness test "a
      // malformed xcap-caps answer is reported and retried, not wedging initializing").
      const delay = backoffDelay(ports.backoff, failures + 1, ports.random);
      ports.retrying?.({ attempt: failures + 1, delay });
      return concat(
        failed,
        timer(delay, ports.scheduler).pipe(
          switchMap(() => discover(settings, ports, failures + 1)),
        ),
      );
    }),
  );
}
