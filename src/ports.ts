/**
 * `rxcap/ports`: the ports through which the manager reaches the outside world (HTTP, xcap-diff,
 * DNS, documents), their default implementations, the retry policy, and the pure helpers that
 * turn account settings into connections. For special deployments and tests that replace a
 * port (see also `rxcap/testing`).
 *
 * @example
 * ```ts
 * import { type DiffPort, unavailableDiffPort } from 'rxcap/ports';
 * createXcapManager({ account, sip: unavailableDiffPort }); // polling only
 * ```
 *
 * @packageDocumentation
 */

export {
  KAMAILIO_XCAP_SERVER,
  RFC4825_SERVER,
  type XcapServerProfile,
} from './element-writes/server-profile.js';
export {
  type ClientOptions,
  clientFactory,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_PERIOD,
  defaultEngine,
  noDns,
} from './manager-defaults.js';
export * from './streams/ports.js';
export {
  type ElementWritesSetting,
  learningServers,
  profileOfServerHeader,
  type ServerKnowledge,
  serverKnowledge,
} from './streams/server-knowledge.js';
export {
  classifySettingsChange,
  connectionOf,
  diffSettingsOf,
  domainOf,
  type SettingsChangeKind,
  xuiOf,
} from './streams/settings.js';
