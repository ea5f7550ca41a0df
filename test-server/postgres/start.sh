#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1:$RXCAP_PG_PORT (default 54329) from
# scratch: a fresh run directory, initdb, the test settings below, pg_ctl start, a database
# `rxcap`. Trust authentication, loopback only. `stop.sh` stops it and removes everything.
#
# `start.sh --restart-immediate` instead crashes the running cluster (pg_ctl stop -m immediate:
# no checkpoint, only what is in the WAL on disk survives) and starts it again on the same data;
# the durability tests use it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

bin="$(pg_bindir)" || { echo "test-server/postgres: not installed: run bash test-server/postgres/install.sh" >&2; exit 1; }

start_cluster() {
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_RUN/postgres.log" -w -t 30 start >/dev/null || {
    echo "test-server/postgres: the cluster did not start; last lines of $PG_RUN/postgres.log:" >&2
    tail -n 30 "$PG_RUN/postgres.log" >&2
    exit 1
  }
}

if [ "${1:-}" = "--restart-immediate" ]; then
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null
  start_cluster
  echo "test-server/postgres: crashed and restarted on port $PG_PORT"
  exit 0
fi

bash "$here/stop.sh" >/dev/null
mkdir -p "$PG_RUN"
chmod 700 "$PG_RUN"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PG_RUN"
as_pg "$bin/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_RUN/initdb.log" 2>&1 || {
  cat "$PG_RUN/initdb.log" >&2
  exit 1
}
cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
# Many accounts per process: each owned account holds one session advisory lock, and the
# shared lock table has max_locks_per_transaction * max_connections slots.
max_connections = 200
max_locks_per_transaction = 512
# Deliberately unsafe default: the storage adapter must turn synchronous_commit on for its own
# writes rather than rely on the server (the durability test would catch a lost commit).
synchronous_commit = off
# Detect a dead client within seconds (its advisory locks are freed with its session).
tcp_keepalives_idle = 2
tcp_keepalives_interval = 1
tcp_keepalives_count = 3
CONF
start_cluster
as_pg "$bin/psql" -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qAt \
  -c "CREATE DATABASE $PG_DB" >/dev/null
echo "test-server/postgres: up on postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB (data $PG_DATA)"
