import { describe, expect, it } from 'vitest';
import { XcapClient } from '../../src/client/index.js';

const root = 'https://xcap.example.com/xcap-root';

describe('XcapClient XUI', () => {
  it('XcapClient adds sip: to a bare XUI, as the manager does with account ids', () => {
    const client = new XcapClient({ root, xui: 'alice@example.com' });
    expect(client.xui).toBe('sip:alice@example.com');
    expect(client.url('resource-lists')).toBe(
      'https://xcap.example.com/xcap-root/resource-lists/users/sip:alice@example.com/index',
    );
    expect(client.username).toBe('alice');
  });

  it.each([
    ['sip:alice@example.com'],
    ['sips:alice@example.com'],
    ['tel:+15551234567'],
    ['SIP:alice@example.com'],
  ])('keeps an XUI that has a scheme: %s', (xui) => {
    expect(new XcapClient({ root, xui }).xui).toBe(xui);
  });
});
