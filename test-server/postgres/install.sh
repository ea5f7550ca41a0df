#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages for the tests that need a real one (PostgreSQL
# storage, account ownership across processes). Idempotent and instant when it is there:
# `apt-get update` runs once, only when the package is missing. A policy-rc.d that denies
# service starts is in force during the install, so the package's own cluster does not start.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

if pg_bindir >/dev/null && dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed'; then
  echo "test-server/postgres: PostgreSQL already installed ($(pg_bindir))"
  exit 0
fi

SUDO=()
[ "$(id -u)" -ne 0 ] && SUDO=(sudo -n)
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
  backup="$(mktemp)"
  "${SUDO[@]}" cp -p "$policy" "$backup"
fi
restore_policy() {
  if [ -n "$backup" ]; then
    "${SUDO[@]}" cp -p "$backup" "$policy"
    rm -f "$backup"
  else
    "${SUDO[@]}" rm -f "$policy"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
"${SUDO[@]}" chmod 755 "$policy"

echo "test-server/postgres: installing postgresql"
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y postgresql
pg_bindir >/dev/null || { echo "test-server/postgres: no server binaries after the install" >&2; exit 1; }
echo "test-server/postgres: installed ($(pg_bindir))"
