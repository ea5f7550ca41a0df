import { assertBoolean, assertPolicy, type PolicyValue } from './validation.js';

/** Plain JSON form of an {@link EventHandling}. */
export interface EventHandlingData {
  readonly policy: PolicyValue;
  readonly subscribe: boolean;
}

/**
 * How one event package (presence or dialog) is handled for a contact or policy: the
 * authorization policy and whether rxcap subscribes through the RLS (sipsimple's EventHandling).
 *
 * @example
 * ```ts
 * const h = new EventHandling('allow', true);
 * ```
 */
export class EventHandling {
  readonly policy: PolicyValue;
  readonly subscribe: boolean;

  constructor(policy: PolicyValue = 'default', subscribe = false) {
    this.policy = assertPolicy(policy, 'policy');
    this.subscribe = assertBoolean(subscribe, 'subscribe');
    Object.freeze(this);
  }

  /** The default handling (as in sipsimple's XCAP API): policy `default`, no subscription. */
  static readonly DEFAULT: EventHandling = new EventHandling('default', false);

  /**
   * Builds from an instance or its JSON form (validating).
   *
   * @example EventHandling.from({ policy: 'block', subscribe: false })
   */
  static from(value: EventHandling | EventHandlingData | undefined | null): EventHandling {
    if (value === undefined || value === null) return EventHandling.DEFAULT;
    if (value instanceof EventHandling) return value;
    return new EventHandling(value.policy, value.subscribe);
  }

  /** @example new EventHandling('allow', true).equals(EventHandling.from({ policy: 'allow', subscribe: true })) // true */
  equals(other: EventHandlingData): boolean {
    return this.policy === other.policy && this.subscribe === other.subscribe;
  }

  /** @example JSON.stringify(new EventHandling('allow', true)) // '{"policy":"allow","subscribe":true}' */
  toJSON(): EventHandlingData {
    return { policy: this.policy, subscribe: this.subscribe };
  }
}
