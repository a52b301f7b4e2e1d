#!/usr/bin/env bash
# A local streaming replica of this machine's PostgreSQL: for the replica test, and to try
# DATABASE_REPLICA_URLS by hand.
#   scripts/replica.sh start [DIR] [PORT]   base backup of the primary, then a hot standby on PORT
#   scripts/replica.sh stop  [DIR]          stops it and removes DIR
# The primary accepts replication connections from 127.0.0.1 (scripts/provision.sh).
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:-/tmp/mianbei-replica}
port=${3:-5439}
PG_MAJOR=${PG_MAJOR:-15}
BIN=/usr/lib/postgresql/${PG_MAJOR}/bin

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case $cmd in
  start)
    stop
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_postgres pg_basebackup -D "$dir/data" -R -X stream -c fast -h 127.0.0.1 -p 5432 -U postgres
    # Debian keeps the primary's configuration outside its data directory: the standby gets its own.
    as_postgres tee "$dir/data/postgresql.conf" >/dev/null <<CONF
port = ${port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${dir}'
hot_standby = on
CONF
    as_postgres touch "$dir/data/pg_ident.conf"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' |
      as_postgres tee "$dir/data/pg_hba.conf" >/dev/null
    as_postgres "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null
    echo "replica of 127.0.0.1:5432 on 127.0.0.1:${port} (${dir})"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
