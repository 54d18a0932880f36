#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages fix401 needs to build, run and test.
# Safe to run again: apt-get only installs what is missing.
set -euo pipefail

packages=(
  # build the desktop shell (Tauri 2 on WebKitGTK 4.1)
  build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev
  # run the window headless and drive it end to end
  xvfb xauth x11-utils xdotool webkit2gtk-driver imagemagick dbus-daemon dbus-x11 fonts-dejavu-core
  # sandboxed (flatpak-like) browser processes for the running-detection tests
  bubblewrap
  # real browsers, real DNS daemons, real stores for the tests
  chromium firefox-esr sqlite3 dnsmasq unbound nscd procps
  # a real proxy with logins, and GNOME's proxy settings, for the route tests
  squid apache2-utils libglib2.0-bin dconf-cli gsettings-desktop-schemas
  # a real MIT Kerberos realm and a Negotiate (mod_auth_gssapi) site for the sign-in tests;
  # fix401 loads libgssapi_krb5 / libkrb5 at run time (libgssapi-krb5-2, libkrb5-3), no headers
  krb5-kdc krb5-admin-server krb5-user apache2 libapache2-mod-auth-gssapi
  # a clock ahead of the KDC's in one test process only (clock-skew tests)
  libfaketime
  # a real SOCKS5 proxy for the SOCKS route tests
  microsocks
  # benchmarks and bundles
  hyperfine bleachbit rpm python3
  # the Ansible role of contrib/ansible, played for real against localhost
  ansible-core
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

# Rust: the machine's toolchain (rustup's, where it exists), else the distribution's packages
# (`rustc`, `cargo`: new enough from Debian 13 / Ubuntu 25.04 on). Nothing is fetched from
# anywhere but the package registries: an older distribution needs Rust installed first.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! command -v cargo >/dev/null 2>&1; then
  echo "Installing Rust from the distribution's packages (rustc, cargo)"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends rustc cargo
fi
need=1.85
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ]; then
  if command -v rustup >/dev/null 2>&1; then
    rustup update stable
  else
    echo "rustc $have is older than $need, which fix401 needs (edition 2024, Tauri 2)." >&2
    echo "Install Rust $need or newer (your distribution's rustup or rustc package), then run this again." >&2
    exit 2
  fi
fi
