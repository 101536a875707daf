#!/usr/bin/env bash
# install-test-deps.sh — the system packages the test suite needs, from Debian's archive only:
# Chromium (browser end-to-end tests, driven by playwright-core), CJK fonts (so Chinese labels render), Mosquitto
# (external-broker tests and the benchmark baseline; started by the tests themselves, never as a service), ffmpeg
# (camera test streams, RTSP pulls, frame sampling), opencv-doc (its vtest.avi: a real street clip for detection),
# GStreamer's RTSP server with python3-gi (a test IP camera to pull RTSP from), Redis (the cluster tests; started by
# the tests themselves on free ports, never as a service), and PostgreSQL 15 + TimescaleDB (built from source by
# install-timescaledb.sh). Idempotent; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[install-test-deps] $*" >&2; }

PACKAGES=(chromium fonts-noto-cjk mosquitto ffmpeg opencv-doc python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly redis-server)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]} — run this script as root (it uses apt-get)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/install-test-deps-apt.log 2>&1; then
    log "apt-get install failed; updating the package lists and retrying"
    apt-get update -q >/tmp/install-test-deps-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/install-test-deps-apt.log 2>&1 ||
      { tail -n 30 /tmp/install-test-deps-apt.log >&2; log "could not install: ${missing[*]}"; exit 1; }
  fi
  log "installed: ${missing[*]}"
  # Debian may start Mosquitto as a system service on port 1883; the tests start their own on free ports.
  if command -v service >/dev/null && pgrep -x mosquitto >/dev/null; then service mosquitto stop >/dev/null 2>&1 || true; fi
  # Likewise Redis on port 6379.
  if command -v service >/dev/null && pgrep -x redis-server >/dev/null; then service redis-server stop >/dev/null 2>&1 || true; fi
else
  log "chromium and CJK fonts already installed"
fi

bash scripts/install-timescaledb.sh
