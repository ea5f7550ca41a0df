#!/usr/bin/env bash
# Stops the throw-away PostgreSQL test cluster started by start.sh (fast shutdown, bounded)
# and removes its run directory. Idempotent: no error when nothing runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ -d "$PG_RUN" ] || exit 0
if bin="$(pg_bindir)" && [ -f "$PG_DATA/postmaster.pid" ]; then
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$PG_RUN"
echo "test-server/postgres: stopped"
