#!/usr/bin/env bash
# Starts the Kamailio XCAP/SIP test server on loopback in the background, from scratch: a fresh
# run directory (test-server/run/), a fresh sqlite database from the package schemas, the test
# accounts, a kamailio.cfg generated from kamailio.cfg.in, then waits until XCAP answers and
# writes test-server/run/env.json for the tests. See test-server/README.md.
#
# Environment (all optional):
#   RXCAP_HOST (127.0.0.1)  RXCAP_XCAP_PORT (5080)  RXCAP_SIP_PORT (5060)  RXCAP_WS_PORT (5066)
#   RXCAP_DOMAIN (example.com)  RXCAP_POOL_SIZE (600)  RXCAP_START_TIMEOUT (seconds, 20)
#
# `start.sh --keep` restarts with the database of the previous run (documents, accounts and
# subscriptions survive), e.g. to show a client riding out a server outage (the demo does).
set -euo pipefail

keep=""
[ "${1:-}" = "--keep" ] && keep=1

here="$(cd "$(dirname "$0")" && pwd)"
run="$here/run"

HOST="${RXCAP_HOST:-127.0.0.1}"
XCAP_PORT="${RXCAP_XCAP_PORT:-5080}"
SIP_PORT="${RXCAP_SIP_PORT:-5060}"
WS_PORT="${RXCAP_WS_PORT:-5066}"
DOMAIN="${RXCAP_DOMAIN:-example.com}"
POOL_SIZE="${RXCAP_POOL_SIZE:-600}"
START_TIMEOUT="${RXCAP_START_TIMEOUT:-20}"
# 8 MiB: TCP read buffer, xcap_server buffer and per-connection write queue (5 MB documents fit).
TCP_BUF=$((8 * 1024 * 1024))
# Every TCP connection takes an 8 MiB read buffer from shared memory up front, so shared memory
# bounds the number of simultaneous connections (6 GiB: ~700, enough for 500 benchmark accounts
# connected at once). It is reserved, not used: untouched pages cost no RAM. Capped at half the RAM.
mem_mb=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024))
default_shm=$((mem_mb / 2 < 6144 ? mem_mb / 2 : 6144))
default_shm=$((default_shm < 1024 ? 1024 : default_shm))
SHM_MB="${RXCAP_SHM_MB:-$default_shm}"
PKG_MB="${RXCAP_PKG_MB:-128}"
CHILDREN="${RXCAP_CHILDREN:-2}"

fail() {
  echo "test-server: $*" >&2
  if [ -f "$run/kamailio.log" ]; then
    echo "---- last lines of $run/kamailio.log ----" >&2
    tail -n 40 "$run/kamailio.log" >&2
  fi
  exit 1
}

command -v kamailio >/dev/null 2>&1 || fail "kamailio is not installed: run bash test-server/install.sh"
command -v sqlite3 >/dev/null 2>&1 || fail "sqlite3 is not installed: run bash test-server/install.sh"

# A server from an earlier start would hold the ports and the run directory.
bash "$here/stop.sh"

# A test server started from another checkout of rxcap (e.g. a developer's tree when CI runs in
# a fresh clone on the same machine) holds the same ports. When one of our ports is taken,
# stop exactly those: main processes (own process group) of `kamailio … -f <dir>/test-server/
# run/kamailio.cfg`. Nothing else is touched.
port_taken() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
if port_taken "$XCAP_PORT" || port_taken "$SIP_PORT" || port_taken "$WS_PORT"; then
  others="$(ps -eo pid=,pgid=,args= | awk '$1 == $2 && $3 == "kamailio" && $0 ~ /-f [^ ]*\/test-server\/run\/kamailio\.cfg/ { print $1 }')"
  for pid in $others; do
    echo "test-server: stopping another rxcap test server (pid $pid) that holds our ports" >&2
    kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=""
    for pid in $others; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for pid in $others; do kill -KILL -- "-$pid" 2>/dev/null || true; done
fi

saved=""
if [ -n "$keep" ] && [ -f "$run/kamailio.sqlite" ]; then
  saved="$(mktemp -d)"
  cp -p "$run"/kamailio.sqlite* "$saved"/
fi
rm -rf "$run"
mkdir -p "$run"

schemas=/usr/share/kamailio/db_sqlite
modules="$(dirname "$(dpkg -L kamailio 2>/dev/null | grep -m1 '/kamailio/modules/sl.so$')")"
[ -d "$modules" ] || fail "cannot find the Kamailio module directory"

# ---- database: package schemas + accounts, in one transaction ----
db="$run/kamailio.sqlite"
if [ -n "$saved" ]; then
  mv "$saved"/kamailio.sqlite* "$run"/ && rmdir "$saved"
else {
  # WAL (persistent in the file): readers do not block the writer. db_sqlite sets no busy
  # timeout, so lock conflicts between Kamailio processes fail at once; see README.
  echo "PRAGMA journal_mode=WAL;"
  echo "BEGIN;"
  cat "$schemas/standard-create.sql" "$schemas/auth_db-create.sql" "$schemas/presence-create.sql"
  echo "INSERT INTO subscriber (username, domain, password) VALUES ('alice', '$DOMAIN', 'alice-secret');"
  echo "INSERT INTO subscriber (username, domain, password) VALUES ('bob', '$DOMAIN', 'bob-secret');"
  for ((i = 1; i <= POOL_SIZE; i++)); do
    u="$(printf 'u%03d' "$i")"
    echo "INSERT INTO subscriber (username, domain, password) VALUES ('$u', '$DOMAIN', '$u-secret');"
  done
  echo "COMMIT;"
} | sqlite3 "$db" >/dev/null || fail "cannot create the sqlite database"
fi

