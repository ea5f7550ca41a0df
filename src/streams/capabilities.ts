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
import { isAuthFailure, toXcapError, XcapCapabilitiesError } from './errors.js';
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
 * The XCAP root of an account: the setting, else the first `http(s)://` TXT string of
 * `xcap.<domain>`. Transient DNS failures are retried; no record is an XcapCapabilitiesError.
 *
 * @example xcapRootOf({ id: 'a@example.org' }, ports).subscribe((root) => ...)
 */
export function xcapRootOf(settings: AccountSettings, ports: PipelinePorts): Observable<string> {
  const configured = settings.xcap?.root;
  if (configured) return of(configured.replace(/\/+$/, ''));
  const name = `xcap.${domainOf(settings)}`;
  return defer(() => ports.dns.resolveTxt(name)).pipe(
    retryBackoff({
      ...ports.backoff,
      scheduler: ports.scheduler,
      random: ports.random,
      shouldRetry: (e) => isTransientDns(e),
    }),
    catchError((e: unknown) =>
      throwError(
        () =>
          new XcapCapabilitiesError(`no XCAP root: DNS TXT lookup of ${name} failed`, { cause: e }),
      ),
    ),
    switchMap((records) => {
      const root = records.map((r) => r.join('')).find((t) => /^https?:\/\//i.test(t.trim()));
      return root === undefined
        ? throwError(
            () =>
              new XcapCapabilitiesError(
                `no XCAP root: ${name} has no TXT record with an http(s) URI`,
              ),
          )
        : of(root.trim().replace(/\/+$/, ''));
    }),
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
        error: toXcapError(e, 'capabilities'),
      });
      // No root, or required AUIDs missing: only new settings can help.
      if (e instanceof XcapCapabilitiesError) return failed;
      // A broken answer (a truncated or hostile xcap-caps document, an HTTP error that is not
      // transient) may be gone later: report it and discover again after a backoff, instead of
      // waiting in initializing for new settings that nothing calls for (robustness test "a
      // malformed xcap-caps answer is reported and retried, not wedging initializing").
      const delay = backoffDelay(ports.backoff, failures + 1, ports.random);
      return concat(
        failed,
        timer(delay, ports.scheduler).pipe(
          switchMap(() => discover(settings, ports, failures + 1)),
        ),
      );
    }),
  );
}
