#!/usr/bin/env bash
# Builds the Linux bundles (.deb and .rpm) with the Tauri bundler. The bundles carry the
# desktop app (/usr/bin/fix401-app), the CLI (/usr/bin/fix401, which the polkit policy names),
# the desktop entry, the icons and the polkit policy. Output: target/release/bundle/{deb,rpm}/.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Tauri CLI: an installed `cargo tauri`, else the prebuilt one from the npm registry
# (seconds instead of compiling it), else compiled from crates.io.
TAURI_CLI_VERSION=2.12.4
if cargo tauri --version >/dev/null 2>&1; then
  tauri=(cargo tauri)
elif command -v npm >/dev/null 2>&1; then
  if [ ! -x .tools/node_modules/.bin/tauri ]; then
    npm install --silent --no-audit --no-fund --prefix .tools "@tauri-apps/cli@$TAURI_CLI_VERSION"
  fi
  tauri=("$PWD/.tools/node_modules/.bin/tauri")
else
  cargo install tauri-cli --version "$TAURI_CLI_VERSION" --locked
  tauri=(cargo tauri)
fi

# The CLI first: the bundles ship target/release/fix401 as /usr/bin/fix401.
cargo build --release -p fix401 --bin fix401
cd src-tauri
"${tauri[@]}" build --bundles deb,rpm --ci
ls -l ../target/release/bundle/deb/*.deb ../target/release/bundle/rpm/*.rpm
