#!/usr/bin/env bash
# Installs the Kamailio 5.6 test server from Debian 12's packages (DESIGN §4). Idempotent and
# fast when everything is there: `apt-get update` runs at most once, and only when a package is
# missing. The package's own init script must not start a system Kamailio on our ports, so a
# policy-rc.d that denies service starts is in force during the install (and any service the
# package managed to start anyway is stopped and disabled afterwards).
set -euo pipefail

PACKAGES=(
  kamailio
  kamailio-presence-modules
  kamailio-sqlite-modules
  kamailio-xml-modules
  kamailio-websocket-modules
  kamailio-utils-modules
  sqlite3
  curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test-server: Kamailio packages already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo -n)
fi

echo "test-server: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Deny service starts while the packages install (exit 101 = "action forbidden"), restoring
# whatever policy-rc.d was there before.
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

if ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Belt and braces: if a system Kamailio came up anyway, stop it and keep it from starting.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${SUDO[@]}" systemctl disable --now kamailio >/dev/null 2>&1 || true
elif [ -x /etc/init.d/kamailio ]; then
  "${SUDO[@]}" /etc/init.d/kamailio stop >/dev/null 2>&1 || true
  "${SUDO[@]}" update-rc.d kamailio disable >/dev/null 2>&1 || true
fi
echo "test-server: installed"
