import { defineConfig } from 'vitest/config';

// Three projects: `unit` needs nothing but Node; `integration` talks to the real Kamailio
// test server that scripts/test.sh starts (connection facts come from test-server/run/env.json);
// `browser` drives Chromium against that server.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/browser/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Kamailio serves every integration file; run files one after another so that
          // accounts and timings do not interfere.
          fileParallelism: false,
        },
      },
      {
        // Real Chromium (Debian's package, scripts/install-chromium.sh) against the Kamailio
        // test server; scripts/test.sh runs it after the integration tests.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
