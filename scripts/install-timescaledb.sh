#!/usr/bin/env bash
# install-timescaledb.sh — build and install TimescaleDB (Apache-2.0 edition)
# for PostgreSQL 15 on Debian 12 (bookworm).
#
# Why: bookworm ships no TimescaleDB package and only Debian's mirrors are
# reachable here, so we build Debian trixie's *source* package `timescaledb`
# (a DFSG tarball with the non-free TSL code already removed) against
# bookworm's PostgreSQL 15. Trixie's sources are read through a throw-away apt
# configuration in a temp dir; the system's /etc/apt files are never touched.
#
# Idempotent: exits at once if the extension is already installed.
# Must run as root (it uses apt-get and installs into PostgreSQL's dirs).
#
# Environment overrides (all optional):
#   DEBIAN_MIRROR        mirror URL (default: taken from the system's apt sources)
#   TIMESCALEDB_SUITE    Debian suite to take the source from (default: trixie)
#   INSTALL_TIMESCALEDB_VERBOSE=1  stream apt/cmake/make output instead of logging it
set -euo pipefail

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BIN}/pg_config"
EXT_DIR="/usr/share/postgresql/${PG_MAJOR}/extension"
LIB_DIR="/usr/lib/postgresql/${PG_MAJOR}/lib"
SUITE="${TIMESCALEDB_SUITE:-trixie}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
VERBOSE="${INSTALL_TIMESCALEDB_VERBOSE:-0}"

# postgresql-15 and postgresql-server-dev-15 MUST be installed by the same
# apt-get command: headers from another minor version than the server give
# "undefined symbol" errors when the extension is loaded.
PACKAGES=(
  postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR}
  cmake build-essential dpkg-dev xz-utils libssl-dev libkrb5-dev
  debian-archive-keyring
)

WORK=""
LOG=/dev/null

log() { echo "[install-timescaledb] $*"; }
show_log() {
  [[ -s "$LOG" ]] || return 0
  local kept=/tmp/install-timescaledb-failed.log
  cp "$LOG" "$kept" || true
  echo "[install-timescaledb] last lines of the log (full log: $kept):" >&2
  tail -n 40 "$LOG" >&2 || true
}
die() { echo "[install-timescaledb] ERROR: $*" >&2; show_log; exit 1; }
on_error() {
  local rc=$? line=$1 cmd=$2
  [[ "$cmd" != 'return "$rc"' ]] || cmd="$RUN_CMD" # the failure came from run()
  echo "[install-timescaledb] ERROR: command failed (exit $rc) at line $line: $cmd" >&2
  show_log
  exit "$rc"
}
cleanup() { if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi; }
trap 'on_error $LINENO "$BASH_COMMAND"' ERR
trap cleanup EXIT

# Run a noisy command, sending its output to the log unless VERBOSE=1.
# A failure is reported by the ERR trap at the caller's line.
RUN_CMD=""
run() {
  local rc=0
  RUN_CMD="$*"
  if [[ "$VERBOSE" == 1 ]]; then "$@" || rc=$?; else "$@" >>"$LOG" 2>&1 || rc=$?; fi
  return "$rc"
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

already_installed() {
  local control="${EXT_DIR}/timescaledb.control" version
  pkg_installed "postgresql-${PG_MAJOR}" || return 1
  [[ -f "$control" && -f "${LIB_DIR}/timescaledb.so" ]] || return 1
  version="$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$control")"
  [[ -n "$version" && -f "${LIB_DIR}/timescaledb-${version}.so" ]] || return 1
  INSTALLED_VERSION="$version"
}

# The main Debian archive's URL, from the system's apt sources: the first
# "deb" source whose suite is this release's codename (not -security/-updates).
find_mirror() {
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [[ -n "$codename" ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
  {
    # deb822 files: Types:/URIs:/Suites:/Enabled: fields, stanzas separated by blank lines.
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f "$f" ]] || continue
      awk -v cn="$codename" '
        function flush() {
          if (enabled && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " cn " "))
            { n = split(uris, u, /[ \t]+/); for (i = 1; i <= n; i++) if (u[i] != "") print u[i] }
          types = suites = uris = ""; enabled = 1
        }
        BEGIN { enabled = 1 }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        { key = tolower($1); val = $0; sub(/^[^:]*:[ \t]*/, "", val) }
        key == "types:"   { types = val }
        key == "uris:"    { uris = val }
        key == "suites:"  { suites = val }
        key == "enabled:" { enabled = (tolower(val) !~ /^(no|false|0)/) }
        END { flush() }' "$f"
    done
    # One-line format: deb [options] URI SUITE COMPONENTS...
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f "$f" ]] || continue
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
        awk -v cn="$codename" '$1 == "deb" && $3 == cn { print $2 }'
    done
  } | grep -Ev '^(cdrom:|mirror)' | grep -v security | head -n 1
}

if already_installed; then
  log "TimescaleDB ${INSTALLED_VERSION} is already installed for PostgreSQL ${PG_MAJOR}; nothing to do."
  exit 0
fi

[[ "$(id -u)" -eq 0 ]] || die "TimescaleDB is not installed yet and installing it needs root (apt-get, make install)."

