#!/bin/sh
# A throwaway PostgreSQL 15 + PostGIS cluster for the tests, on 127.0.0.1.
#
#   tools/postgres.sh start    install (Debian, as root) when missing, initdb once, start;
#                              print `export GEOAPP_TEST_DATABASE_URL=...` on stdout
#                              (eval "$(tools/postgres.sh start)"); idempotent
#   tools/postgres.sh url      print the URL when the cluster runs, else exit 1
#   tools/postgres.sh stop     stop it (the files stay; start again reuses them)
#   tools/postgres.sh destroy  stop it and delete its files
#
# The cluster lives in $GEOAPP_PG_DIR (default: /tmp/geoapp-pg-<hash of this checkout>, so
# each worktree has its own), listens on a free port chosen at initdb, has a superuser
# `geoapp` with a random password (scram over TCP), a database `geoapp_test` with PostGIS
# and a template `geoapp_template` that tests copy. Durability is off (fsync, synchronous_commit): it is for tests only.
# As root, the server runs as the `postgres` user (runuser); otherwise as the caller.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEY=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
DIR=${GEOAPP_PG_DIR:-${TMPDIR:-/tmp}/geoapp-pg-$KEY}
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
DB=geoapp_test
TEMPLATE=geoapp_template
ROLE=geoapp
PACKAGES="postgresql-15 postgresql-15-postgis-3"

say() { echo "postgres.sh: $*" >&2; }

bindir() {
  for d in "${PG_BIN:-}" /usr/lib/postgresql/15/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

install() {
  bindir >/dev/null && [ -f /usr/share/postgresql/15/extension/postgis.control ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "PostgreSQL 15 with PostGIS is missing and there is no apt-get: install $PACKAGES"
    return 1
  fi
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    say "PostgreSQL 15 with PostGIS is missing and this user cannot install it (apt-get install $PACKAGES)"
    return 1
  fi
  say "installing $PACKAGES"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null
}

# Run a command as the cluster's owner (from /: the caller's folder may be closed to it).
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

running() {
  [ -f "$DIR/data/PG_VERSION" ] && as_owner "$BIN/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1
}

url() {
  echo "postgresql://$ROLE:$(cat "$DIR/password")@127.0.0.1:$(cat "$DIR/port")/$DB"
}

psql_as_owner() {
  db=$1
  shift
  as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$(cat "$DIR/port")" -U "$ROLE" -d "$db" "$@"
}

has_database() {
  psql_as_owner postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

# Whether nothing listens on the port (SO_REUSEADDR, as the server binds: connections
# of a stopped server left in TIME_WAIT do not count).
port_free() {
  python3 -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init() {
  say "creating a cluster in $DIR"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$DIR/password"
  free_port >"$DIR/port"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
  # The password file must be readable by the owner while initdb runs.
  chmod 644 "$DIR/password"
  as_owner "$BIN/initdb" -D "$DIR/data" -U "$ROLE" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$DIR/password" >"$DIR/initdb.log" 2>&1 ||
    { cat "$DIR/initdb.log" >&2; return 1; }
  chmod 600 "$DIR/password"
  cat >>"$DIR/data/postgresql.conf" <<EOF
# tools/postgres.sh: a throwaway test cluster
listen_addresses = '127.0.0.1'
port = $(cat "$DIR/port")
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
EOF
}

start() {
  install
  BIN=$(bindir) || { say "no PostgreSQL 15 binaries (set PG_BIN)"; return 1; }
  [ -f "$DIR/data/PG_VERSION" ] || init
  if ! running; then
    if ! port_free "$(cat "$DIR/port")"; then  # taken since initdb: move to a free one
      free_port >"$DIR/port"
      echo "port = $(cat "$DIR/port")" >>"$DIR/data/postgresql.conf"
    fi
    as_owner "$BIN/pg_ctl" start -w -t 60 -D "$DIR/data" -l "$DIR/server.log" >/dev/null ||
      { tail -n 20 "$DIR/server.log" >&2; return 1; }
  fi
  port=$(cat "$DIR/port")
  # geoapp_template: PostGIS, never connected to, so that tests copy it in a blink
  # (CREATE DATABASE ... TEMPLATE geoapp_template); geoapp_test: a database to use.
  if ! has_database "$TEMPLATE"; then
    psql_as_owner postgres -c "CREATE DATABASE $TEMPLATE IS_TEMPLATE true"
    psql_as_owner "$TEMPLATE" -c "SET client_min_messages = warning; CREATE EXTENSION postgis"
  fi
  has_database "$DB" || psql_as_owner postgres -c "CREATE DATABASE $DB TEMPLATE $TEMPLATE"
  say "PostgreSQL $(cat "$DIR/data/PG_VERSION") with PostGIS on 127.0.0.1:$port ($DIR)"
  echo "export GEOAPP_TEST_DATABASE_URL=$(url)"
}

case "${1:-}" in
  start) start ;;
  url)
    BIN=$(bindir) || exit 1
    running || exit 1
    url
    ;;
  stop)
    BIN=$(bindir) || exit 0
    if running; then as_owner "$BIN/pg_ctl" stop -m fast -w -D "$DIR/data" >/dev/null; fi
    ;;
  destroy)
    BIN=$(bindir) || exit 0
    if running; then as_owner "$BIN/pg_ctl" stop -m immediate -w -D "$DIR/data" >/dev/null; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: tools/postgres.sh start|url|stop|destroy" >&2
    exit 2
    ;;
esac
