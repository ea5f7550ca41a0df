import { describe, expect, it } from 'vitest';
import { sipTargets } from '../../src/sip/sip-targets.js';

const aor = 'sip:alice@example.com';

describe('sipTargets', () => {
  it.each([
    ['ws://127.0.0.1:5066/ws', undefined, [{ transport: 'ws', server: 'ws://127.0.0.1:5066/ws' }]],
    ['wss://sip.example.org', undefined, [{ transport: 'wss', server: 'wss://sip.example.org' }]],
    [
      'sip:127.0.0.1:5060;transport=tcp',
      undefined,
      [{ transport: 'tcp', server: '127.0.0.1:5060' }],
    ],
    ['sips:proxy.example.org', undefined, [{ transport: 'tls', server: 'proxy.example.org:5061' }]],
    ['<sip:[::1]:5070;transport=tls;lr>', undefined, [{ transport: 'tls', server: '[::1]:5070' }]],
    [
      '127.0.0.1:5060',
      ['tcp', 'udp', 'ws'],
      [
        { transport: 'tcp', server: '127.0.0.1:5060' },
        { transport: 'ws', server: 'ws://127.0.0.1:5060' },
      ],
    ],
    [
      undefined,
      undefined,
      [
        { transport: 'wss', server: 'wss://example.com:443' },
        { transport: 'tcp', server: 'example.com:5060' },
      ],
    ],
    [undefined, ['udp'], []],
  ] as const)('%s %j', (outboundProxy, transports, expected) => {
    expect(
      sipTargets({
        aor,
        ...(outboundProxy !== undefined ? { outboundProxy } : {}),
        ...(transports !== undefined ? { transports } : {}),
      }),
    ).toEqual(expected);
  });

  it('an account id with a port: the domain without it (was taken for an IPv6 host)', () => {
    expect(sipTargets({ aor: 'sip:alice@example.com:5070' })).toEqual([
      { transport: 'wss', server: 'wss://example.com:443' },
      { transport: 'tcp', server: 'example.com:5060' },
    ]);
  });

  it("the proxy's port is its own transport's: other transports take their default port", () => {
    // Regression: a WebSocket proxy's port (8443) was used for raw TCP, a TCP port for TLS.
    expect(
      sipTargets({
        aor,
        outboundProxy: 'wss://sip.example.com:8443/ws',
        transports: ['wss', 'tcp'],
      }),
    ).toEqual([
      { transport: 'wss', server: 'wss://sip.example.com:8443/ws' },
      { transport: 'tcp', server: 'sip.example.com:5060' },
    ]);
    expect(
      sipTargets({
        aor,
        outboundProxy: 'sip:proxy.example.org:5080;transport=tcp',
        transports: ['tcp', 'tls'],
      }),
    ).toEqual([
      { transport: 'tcp', server: 'proxy.example.org:5080' },
      { transport: 'tls', server: 'proxy.example.org:5061' },
    ]);
  });
});
