/**
 * Errors the manager's pipelines put on `error$` (besides the client's HTTP errors).
 */
import { XcapError } from '../errors.js';

/**
 * The XCAP server could not be used: no XCAP root (setting absent and no DNS TXT record), or
 * its xcap-caps lack a required AUID. The manager waits for new settings.
 *
 * @example if (e.code === 'RXCAP_CAPABILITIES') console.warn(e.missing);
 */
export class XcapCapabilitiesError extends XcapError {
  /** Required AUIDs the server does not offer (empty when the root itself is the problem). */
  readonly missing: readonly string[];
  /** The XCAP root, when one was found. */
  readonly root: string | undefined;

  constructor(
    message: string,
    init: { missing?: readonly string[]; root?: string; cause?: unknown } = {},
  ) {
    super(
      'RXCAP_CAPABILITIES',
      message,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.missing = init.missing ?? [];
    this.root = init.root;
  }
}

/**
 * The server rejected a document (409, RFC 4825 §11) and this journaled operation was found
 * to be the cause; it was dropped so that the rest could sync.
 *
 * @example manager.error$.subscribe((e) => { if (e instanceof XcapOperationRejectedError) undo(e.operation); });
 */
export class XcapOperationRejectedError extends XcapError {
  /** Journal id of the dropped operation. */
  readonly operationId: string;
  /** The dropped operation (JSON data). */
  readonly operation: { readonly type: string };

  constructor(operationId: string, operation: { readonly type: string }, cause: unknown) {
    super(
      'RXCAP_OPERATION_REJECTED',
      `the server rejected operation ${operation.type} (${operationId}); it was dropped`,
      { cause },
    );
    this.operationId = operationId;
    this.operation = operation;
  }
}

/**
 * A journaled operation that no longer applies when the update runs, so it was dropped: it
 * names a contact, group, policy or contact URI that does not exist (an id that was never on
 * the server, made before the first sync, or an item another device removed meanwhile), or a
 * document the server does not offer. A removal whose target is already gone is not reported
 * (its goal holds).
 *
 * @example manager.error$.subscribe((e) => { if (e instanceof XcapOperationDroppedError) console.warn(e.reason, e.operation); });
 */
export class XcapOperationDroppedError extends XcapError {
  /** Journal id of the dropped operation. */
  readonly operationId: string;
  /** The dropped operation (JSON data). */
  readonly operation: { readonly type: string };
  /** Why it does not apply, e.g. `contact id123 not found`. */
  readonly reason: string;

  constructor(operationId: string, operation: { readonly type: string }, reason: string) {
    super(
      'RXCAP_OPERATION_DROPPED',
      `operation ${operation.type} (${operationId}) no longer applies (${reason}); it was dropped`,
    );
    this.operationId = operationId;
    this.operation = operation;
    this.reason = reason;
  }
}

/**
 * An unexpected failure inside a pipeline (a document that does not parse, a bug); `phase`
 * tells where. The manager keeps running and retries on the next trigger.
 *
 * @example if (e.code === 'RXCAP_SYNC') console.error(e.phase, e.cause);
 */
export class XcapSyncError extends XcapError {
  readonly phase:
    | 'capabilities'
    | 'fetch'
    | 'update'
    | 'diff'
    | 'storage'
    | 'pipeline'
    | 'extract'
    | 'settings';

  constructor(phase: XcapSyncError['phase'], cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('RXCAP_SYNC', `${phase} failed: ${detail}`, { cause });
    this.phase = phase;
  }
}

/**
 * Wraps anything thrown into an {@link XcapError} (errors that already are one pass through).
 *
 * @example toXcapError(new TypeError('x'), 'fetch').code // 'RXCAP_SYNC'
 */
export function toXcapError(error: unknown, phase: XcapSyncError['phase']): XcapError {
  return error instanceof XcapError ? error : new XcapSyncError(phase, error);
}

/**
 * HTTP status of an error, if it carries one (the client's `XcapHttpError`).
 *
 * @example statusOf(new XcapHttpError({ status: 412, ... })) // 412
 */
export function statusOf(error: unknown): number | undefined {
  const s = (error as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/**
 * 401/403 (or an unusable challenge, `RXCAP_AUTH`): report and wait for new settings.
 *
 * @example isAuthFailure(new XcapHttpError({ status: 401, ... })) // true
 */
export function isAuthFailure(error: unknown): boolean {
  const s = statusOf(error);
  return s === 401 || s === 403 || (error as { code?: unknown } | null)?.code === 'RXCAP_AUTH';
}
