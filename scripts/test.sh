#!/usr/bin/env bash
# The whole test suite, as the README's test command (`npm test`) and CI (`.ci/run`) run it:
# installs what it needs (npm packages, Kamailio and Chromium from Debian's packages), checks
# types and lint, runs the unit tests, then starts the real Kamailio XCAP test server on
# loopback, runs the integration tests and the browser tests (Chromium) against it, and stops
# it again, also when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "npm packages"
# `npm install`, not `npm ci`: it installs the versions pinned in package-lock.json too, but
# tolerates optional per-platform packages (Biome's, esbuild's) that a registry mirror may not
# serve; `npm ci` refuses any lock file without every platform's entries.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

step "Kamailio test server packages"
bash test-server/install.sh

step "PostgreSQL test cluster packages"
bash test-server/postgres/install.sh

step "Chromium (Debian's package, for the browser tests)"
bash scripts/install-chromium.sh

step "type check"
npx tsc --noEmit -p tsconfig.json

step "lint"
npx biome check .

step "unit tests"
rm -rf .test-results
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.test-results/unit.json

step "integration tests (Kamailio on loopback)"
bash test-server/start.sh
trap 'bash test-server/stop.sh' EXIT
# A throw-away PostgreSQL cluster for the PostgreSQL storage and ownership tests (port
# RXCAP_PG_PORT, default 54329), stopped with Kamailio.
bash test-server/postgres/start.sh
trap 'bash test-server/postgres/stop.sh; bash test-server/stop.sh' EXIT
npx vitest run --project integration --reporter=default --reporter=json \
  --outputFile.json=.test-results/integration.json

step "browser tests (Chromium against Kamailio)"
npx vitest run --project browser --reporter=default --reporter=json \
  --outputFile.json=.test-results/browser.json

node scripts/test-summary.mjs .test-results/unit.json .test-results/integration.json \
  .test-results/browser.json