START=$SECONDS
WORK="$(mktemp -d -t install-timescaledb.XXXXXX)"
LOG="$WORK/build.log"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)

# --- 1. PostgreSQL 15 + build dependencies -----------------------------------
# apt-get update only when a package has no candidate in the current lists
# (e.g. a fresh image with empty lists), or when the install fails because the
# lists are stale (the mirror no longer has the version they name).
available="$(apt-cache policy "${PACKAGES[@]}" 2>/dev/null | grep -c 'Candidate: [^(]' || true)"
if [[ "$available" -lt "${#PACKAGES[@]}" ]]; then
  log "apt lists are missing packages; running apt-get update"
  run apt-get -q update
fi
log "installing: ${PACKAGES[*]}"
if ! run apt-get install "${APT_OPTS[@]}" "${PACKAGES[@]}"; then
  log "apt-get install failed; refreshing apt lists and retrying"
  run apt-get -q update
  run apt-get install "${APT_OPTS[@]}" "${PACKAGES[@]}"
fi
server_ver="$(dpkg-query -W -f='${Version}' "postgresql-${PG_MAJOR}")"
dev_ver="$(dpkg-query -W -f='${Version}' "postgresql-server-dev-${PG_MAJOR}")"
[[ "$server_ver" == "$dev_ver" ]] ||
  die "postgresql-${PG_MAJOR} ($server_ver) and postgresql-server-dev-${PG_MAJOR} ($dev_ver) differ; the extension would not load"
log "PostgreSQL ${server_ver} and its server headers are installed"

# --- 2. Fetch the timescaledb source package from trixie ---------------------
MIRROR="${DEBIAN_MIRROR:-$(find_mirror || true)}"
[[ -n "$MIRROR" ]] || die "could not find the Debian mirror in /etc/apt/sources.list{,.d/}; set DEBIAN_MIRROR"
log "reading ${SUITE} sources from ${MIRROR} (temporary apt config in ${WORK})"

mkdir -p "$WORK/empty" "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/src"
TMP_APT=(
  -o Dir::Etc::sourcelist="$WORK/sources.list"
  -o Dir::Etc::sourceparts="$WORK/empty"
  -o Dir::State::Lists="$WORK/lists"
  -o Dir::Cache="$WORK/cache"
  # apt drops to the _apt user to download, which cannot enter our 0700 temp dir.
  -o APT::Sandbox::User=root
)
# Download the suite's Sources index with the given deb-src options; succeed
# only if the index arrived (apt-get update exits 0 on many fetch failures).
fetch_index() {
  echo "deb-src [$1] ${MIRROR} ${SUITE} main" >"$WORK/sources.list"
  rm -rf "$WORK/lists" && mkdir -p "$WORK/lists/partial"
  run apt-get -q "${TMP_APT[@]}" update || true
  compgen -G "$WORK/lists/*_source_Sources*" >/dev/null
}
# The system keyring verifies trixie: its InRelease is also signed with
# bookworm's archive key, and debian-archive-keyring >= 2023.3+deb12u2 has
# trixie's own keys. [trusted=yes] is only a last resort.
if ! fetch_index "signed-by=${KEYRING}"; then
  log "WARNING: could not read ${SUITE}'s sources verified by ${KEYRING}; retrying with [trusted=yes]"
  fetch_index "trusted=yes" || die "could not download ${SUITE}'s source index from ${MIRROR}"
fi

cd "$WORK/src"
run apt-get -q "${TMP_APT[@]}" source --download-only timescaledb
dsc="$(ls "$WORK"/src/timescaledb_*.dsc)"
log "downloaded $(basename "$dsc")"
run dpkg-source --no-check -x "$dsc" "$WORK/src/timescaledb"
# (--no-check: apt already verified the files' checksums against the signed index.)
TS_VERSION="$(sed -n 's/^version *= *//p' "$WORK/src/timescaledb/version.config")"

# --- 3. Build and install ---------------------------------------------------
# Options checked against 2.19.3's CMakeLists.txt. USE_TELEMETRY stays ON so
# the timescaledb.telemetry_level GUC exists; it defaults to off here.
log "building TimescaleDB ${TS_VERSION} (Apache-only) with $(nproc) jobs"
run cmake -S "$WORK/src/timescaledb" -B "$WORK/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DPG_CONFIG="$PG_CONFIG" \
  -DAPACHE_ONLY=ON \
  -DSEND_TELEMETRY_DEFAULT=OFF \
  -DREGRESS_CHECKS=OFF \
  -DTAP_CHECKS=OFF \
  -DWARNINGS_AS_ERRORS=OFF \
  -DGENERATE_DOWNGRADE_SCRIPT=OFF
run make -C "$WORK/build" -j"$(nproc)"
log "installing into PostgreSQL ${PG_MAJOR}"
run make -C "$WORK/build" install

already_installed || die "make install finished but ${EXT_DIR}/timescaledb.control or the library is missing"
log "TimescaleDB ${INSTALLED_VERSION} installed for PostgreSQL ${PG_MAJOR} in $((SECONDS - START))s"
log "enable it with shared_preload_libraries = 'timescaledb'"
