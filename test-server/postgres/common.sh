# Shared settings of the throw-away PostgreSQL test cluster (sourced by install/start/stop.sh).
#
# Environment (all optional):
#   RXCAP_PG_PORT (54329)   the TCP port on 127.0.0.1 (unlikely to clash with a system 5432)
#   RXCAP_PG_RUN            the run directory (default /tmp/rxcap-pg-<port>): outside the
#                           checkout because the cluster runs as the `postgres` user when we
#                           are root, and that user may not traverse the checkout's parents.
PG_HOST=127.0.0.1
PG_PORT="${RXCAP_PG_PORT:-54329}"
PG_RUN="${RXCAP_PG_RUN:-/tmp/rxcap-pg-$PG_PORT}"
PG_DATA="$PG_RUN/data"
PG_DB=rxcap

# The newest installed server version's binaries (Debian keeps them off PATH).
pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres` system user the
# Debian package creates; otherwise as ourselves.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
