import { expect, it } from 'vitest';
import { clientFactory } from '../src/manager-defaults.js';

const connection = {
  root: 'https://xcap.example.com/xcap-root',
  xui: 'sip:alice@example.com',
  username: 'alice',
  password: 's3cret',
};

it('keeps one client while the connection is the same', () => {
  const http = clientFactory();
  expect(http(connection)).toBe(http({ ...connection }));
});

it("a DNS-derived root gets a client that refuses Basic, not the configured root's client", () => {
  const http = clientFactory();
  const configured = http(connection); // xcap.root given: Basic over https allowed
  const fromDns = http({ ...connection, allowBasic: false }); // same root, found through DNS
  expect(fromDns).not.toBe(configured);
});
