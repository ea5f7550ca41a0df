/**
 * What `whenInSync()` decides at each step of the manager's actor, as a pure function of its
 * context: resolve (in sync, nothing pending), reject with the error that only the application
 * can cure (new settings, a start), or keep waiting (working, or retrying a failure that may
 * pass by itself).
 */
import type { XcapError } from '../errors.js';
import { XcapManagerClosedError, XcapStoppedError } from './errors.js';
import type { ManagerContext } from './machine-types.js';

/**
 * The decision of `whenInSync()` in `context`: `'done'`, `'wait'` or the error to reject with.
 *
 * @example inSyncDecision(context) === 'done' && resolve();
 */
export function inSyncDecision(context: ManagerContext): 'wait' | 'done' | XcapError {
  const c = context;
  if (c.phase !== 'open') return new XcapManagerClosedError('whenInSync');
  // Waiting for new settings: the account stream gave none, the credentials were refused, or
  // there is no usable XCAP server at the root. A retry cannot cure these.
  if (c.settings === null && c.settingsError !== null) return c.settingsError;
  if (c.load === 'failed' && c.loadError !== null) return c.loadError;
  if (c.sync.blocked === 'auth' && c.health.lastError !== null) return c.health.lastError;
  if (c.sync.blocked === 'capabilities' && c.health.lastError?.code === 'RXCAP_CAPABILITIES')
    return c.health.lastError;
  if (
    c.sync.state === 'insync' &&
    c.sync.journal.length === 0 &&
    c.held.length === 0 &&
    !c.switching
  )
    return 'done';
  if (c.intent === 'stopped') return new XcapStoppedError();
  return 'wait';
}
