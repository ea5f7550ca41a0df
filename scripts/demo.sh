#!/usr/bin/env bash
# The main job (the README's first command, `npm run demo`): installs what it needs, starts the
# Kamailio XCAP test server on loopback, runs the demo (demo/main.ts) and stops the server again.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing npm packages"
# `npm install`, not `npm ci`: it installs the versions pinned in package-lock.json too, but
# tolerates optional per-platform packages (Biome's, esbuild's) that a registry mirror may not
# serve; `npm ci` refuses any lock file without every platform's entries.
# `--no-save`: never rewrite the tracked package-lock.json (the demo and the tests leave the
# working tree clean).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-save --no-audit --no-fund
fi
echo "== installing the Kamailio test server (Debian packages)"
bash test-server/install.sh
echo "== starting the Kamailio test server on loopback"
bash test-server/start.sh
trap 'bash test-server/stop.sh >/dev/null 2>&1 || true' EXIT
npx tsx demo/main.ts "$@"