# ---- kamailio.cfg from the template ----
caps="<?xml version='1.0' encoding='UTF-8'?>
<xcap-caps xmlns='urn:ietf:params:xml:ns:xcap-caps'>
  <auids>
    <auid>xcap-caps</auid>
    <auid>resource-lists</auid>
    <auid>rls-services</auid>
    <auid>pres-rules</auid>
    <auid>org.openmobilealliance.pres-rules</auid>
    <auid>org.openxcap.dialog-rules</auid>
    <auid>pidf-manipulation</auid>
    <auid>org.openmobilealliance.pres-content</auid>
  </auids>
  <extensions/>
  <namespaces>
    <namespace>urn:ietf:params:xml:ns:xcap-caps</namespace>
    <namespace>urn:ietf:params:xml:ns:resource-lists</namespace>
    <namespace>urn:ietf:params:xml:ns:rls-services</namespace>
    <namespace>urn:ietf:params:xml:ns:common-policy</namespace>
    <namespace>urn:ietf:params:xml:ns:pres-rules</namespace>
    <namespace>urn:ietf:params:xml:ns:pidf</namespace>
    <namespace>urn:oma:xml:prs:pres-content</namespace>
  </namespaces>
</xcap-caps>
"
cfg="$(cat "$here/kamailio.cfg.in")"
subst() { cfg="${cfg//"@$1@"/$2}"; }
subst XCAP_CAPS "$caps"
# The ETag of xcap-caps: a hash of its text (it changes only with this script).
subst CAPS_ETAG "caps-$(printf '%s' "$caps" | sha1sum | cut -c1-16)"
subst HOST "$HOST"
subst XCAP_PORT "$XCAP_PORT"
subst SIP_PORT "$SIP_PORT"
subst WS_PORT "$WS_PORT"
subst DOMAIN "$DOMAIN"
subst DB "$db"
subst MODULES "$modules"
subst TCP_BUF "$TCP_BUF"
subst TCP_WQ_MAX "$((TCP_BUF * 32))"
subst CHILDREN "$CHILDREN"
subst XCAP_ROOT_URL "http://$HOST:$XCAP_PORT/xcap-root"
printf '%s\n' "$cfg" >"$run/kamailio.cfg"

# ---- sqlite busy timeout for Kamailio's connections (see sqlite-busy-timeout.c) ----
preload=""
if command -v cc >/dev/null 2>&1 &&
  cc -O2 -shared -fPIC -o "$run/sqlite-busy-timeout.so" "$here/sqlite-busy-timeout.c" -ldl 2>>"$run/kamailio.log"; then
  preload="$run/sqlite-busy-timeout.so"
else
  echo "test-server: warning: no C compiler, sqlite writers may fail with 'database is locked'" >&2
fi

kamailio -c -f "$run/kamailio.cfg" >"$run/kamailio.log" 2>&1 || fail "kamailio.cfg does not pass kamailio -c"

# ---- start in the background ----
# -DD: no daemon fork, so $! is the main process and an early exit shows at once; setsid gives
# it its own process group (stop.sh may SIGKILL that group), and it outlives this script.
LD_PRELOAD="$preload" setsid kamailio -DD -f "$run/kamailio.cfg" -P "$run/kamailio.pid" -m "$SHM_MB" -M "$PKG_MB" \
  -E -Y "$run" -w "$run" >>"$run/kamailio.log" 2>&1 </dev/null &
bgpid=$!

xcap_root="http://$HOST:$XCAP_PORT/xcap-root"
deadline=$((SECONDS + START_TIMEOUT))
until curl -fsS -o /dev/null --max-time 2 "$xcap_root/xcap-caps/global/index" 2>/dev/null; do
  if ! kill -0 "$bgpid" 2>/dev/null && { [ ! -f "$run/kamailio.pid" ] || ! kill -0 "$(cat "$run/kamailio.pid")" 2>/dev/null; }; then
    fail "Kamailio exited during start-up"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "XCAP did not answer on $xcap_root within ${START_TIMEOUT}s"
  fi
  sleep 0.2
done

# ---- env.json for the tests (test/support/test-server.ts reads it) ----
cat >"$run/env.json" <<JSON
{
  "xcapRoot": "$xcap_root",
  "domain": "$DOMAIN",
  "sip": {
    "host": "$HOST",
    "udp": "$HOST:$SIP_PORT",
    "tcp": "$HOST:$SIP_PORT",
    "ws": "ws://$HOST:$WS_PORT/ws"
  },
  "users": {
    "alice": { "id": "sip:alice@$DOMAIN", "username": "alice", "password": "alice-secret" },
    "bob": { "id": "sip:bob@$DOMAIN", "username": "bob", "password": "bob-secret" },
    "pool": { "prefix": "u", "count": $POOL_SIZE, "passwordSuffix": "-secret" }
  },
  "dbFile": "$db",
  "pidFile": "$run/kamailio.pid",
  "logFile": "$run/kamailio.log"
}
JSON
echo "test-server: Kamailio up, XCAP root $xcap_root, SIP udp/tcp $HOST:$SIP_PORT, ws://$HOST:$WS_PORT/ws (pid $(cat "$run/kamailio.pid"))"
