import { firstValueFrom, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openSipJs, SipUnavailableError, sipDiffPort } from '../../src/sip/index.js';
import type { DiffSettings } from '../../src/streams/ports.js';
import { fakeSipTransport } from './fake-sip-transport.js';

const SETTINGS: DiffSettings = {
  aor: 'sip:u210@example.com',
  xui: 'sip:u210@example.com',
  username: 'u210',
  password: 'u210-secret',
  xcapRoot: 'http://127.0.0.1/xcap-root',
  subscribeInterval: 600,
  documents: [],
};

/** A FAKE transport class whose connect always fails. */
class FakeRefusingTransport extends fakeSipTransport().FakeTransport {
  override connect(): Promise<void> {
    return Promise.reject(new Error('ECONNREFUSED'));
  }
}

describe('openSipJs / sipDiffPort', () => {
  it('is unavailable when no transport of the settings can be used', async () => {
    const error = await firstValueFrom(
      openSipJs()({ ...SETTINGS, transports: ['tcp', 'udp'] }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(SipUnavailableError);
    expect((error as SipUnavailableError).code).toBe('RXCAP_SIP_UNAVAILABLE');
  });

  it('falls back to the next transport when one does not connect', async () => {
    const fake = fakeSipTransport();
    const port = await firstValueFrom(
      openSipJs({
        transportConstructors: {
          tls: FakeRefusingTransport as never,
          tcp: fake.FakeTransport as never,
        },
      })({ ...SETTINGS, outboundProxy: 'sip:127.0.0.1', transports: ['tls', 'tcp'] }),
    );
    expect(port.notify$).toBeDefined();
  });

  it('sipDiffPort reports unavailable through watch()', async () => {
    const events = await firstValueFrom(
      sipDiffPort()
        .watch({ ...SETTINGS, transports: ['udp'] }, { terminate$: new Subject() })
        .pipe(take(2), toArray()),
    );
    expect(events).toEqual([
      { type: 'state', state: 'pending' },
      { type: 'state', state: 'unavailable', reason: 'no usable SIP transport for these settings' },
    ]);
  });
});
