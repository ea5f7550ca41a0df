/**
 * The manager's own typed errors: a call after `close()`, an edit that is not durable, a
 * settings stream that cannot give the account, and a wait for a sync of a stopped manager.
 */
import { XcapError } from '../errors.js';

/**
 * The manager was closed: `close()` is final, every later call rejects (or throws) with this.
 *
 * @example await manager.start().catch((e) => e.code === 'RXCAP_MANAGER_CLOSED' && reopen());
 */
export class XcapManagerClosedError extends XcapError {
  /** The call that was refused, e.g. `start`. */
  readonly call: string;

  constructor(call: string) {
    super('RXCAP_MANAGER_CLOSED', `${call}() after close(): the manager is closed`);
    this.call = call;
  }
}

/**
 * `flush()` could not make the operations made before it durable: the journal write failed
 * (disk full, store locked by another owner, store not loadable). `cause` is the store's error.
 * The operations stay journaled in memory and the write is retried when the store can write.
 *
 * @example await manager.flush().catch((e) => e.code === 'RXCAP_NOT_DURABLE' && warnUnsaved());
 */
export class XcapNotDurableError extends XcapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RXCAP_NOT_DURABLE', message, options);
  }
}

/**
 * The `account` stream ended without a value or failed: there is no account to load or start.
 * `cause` is the stream's error, if any.
 *
 * @example await manager.start().catch((e) => e.code === 'RXCAP_SETTINGS' && askForAccount());
 */
export class XcapSettingsError extends XcapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RXCAP_SETTINGS', message, options);
  }
}

/**
 * `whenInSync()` cannot be answered: the manager is not started, or `stop()` was called before
 * it was in sync. Start it (again) and ask again.
 *
 * @example await manager.whenInSync().catch((e) => e.code === 'RXCAP_STOPPED' && manager.start());
 */
export class XcapStoppedError extends XcapError {
  constructor(message = 'the manager is stopped: start() it before waiting for a sync') {
    super('RXCAP_STOPPED', message);
  }
}
