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
