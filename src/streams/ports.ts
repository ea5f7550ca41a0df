/**
 * The ports bundle of the sync pipelines. The ports themselves live in src/ports/ (adapters in
 * src/client, src/sip and src/store implement them without importing this layer); they are
 * re-exported here for the pipelines and their tests. Nothing in this file imports a `node:`
 * module.
 */
import type { SchedulerLike } from 'rxjs';
import type { XcapError } from '../errors.js';
import type { BackoffPolicy } from '../ports/backoff-policy.js';
import type { DiffPort } from '../ports/diff-port.js';
import type { DnsPort } from '../ports/dns-port.js';
import type { DocumentEngine, SyncDocuments } from '../ports/document-engine.js';
import type { HttpFactory, TraceEntry } from '../ports/http-port.js';
import type { ServerKnowledge } from './server-knowledge.js';

export * from '../ports/index.js';

/**
 * Everything a pipeline may touch. Time only through `scheduler`, randomness only through
 * `random`, so that marble tests are deterministic.
 *
 * @example runMachine(input$, { ...ports, scheduler: testScheduler, random: () => 0 });
 */
export interface PipelinePorts {
  readonly http: HttpFactory;
  readonly dns: DnsPort;
  readonly diff: DiffPort;
  readonly engine: DocumentEngine;
  /**
   * The safety check the update runs on the held documents before the engine: the manager
   * passes `checkDocumentRoots` (./document-roots.ts), whatever engine it is given; marble tests
   * of fake documents pass the identity.
   */
  readonly checkRoots: (docs: SyncDocuments) => SyncDocuments;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  /** Network, timeout, 5xx, 429 (the client's `isTransient`). */
  readonly isTransient: (error: unknown) => boolean;
  /** Retry-After of an error in ms, if any (the client's `retryAfterMs`). */
  readonly retryAfterMs: (error: unknown) => number | undefined;
  /** Polling period while xcap-diff is not active (default 2 minutes). */
  readonly pollPeriod: number;
  /**
   * How each server applies element writes (RFC 4825 §7.4–7.6); absent: every change is a
   * whole-document PUT.
   */
  readonly servers?: ServerKnowledge;
  /** Receives one entry per HTTP exchange. */
  readonly trace?: (entry: TraceEntry) => void;
  /**
   * Told before every wait of a retry a pipeline runs itself (a transient failure retried in
   * place, a rediscovery, the machine's retry timer), so that the manager's status can count
   * the failures and say when the next attempt is due.
   */
  readonly retrying?: (notice: RetryNotice) => void;
}

/**
 * A retry about to wait: `delay` ms (scheduler time) before attempt `attempt + 1`. `error` is
 * the failure being retried in place (a transient HTTP or DNS failure); it is absent when the
 * failure already reached the machine as an event and only the wait is news.
 *
 * @example ports.retrying?.({ error, attempt: 2, delay: 4000 });
 */
export interface RetryNotice {
  readonly error?: XcapError;
  readonly attempt: number;
  readonly delay: number;
  /** What is retried: the XCAP server (default) or the xcap-diff subscription. */
  readonly target?: 'xcap' | 'xcap-diff';
}
