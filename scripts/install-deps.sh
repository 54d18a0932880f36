#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages fix401 needs to build, run and test.
# Safe to run again: apt-get only installs what is missing.
set -euo pipefail

packages=(
  # build the desktop shell (Tauri 2 on WebKitGTK 4.1)
  build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev
  # run the window headless and drive it end to end
  xvfb xauth x11-utils webkit2gtk-driver imagemagick dbus-daemon dbus-x11 fonts-dejavu-core
  # real browsers, real DNS daemons, real stores for the tests
  chromium firefox-esr sqlite3 dnsmasq unbound nscd procps
  # benchmarks and bundles
  hyperfine bleachbit rpm python3
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is missing: install it from https://rustup.rs (or 'apt-get install cargo'), then run this again." >&2
  exit 1
fi
