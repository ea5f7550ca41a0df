/**
 * The queue every state machine's loop feeds its events through: an event sent while one is
 * being handled (an effect or an observer that answers synchronously) waits its turn instead of
 * re-entering the transition, and a handler that throws does not leave the queue stuck (the
 * error propagates to the sender, the next event is handled).
 */

/**
 * A dispatch function that handles events one at a time, in order.
 *
 * @example
 * ```ts
 * const dispatch = serialDispatch((e: Event) => { state = transition(state, e); run(effects); });
 * dispatch({ type: 'start' });
 * ```
 */
export function serialDispatch<E>(
  handle: (event: E) => void,
  /** Stop handling (the loop ended): queued events are dropped. */
  closed: () => boolean = () => false,
): (event: E) => void {
  const queue: E[] = [];
  let draining = false;
  return (event) => {
    queue.push(event);
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0 && !closed()) handle(queue.shift()!);
    } finally {
      draining = false;
    }
  };
}
