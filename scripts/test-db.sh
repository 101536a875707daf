#!/usr/bin/env bash
# test-db.sh — a throw-away PostgreSQL 15 + TimescaleDB cluster for tests.
#
#   scripts/test-db.sh start [PORT]  init + start a cluster (free port if none
#                                    given), create database cityhub_test and
#                                    print its URL as the only line on stdout
#   scripts/test-db.sh url           print the running cluster's URL (exit 1 if none)
#   scripts/test-db.sh pause         stop the server (pg_ctl stop -m fast) but keep
#                                    its directory, data, url and port: a
#                                    database outage for tests
#   scripts/test-db.sh resume        start a paused cluster again on the same port,
#                                    wait until it accepts connections, print its URL
#   scripts/test-db.sh stop          stop the cluster and delete its directory
#
# While paused, `url` exits 1 (nothing is running), `stop` deletes the cluster
# and `start` starts over with a fresh one.
#
# The cluster lives in ${TEST_DB_DIR:-/tmp/cityhub-test-db}: pgdata/ (the
# cluster, owned by postgres), the Unix socket, postgres.log, and the files
# `url` and `port`. It listens on 127.0.0.1 only, trusts every local
# connection, and preloads timescaledb (install it first with
# scripts/install-timescaledb.sh). fsync stays ON: durability tests rely on it.
# Run as root (the server then runs as the postgres user) or as any other user
# (the server then runs as that user); the superuser is "postgres" either way.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
BASE="${TEST_DB_DIR:-/tmp/cityhub-test-db}"
PGDATA_DIR="$BASE/pgdata"
DB_NAME=cityhub_test
MARKER="$BASE/.cityhub-test-db"

log() { echo "[test-db] $*" >&2; }
die() { echo "[test-db] ERROR: $*" >&2; exit 1; }

# Run a command as the cluster's owner: root switches to postgres; anyone
# else (including postgres itself) runs it as themselves.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The postmaster's PID (from postmaster.pid) is alive.
pid_alive() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] && as_owner "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

# The server is up: PID alive and it answers on its port (a killed postmaster
# can linger a moment as a zombie, which pg_ctl status counts as running).
is_running() {
  pid_alive && [[ -f "$BASE/port" ]] || return 1
  local rc=0
  "$PG_BIN/pg_isready" -q -t 5 -h 127.0.0.1 -p "$(cat "$BASE/port")" -U postgres || rc=$?
  ((rc <= 1)) # 0 = accepting, 1 = still starting up
}

# Remove $BASE, but only if it is ours (has our marker) or empty.
remove_base() {
  [[ -e "$BASE" ]] || return 0
  if [[ -f "$MARKER" ]] || [[ -d "$BASE" && -z "$(ls -A "$BASE")" ]]; then
    rm -rf "$BASE"
  else
    die "$BASE exists but was not made by test-db.sh; refusing to delete it"
  fi
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  elif command -v node >/dev/null; then
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  else
    local p
    for _ in $(seq 50); do
      p=$((20000 + RANDOM % 40000))
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "could not find a free port"
  fi
}

# Start the already-initialised cluster on port $1; returns non-zero on failure.
start_server() {
  local port=$1
  # postgresql.auto.conf takes precedence over postgresql.conf; rewrite it on each try.
  cat >"$PGDATA_DIR/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$BASE'
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
max_connections = 200
fsync = on
EOF
  : >"$BASE/postgres.log"
  chown --reference="$PGDATA_DIR" "$PGDATA_DIR/postgresql.auto.conf" "$BASE/postgres.log"
  as_owner "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$BASE/postgres.log" -w -t 60 >&2
}

