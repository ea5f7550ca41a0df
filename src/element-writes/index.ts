/**
 * Element-level writes (RFC 4825 §7.4–7.6): a pure planner that turns a document change into
 * the smallest set of element and attribute PUTs and DELETEs for a given server, the data types
 * of those writes, an in-memory model of how servers apply them, and the sibling-order rules
 * that say which reorderings a reader does not see.
 *
 * @example
 * ```ts
 * import { KAMAILIO_XCAP_SERVER, planElementWrites } from './element-writes/index.js';
 * const plan = planElementWrites(before, after, { server: KAMAILIO_XCAP_SERVER });
 * ```
 */
export {
  applyElementWrite,
  bodyOf,
  type ElementWrite,
  nodeSelectorOf,
  type SelectorStep,
  XcapElementWriteError,
} from './element-write.js';
export {
  type ElementWritePlan,
  type PlanElementWritesOptions,
  type PlannedWrite,
  planElementWrites,
} from './plan-element-writes.js';
export { approxSize } from './plan-size.js';
export { repairableOrder, rxcapSources } from './repairable-order.js';
export { KAMAILIO_XCAP_SERVER, RFC4825_SERVER, type XcapServerProfile } from './server-profile.js';
export {
  equivalentElements,
  identityKey,
  movableToEnd,
  rxcapSiblingOrder,
  type SiblingOrder,
  strictSiblingOrder,
} from './sibling-order.js';
