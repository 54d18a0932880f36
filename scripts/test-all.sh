#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests of the core (with
# real loopback servers, real DNS daemons and real browsers), then the desktop app end to end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

export CARGO_TERM_COLOR=never
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== cargo test (core and CLI)"
cargo test --all-targets

echo "== desktop app: mock-runtime command tests, then the real window end to end under Xvfb"
cargo clippy -p fix401-app --all-targets -- -D warnings
cargo test -p fix401-app --test commands
cargo build --release -p fix401-app --features custom-protocol --bin fix401-app
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
Xvfb :97 -screen 0 1280x900x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null || true' EXIT
DISPLAY=:97 FIX401_APP_BIN="$PWD/target/release/fix401-app" \
  cargo test -p fix401-app --test e2e -- --ignored --test-threads=1
