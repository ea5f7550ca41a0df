/**
 * The manager's public entry: `createXcapManager` and its types (the implementation is in
 * ./manager/: the pure machine, its effects and the facade).
 */

export {
  KAMAILIO_XCAP_SERVER,
  RFC4825_SERVER,
  type XcapServerProfile,
} from './element-writes/server-profile.js';
export { canonicalAccount } from './manager/account.js';
export { createXcapManager } from './manager/create-xcap-manager.js';
export {
  XcapManagerClosedError,
  XcapNotDurableError,
  XcapSettingsError,
  XcapStoppedError,
} from './manager/errors.js';
export type {
  DroppedEditError,
  LocalAddressbook,
  LocalValue,
  PendingEdit,
  PendingEditState,
  XcapLocalViews,
} from './manager/local-types.js';
export type { XcapLocalSnapshot, XcapSnapshot } from './manager/snapshot.js';
export type { ExternalStore } from './manager/snapshot-store.js';
export type { XcapConnectivity, XcapDiffStatus, XcapStatus } from './manager/status.js';
export type { XcapTransaction } from './manager/transactions.js';
/** The manager's public types. @example import type { XcapManager } from 'rxcap'; */
export type {
  LifecycleEvent,
  StateChange,
  XcapManager,
  XcapManagerOptions,
} from './manager/types.js';
export type { XcapState } from './streams/events.js';
export type { ElementWritesSetting } from './streams/server-knowledge.js';
export type { AccountSettings } from './streams/settings.js';
