#!/usr/bin/env bash
# Installs what is missing, builds the desktop app in release mode and opens it.
# Arguments go to the app: --url URL, fix401://check?url=..., --home DIR (technicians).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" # a Rust just installed by rustup
cargo build --release -p fix401-app --features custom-protocol --bin fix401-app
cargo build --release --bin fix401
exec target/release/fix401-app "$@"
