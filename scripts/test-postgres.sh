#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a loopback port for the tests and prints its URL.
#   eval "$(bash scripts/test-postgres.sh start)"   # exports RUNELOG_TEST_PG_URL and RUNELOG_TEST_PG_DIR
#   bash scripts/test-postgres.sh restart "$RUNELOG_TEST_PG_DIR"   # pg_ctl restart -m fast (fault tests)
#   bash scripts/test-postgres.sh stop "$RUNELOG_TEST_PG_DIR"
# initdb refuses to run as root, so the cluster belongs to the `postgres` user when we are root.
set -euo pipefail
# A port given, else the first free one from 54329 (another cluster, a developer's say, may hold it).
port="${RUNELOG_TEST_PG_PORT:-}"
if [ -z "$port" ]; then
  port=54329
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "test-postgres: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
case "${1:-}" in
  start)
    dir="$(mktemp -d /tmp/runelog-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    echo runelog-test > "$dir/pw"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/pw" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export RUNELOG_TEST_PG_DIR=$dir"
    echo "export RUNELOG_TEST_PG_URL=postgres://postgres:runelog-test@127.0.0.1:$port/postgres"
    ;;
  restart)
    dir="${2:?usage: test-postgres.sh restart DIR}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null 2>&1
    ;;
  stop)
    dir="${2:?usage: test-postgres.sh stop DIR}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: test-postgres.sh start | restart DIR | stop DIR" >&2; exit 2 ;;
esac
