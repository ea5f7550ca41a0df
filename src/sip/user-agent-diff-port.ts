/**
 * xcap-diff over the application's own sip.js `UserAgent`: a softphone page already keeps one
 * WebSocket to its SIP proxy, and the xcap-diff subscription (RFC 5875) rides on it instead of
 * opening a second connection. rxcap never starts, stops or reconfigures that UserAgent: it
 * waits for its transport to be connected, sends its SUBSCRIBEs through the UserAgent's core
 * (with the UserAgent's own credentials), and when the transport goes down, its subscription
 * starts over once the application's UserAgent has reconnected.
 */
import { Observable } from 'rxjs';
import type { UserAgent } from 'sip.js';
import type { DiffPort, DiffSettings } from '../ports/index.js';
import type { SipDialogPort, SipDialogPortFactory } from './dialog-port.js';
import { SipJsDialogPort } from './sipjs-dialog-port.js';
import {
  type XcapDiffSubscriptionOptions,
  xcapDiffSubscription,
} from './xcap-diff-subscription.js';

/**
 * The manager's diff port over an existing, application-owned sip.js `UserAgent` (sip.js 0.21).
 * The UserAgent's AOR is the subscribed resource and its credentials answer the challenges;
 * the account's `sip` settings are not used. Start the UserAgent yourself, before or after.
 *
 * @example
 * ```ts
 * const ua = new UserAgent({ uri, transportOptions: { server: 'wss://sip.example.com/ws' },
 *   authorizationUsername: 'alice', authorizationPassword: password });
 * await ua.start();
 * const manager = createXcapManager({ account, sip: userAgentDiffPort(ua) });
 * ```
 */
export function userAgentDiffPort(
  ua: UserAgent,
  options: XcapDiffSubscriptionOptions = {},
): DiffPort {
  const open = sharedUserAgentPort(ua);
  return { watch: (settings, control) => xcapDiffSubscription(open, settings, control, options) };
}

/**
 * Emits a dialog port over `ua` once its transport is connected; the port reports the
 * transport going down as a disconnection. Unsubscribing forgets the subscription dialog and
 * leaves the UserAgent as it is.
 *
 * @example sharedUserAgentPort(ua)(settings).subscribe((port) => port.subscribe(request));
 */
export function sharedUserAgentPort(ua: UserAgent): SipDialogPortFactory<DiffSettings> {
  return () =>
    new Observable<SipDialogPort>((subscriber) => {
      const server = String(
        (ua.configuration.transportOptions as { server?: unknown } | undefined)?.server ?? '',
      );
      const port = new SipJsDialogPort(ua, {
        aor: ua.configuration.uri.toString(),
        transport: server.startsWith('ws:') ? 'ws' : 'wss',
        server,
      });
      let emitted = false;
      // A listener, not `transport.onDisconnect`: the UserAgent owns that hook (it drives its
      // own reconnection) and replacing it would break the application's softphone.
      const onState = (state: string) => {
        if (state === 'Connected' && !emitted) {
          emitted = true;
          subscriber.next(port);
        } else if (state === 'Disconnected' && emitted) {
          port.disconnected(new Error('the UserAgent transport disconnected'));
        }
      };
      ua.transport.stateChange.addListener(onState);
      if (ua.transport.isConnected()) onState('Connected');
      return () => {
        ua.transport.stateChange.removeListener(onState);
        port.dispose();
      };
    });
}
