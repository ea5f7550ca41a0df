/**
 * The manager's HTTP port onto the in-memory XCAP server: each request is answered by
 * `handle` (after `latency` ms on `scheduler`), a non-success answer is an XcapHttpError as the
 * real client raises it. The other way in is the HTTP listener (./xcap-http-listener.ts).
 */
import { defer, map, type Observable, type SchedulerLike, timer } from 'rxjs';
import { XcapHttpError } from '../client/errors.js';
import type {
  Connection,
  HttpFactory,
  HttpRequestOptions,
  HttpResource,
  HttpResponse,
  XcapHttp,
} from '../streams/ports.js';
import type { XcapServerAnswer, XcapServerRequest } from './in-memory-xcap-server.js';

/**
 * An HttpFactory whose requests `handle` answers.
 *
 * @example const http = inMemoryHttpPort(server.handle, { root: server.root, latency: 0, scheduler: asyncScheduler });
 */
export function inMemoryHttpPort(
  handle: (
    request: XcapServerRequest,
    credentials?: { username?: string; password?: string },
  ) => XcapServerAnswer,
  options: { readonly root: string; readonly latency: number; readonly scheduler: SchedulerLike },
): HttpFactory {
  const { root, latency, scheduler } = options;
  return (connection: Connection): XcapHttp => {
    const exchange = <T>(
      method: XcapServerRequest['method'],
      auid: string,
      o: HttpRequestOptions,
      body: string | undefined,
      ok: (a: XcapServerAnswer, url: string) => T | undefined,
    ): Observable<T> => {
      const run = () => {
        const request: XcapServerRequest = {
          method,
          xui: o.global === true ? null : connection.xui,
          auid,
          filename: o.filename ?? 'index',
          global: o.global === true,
          node: o.node,
          etag: o.etag,
          ifNoneMatch: o.ifNoneMatch,
          body,
        };
        const url = `${root}/${auid}/${o.global === true ? 'global' : `users/${connection.xui}`}/${request.filename}${o.node === undefined ? '' : `/~~/${o.node}`}`;
        const a = handle(request, {
          ...(connection.username === undefined ? {} : { username: connection.username }),
          ...(connection.password === undefined ? {} : { password: connection.password }),
        });
        const value = ok(a, url);
        if (value !== undefined) return [value];
        throw new XcapHttpError({ status: a.status, url, method, headers: {}, body: a.body });
      };
      const later = latency > 0 ? timer(latency, scheduler) : defer(() => [0]);
      return later.pipe(
        map(() => run()),
        map((v) => v[0] as T),
      );
    };
    return {
      get: (auid, o = {}) =>
        exchange<HttpResource>('GET', auid, o, undefined, (a, url) =>
          a.status === 200 || a.status === 304
            ? {
                status: a.status,
                etag: a.etag,
                body: a.body,
                contentType: a.contentType,
                headers: {},
                url,
              }
            : undefined,
        ),
      put: (auid, body, o = {}) =>
        exchange<HttpResponse>('PUT', auid, o, body, (a, url) =>
          a.status < 300 ? { status: a.status, etag: a.etag, url, headers: {} } : undefined,
        ),
      delete: (auid, o = {}) =>
        exchange<HttpResponse>('DELETE', auid, o, undefined, (a, url) =>
          a.status < 300 ? { status: a.status, etag: a.etag, url, headers: {} } : undefined,
        ),
    };
  };
}
