#!/usr/bin/env bash
# Stops the Kamailio test server started by start.sh: SIGTERM to the PID in the pidfile, a
# bounded wait for it to exit, then SIGKILL to the whole process group if needed. Idempotent:
# no error when it is not running.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pidfile="$here/run/kamailio.pid"

[ -f "$pidfile" ] || exit 0
pid="$(tr -dc '0-9' <"$pidfile")"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  rm -f "$pidfile"
  exit 0
fi
# Only signal a Kamailio process, never whatever reused the PID.
if ! grep -q kamailio "/proc/$pid/comm" 2>/dev/null; then
  rm -f "$pidfile"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "test-server: Kamailio ($pid) did not stop in 5s, killing it" >&2
  # Kamailio's children share the main process's process group.
  pgid="$(ps -o pgid= -p "$pid" | tr -d ' ')"
  kill -KILL "$pid" 2>/dev/null || true
  if [ -n "$pgid" ] && [ "$pgid" != "$(ps -o pgid= -p $$ | tr -d ' ')" ]; then
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
fi
rm -f "$pidfile"
echo "test-server: stopped"
