#!/usr/bin/env bash
# Start a throwaway PostgreSQL for tests and print its SQLAlchemy URL.
#
#   eval "$(.ci/postgres.sh)"      # exports SCIDISCO_TEST_PG_URL
#
# Idempotent: installs Debian's postgresql only when no server binaries are found, creates
# the cluster only when its folder is empty, starts it only when it is not running, creates
# the database only when missing. The cluster listens on 127.0.0.1 only, in a temp folder.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user
# (created by the Debian package; created here when absent).
# The server's time zone is deliberately not UTC (America/New_York by default), so a test
# reading timestamps back fails if the code ever stores local instead of UTC times; a server
# already running under another zone is restarted with this one.
# Settings: SCIDISCO_PG_DIR (default /tmp/scidisco-pg), SCIDISCO_PG_PORT (55432),
# SCIDISCO_PG_DB (scidisco_test), SCIDISCO_PG_TIMEZONE (America/New_York). Progress goes to
# stderr; stdout is only the export line.
set -euo pipefail

PG_DIR=${SCIDISCO_PG_DIR:-/tmp/scidisco-pg}
PG_PORT=${SCIDISCO_PG_PORT:-55432}
PG_DB=${SCIDISCO_PG_DB:-scidisco_test}
PG_TZ=${SCIDISCO_PG_TIMEZONE:-America/New_York}
log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"; return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "no PostgreSQL server found and not root: install Debian's 'postgresql' package"; exit 1
  fi
  log "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
  BINDIR=$(find_bindir) || { log "postgresql installed but initdb not found"; exit 1; }
fi

if [ "$(id -u)" -eq 0 ]; then
  RUN_AS=postgres
  id "$RUN_AS" >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" --shell /bin/sh "$RUN_AS"
  as_pg() { runuser -u "$RUN_AS" -- "$@"; }
else
  RUN_AS=$(id -un)
  as_pg() { "$@"; }
fi

mkdir -p "$PG_DIR"
[ "$(id -u)" -eq 0 ] && chown "$RUN_AS" "$PG_DIR"
DATA="$PG_DIR/data"
if [ ! -s "$DATA/PG_VERSION" ]; then
  log "creating cluster in $DATA"
  # trust is safe here: the server listens on loopback only and holds test data only.
  as_pg "$BINDIR/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale >&2
fi

OPTIONS="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=on -c timezone=$PG_TZ"
PSQL=("$BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "starting server on 127.0.0.1:$PG_PORT (time zone $PG_TZ)"
  as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 -o "$OPTIONS" start >&2
elif [ "$("${PSQL[@]}" -c "SHOW timezone")" != "$PG_TZ" ]; then
  log "restarting server on 127.0.0.1:$PG_PORT with time zone $PG_TZ"
  as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 -m fast -o "$OPTIONS" \
    restart >&2
fi

if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != "1" ]; then
  log "creating database $PG_DB"
  "${PSQL[@]}" -c "CREATE DATABASE \"$PG_DB\"" >&2
fi

URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/$PG_DB"
log "ready: $URL"
echo "export SCIDISCO_TEST_PG_URL=$URL"