cmd_start() {
  local port="${1:-}"
  [[ -z "$port" || "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
  if is_running && [[ -f "$BASE/url" ]]; then
    log "a cluster is already running in $BASE"
    cat "$BASE/url"
    return 0
  fi

  [[ -x "$PG_BIN/initdb" ]] || die "$PG_BIN/initdb not found: run scripts/install-timescaledb.sh first"
  [[ -f "$("$PG_BIN/pg_config" --sharedir)/extension/timescaledb.control" ]] ||
    die "TimescaleDB is not installed for PostgreSQL 15: run scripts/install-timescaledb.sh first"

  # Leftovers of a cluster that is no longer running (crash, reboot): start over.
  if pid_alive; then
    as_owner "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m immediate -w >&2 || true
  fi
  remove_base
  mkdir -p "$BASE"
  touch "$MARKER"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no postgres user: run scripts/install-timescaledb.sh first"
    chown postgres:postgres "$BASE" "$MARKER"
  fi
  chmod 755 "$BASE"
  as_owner test -w "$BASE" ||
    die "the postgres user cannot write to $BASE (a parent directory may be private); set TEST_DB_DIR elsewhere"

  log "initdb in $PGDATA_DIR"
  as_owner "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$BASE/initdb.log" 2>&1 ||
    { cat "$BASE/initdb.log" >&2; die "initdb failed"; }

  # With no port given, retry on another free port if ours was taken meanwhile.
  local tries=1 fixed_port="$port"
  [[ -n "$fixed_port" ]] || tries=3
  for ((i = 1; i <= tries; i++)); do
    [[ -n "$fixed_port" ]] || port="$(free_port)"
    log "starting PostgreSQL on 127.0.0.1:$port"
    if start_server "$port"; then break; fi
    if ((i == tries)); then
      tail -n 30 "$BASE/postgres.log" >&2 || true
      die "PostgreSQL did not start (log: $BASE/postgres.log)"
    fi
    log "start failed on port $port; trying another port"
  done

  for _ in $(seq 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
    sleep 0.5
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "PostgreSQL is not accepting connections on port $port"

  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE $DB_NAME" >&2

  local url="postgres://postgres@127.0.0.1:$port/$DB_NAME"
  echo "$port" >"$BASE/port"
  echo "$url" >"$BASE/url"
  log "ready: $url"
  echo "$url"
}

cmd_stop() {
  if pid_alive; then
    log "stopping the cluster in $BASE"
    as_owner "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2 ||
      log "pg_ctl stop failed; removing $BASE anyway"
  else
    log "no cluster running in $BASE"
  fi
  remove_base
}

cmd_url() {
  if is_running && [[ -f "$BASE/url" ]]; then
    cat "$BASE/url"
  else
    log "no test database running in $BASE"
    exit 1
  fi
}

# Stop the server, keeping everything needed to resume it.
cmd_pause() {
  [[ -f "$PGDATA_DIR/PG_VERSION" && -f "$BASE/port" && -f "$BASE/url" ]] ||
    die "no test database in $BASE to pause (run start first)"
  if pid_alive; then
    log "pausing the cluster in $BASE (port $(cat "$BASE/port"))"
    as_owner "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 >&2 || die "pg_ctl stop failed"
  else
    log "the cluster in $BASE is not running (already paused?)"
  fi
}

# Start a paused cluster again on its port and wait until it accepts connections.
cmd_resume() {
  [[ -f "$PGDATA_DIR/PG_VERSION" && -f "$BASE/port" && -f "$BASE/url" ]] ||
    die "no paused test database in $BASE (run start first)"
  local port
  port="$(cat "$BASE/port")"
  if is_running; then
    log "the cluster in $BASE is already running"
  else
    log "resuming PostgreSQL on 127.0.0.1:$port"
    # pg_ctl appends to the log: it keeps the history of the outage.
    as_owner "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$BASE/postgres.log" -w -t 60 >&2 || {
      tail -n 30 "$BASE/postgres.log" >&2 || true
      die "PostgreSQL did not start again on port $port (is the port taken now?)"
    }
  fi
  for _ in $(seq 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
    sleep 0.5
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "PostgreSQL is not accepting connections on port $port"
  log "ready: $(cat "$BASE/url")"
  cat "$BASE/url"
}

case "${1:-}" in
  start) shift; cmd_start "${1:-}" ;;
  stop) cmd_stop ;;
  url) cmd_url ;;
  pause) cmd_pause ;;
  resume) cmd_resume ;;
  *) echo "usage: $0 start [PORT] | stop | url | pause | resume" >&2; exit 2 ;;
esac
