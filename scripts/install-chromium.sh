#!/usr/bin/env bash
# Installs Debian's `chromium` package for the browser tests (test/browser/), which drive it
# with playwright-core: no browser is ever downloaded by npm. Idempotent and fast when it is
# there: `apt-get update` runs at most once, and only when the package is missing.
set -euo pipefail

if dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed'; then
  echo "chromium: already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo -n)
fi

echo "chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends chromium; then
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends chromium
fi
echo "chromium: installed ($(chromium --version 2>/dev/null || echo 'version unknown'))"
