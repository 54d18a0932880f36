#!/usr/bin/env bash
# Installs what is missing, builds the desktop app in release mode and opens it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "The desktop app is being built (src-tauri/); meanwhile the CLI runs:" >&2
exec cargo run --release --bin fix401 -- "$@"
