#!/usr/bin/env bash
# Installs and starts what the portal needs, idempotently, on Debian or Ubuntu:
# PostgreSQL with PostGIS 3, GDAL, Redis, gettext, Chromium and a CJK font.
# Reuses a PostgreSQL or Redis that already runs; creates the role, the database and the test
# template with a UTF-8 LC_CTYPE (pg_trgm finds no trigrams in Chinese under the C locale).
set -euo pipefail

DB_NAME=${DB_NAME:-mianbei}
DB_USER=${DB_USER:-mianbei}
DB_PASSWORD=${DB_PASSWORD:-mianbei}
DB_TEMPLATE=${DB_TEMPLATE:-mianbei_template}
DB_LOCALE=${DB_LOCALE:-C.UTF-8}
REDIS_PORT=${REDIS_PORT:-6379}

say() { printf '\033[1;34m[provision]\033[0m %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "[provision] needs root or sudo to install system packages" >&2
  exit 1
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

missing_packages() {
  # One dpkg-query for all of them (one per package was most of a second start's provisioning).
  local installed pkg
  installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
    awk '/ install ok installed$/ {printf "%s ", $1}') "
  for pkg in "$@"; do
    [[ "$installed" == *" $pkg "* ]] || echo "$pkg"
  done
}

apt_install() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  say "installing: $(echo $missing | tr '\n' ' ')"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# 1. Packages. PostgreSQL first, so that PostGIS matches its major version.
apt_install postgresql postgresql-contrib redis-server gdal-bin gettext python3-venv \
  chromium fonts-noto-cjk ca-certificates
PG_MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
apt_install "postgresql-${PG_MAJOR}-postgis-3" "postgresql-${PG_MAJOR}-rum"

# 2. PostgreSQL: reuse a running server, start the packaged cluster otherwise.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" '$1 == v && $2 == "main"' | grep -q .; then
    say "creating PostgreSQL ${PG_MAJOR} cluster"
    "${SUDO[@]}" pg_createcluster --locale "$DB_LOCALE" "$PG_MAJOR" main
  fi
  say "starting PostgreSQL ${PG_MAJOR}"
  "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi

# 3. Redis: reuse a running server, start one otherwise.
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "starting Redis on ${REDIS_PORT}"
  "${SUDO[@]}" mkdir -p /var/lib/redis /var/log/redis
  "${SUDO[@]}" redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/mianbei.log
  for _ in $(seq 1 20); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null
fi

# 4. Role, database, test template, extensions. One query says what is there, so that a second
# run starts one psql for the check and one for the extensions, not one per question.
psql_admin() { PGOPTIONS="-c client_min_messages=warning" as_postgres psql -v ON_ERROR_STOP=1 -qAtX "$@"; }

state=$(psql_admin -d postgres -F '|' -c "
  SELECT 'role', count(*)::text FROM pg_roles WHERE rolname = '${DB_USER}'
  UNION ALL SELECT 'db:' || datname, datctype || '|' || datistemplate::text FROM pg_database
   WHERE datname IN ('${DB_NAME}', '${DB_TEMPLATE}')
  UNION ALL SELECT 'hba', setting FROM pg_settings WHERE name = 'hba_file'")
field() { awk -F'|' -v k="$1" -v n="$2" '$1 == k {print $n}' <<<"$state"; }

[ "$(field role 2)" = "1" ] ||
  psql_admin -d postgres -c "CREATE ROLE \"${DB_USER}\" LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'"

extensions="CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;
  CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS rum;"
script=""
for db in "$DB_NAME" "$DB_TEMPLATE"; do
  ctype=$(field "db:${db}" 2)
  if [ -z "$ctype" ]; then
    say "creating database ${db} (LC_CTYPE ${DB_LOCALE})"
    psql_admin -d postgres -c "CREATE DATABASE \"${db}\" OWNER \"${DB_USER}\" TEMPLATE template0
      ENCODING 'UTF8' LC_COLLATE '${DB_LOCALE}' LC_CTYPE '${DB_LOCALE}'"
    ctype=$DB_LOCALE
  fi
  case "$ctype" in
    *UTF-8* | *utf8* | *UTF8*) ;;
    *) echo "[provision] database ${db} has LC_CTYPE ${ctype}; Chinese search needs UTF-8." \
         "Drop it and run again." >&2; exit 1 ;;
  esac
  # Extensions need a superuser once; the portal's role then only uses them. IF NOT EXISTS
  # makes this a catalogue lookup when they are there (a new package version is not an upgrade
  # of the extension: ALTER EXTENSION ... UPDATE stays a deliberate step).
  script+="\\connect \"${db}\"
${extensions}
"
done
# Test databases are cloned from the template (settings: DATABASE_TEST_TEMPLATE).
[ "$(field "db:${DB_TEMPLATE}" 3)" = "true" ] ||
  script+="ALTER DATABASE \"${DB_TEMPLATE}\" IS_TEMPLATE true;
"
psql_admin -d postgres <<<"$script"

# 5. Replication from this machine only, for a local streaming replica (scripts/replica.sh and
# the replica test). The line goes first: pg_hba.conf is read top down.
hba=$(field hba 2)
if ! grep -q '^host replication all 127.0.0.1/32 trust' "$hba"; then
  say "allowing local replication connections"
  "${SUDO[@]}" sed -i '1i host replication all 127.0.0.1/32 trust' "$hba"
  psql_admin -d postgres -c "SELECT pg_reload_conf()" >/dev/null
fi

say "ready: PostgreSQL ${PG_MAJOR} with PostGIS, Redis on ${REDIS_PORT}, database ${DB_NAME}"
