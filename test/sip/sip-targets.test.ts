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
});
