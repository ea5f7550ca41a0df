import { defer, EMPTY, type Observable, Subject } from 'rxjs';
import type {
  NotifyRequest,
  SipDialogPort,
  SubscribeRequest,
  SubscribeResponse,
} from '../../src/sip/dialog-port.js';

/** What the fake answers to the n-th SUBSCRIBE (from 0): a response and NOTIFYs to send. */
export interface FakeStep {
  readonly response?: Observable<SubscribeResponse>;
  readonly notifies?: Observable<NotifyRequest>;
}

/**
 * A FAKE SIP dialog port for marble tests: records every SUBSCRIBE and answers from a script.
 * Script observables are `cold()` ones, so they run in virtual time.
 */
export function fakeSipPort(
  script: (request: SubscribeRequest, n: number) => FakeStep,
  now: () => number = () => 0,
): {
  port: SipDialogPort;
  requests: SubscribeRequest[];
  /** Virtual send times of the SUBSCRIBEs other than un-SUBSCRIBEs. */
  times: number[];
  /** Next a reason to simulate a lost connection. */
  disconnected$: Subject<string>;
} {
  const requests: SubscribeRequest[] = [];
  const times: number[] = [];
  const notify$ = new Subject<NotifyRequest>();
  const disconnected$ = new Subject<string>();
  const port: SipDialogPort = {
    notify$,
    disconnected$,
    subscribe: (request) =>
      defer(() => {
        const n = requests.length;
        requests.push(request);
        if (request.kind !== 'unsubscribe') times.push(now());
        const step = script(request, n);
        step.notifies?.subscribe((x) => notify$.next(x));
        return step.response ?? EMPTY;
      }),
  };
  return { port, requests, times, disconnected$ };
}

export const OK: SubscribeResponse = { status: 200, expires: 600 };
export const ACTIVE: NotifyRequest = { state: 'active', expires: 600, body: '' };
