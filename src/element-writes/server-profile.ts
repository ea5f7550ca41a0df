/**
 * What an XCAP server does with element and attribute writes (RFC 4825 §7.4–7.6, §8.2.3), as
 * far as the write planner must know it. Two profiles: the RFC's own semantics, and Kamailio
 * 5.6's `xcap_server`, whose deviations were measured against the test server
 * (test/integration/element-writes.test.ts checks each of them).
 */

/**
 * How a server applies element and attribute writes.
 *
 * @example createXcapManager({ account, elementWrites: { ...RFC4825_SERVER, name: 'my-server' } })
 */
export interface XcapServerProfile {
  /** A name for traces and errors. */
  readonly name: string;
  /**
   * A PUT that replaces an element keeps it where it was (RFC 4825 §8.2.3). When false, the
   * replaced element moves to the end of its parent (Kamailio: unlink, then append).
   */
  readonly replaceInPlace: boolean;
  /**
   * A PUT that inserts honours the position predicate of its last step and otherwise inserts
   * after the last sibling of the same name (RFC 4825 §8.2.3). When false, every new element is
   * appended as the last child of its parent.
   */
  readonly positionalInsert: boolean;
  /** Attributes can be PUT and DELETEd on their own (RFC 4825 §7.5, §7.6). */
  readonly attributeWrites: boolean;
  /**
   * Character references (`&amp;`, `&quot;`) inside an attribute test are understood (RFC 4825
   * §6.3 `att-value` is an XML AttValue). When false (Kamailio passes the selector to libxml2's
   * XPath as it is) an attribute test may only use values that need no escaping.
   */
  readonly escapedPredicateValues: boolean;
  /**
   * Writes must be idempotent (RFC 4825 §8.2.3, §8.2.5): a PUT is refused with 409
   * `<cannot-insert>` when the same URI would not then select the element PUT, a DELETE with
   * 409 `<cannot-delete>` when the same URI would still select an element (a positional step
   * naming an element that is not the last of its siblings). When false, such writes are
   * applied.
   */
  readonly idempotentWrites: boolean;
}

/**
 * A server that follows RFC 4825 (OpenXCAP, for instance): replacement in place, positional
 * insertion, attribute writes, and only idempotent writes (no positional DELETE of an element
 * in the middle).
 *
 * @example planElementWrites(before, after, { server: RFC4825_SERVER })
 */
export const RFC4825_SERVER: XcapServerProfile = Object.freeze({
  name: 'rfc4825',
  replaceInPlace: true,
  positionalInsert: true,
  attributeWrites: true,
  escapedPredicateValues: true,
  idempotentWrites: true,
});

/**
 * Kamailio 5.6 `xcap_server`: a replaced element moves to the end of its parent, a new element
 * is always appended, attribute selectors and `?xmlns()` bindings are refused with a bare 500,
 * element names in steps only match unprefixed elements (so the planner uses `*` steps), and
 * attribute tests are compared as written (no character references).
 *
 * @example planElementWrites(before, after, { server: KAMAILIO_XCAP_SERVER })
 */
export const KAMAILIO_XCAP_SERVER: XcapServerProfile = Object.freeze({
  name: 'kamailio-xcap_server',
  replaceInPlace: false,
  positionalInsert: false,
  attributeWrites: false,
  escapedPredicateValues: false,
  idempotentWrites: false,
});
