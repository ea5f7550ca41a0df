#!/usr/bin/env bash
# The API reference (`npm run docs`, also a step of `npm test`): TypeDoc over the package's
# entry points into docs-api/ (HTML and api.json), warnings are errors, then check.mjs fails on
# any export without documentation or an @example. TypeDoc needs TypeScript 5's compiler API,
# so it has its own install here (the project's tsc is TypeScript 7).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline >/dev/null
fi
cd ../..
rm -rf docs-api
node scripts/api-docs/node_modules/typedoc/bin/typedoc --options scripts/api-docs/typedoc.json \
  --logLevel Warn
node scripts/api-docs/check.mjs docs-api/api.json
