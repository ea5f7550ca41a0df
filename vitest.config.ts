import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const PACKAGE_ALIASES = [
  { find: /^rxcap\/testing$/, replacement: src('testing/index.ts') },
  { find: /^rxcap$/, replacement: src('node.ts') },
];

// Four projects: `unit` needs nothing but Node; `integration` talks to the real Kamailio
// test server that scripts/test.sh starts (connection facts come from test-server/run/env.json);
// `browser` drives Chromium against that server; `package` packs the tarball and installs it
// into a fresh project (npm and its cache).
export default defineConfig({
  test: {
    projects: [
      {
        // Examples import the package by name, as users do.
        resolve: { alias: PACKAGE_ALIASES },
        test: {
          name: 'unit',
          // examples/*.test.ts show users how to test their code with rxcap/testing.
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/browser/**', 'test/package/**'],
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
      {
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
