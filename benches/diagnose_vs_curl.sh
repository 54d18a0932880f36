#!/usr/bin/env bash
# `fix401 diagnose` (release build, whole process) against `curl` on the same loopback 401
# URL: medians of N runs each (default 30) in one hyperfine run, and their ratio.
# Target: fix401 / curl <= 1.5.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-30}"
source benches/common.sh
require hyperfine
require curl
build_cli
work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

start_server 401 # every request answered with 401 + Basic challenge
url="http://127.0.0.1:$port/private"
mkdir -p "$work/home"

hyperfine -N --style basic --warmup 3 --runs "$runs" -i --export-json "$work/result.json" \
  -n curl "curl -s -o /dev/null $url" \
  -n fix401 "$bin --home $work/home --json diagnose $url"

ratio "$work/result.json" curl curl fix401 fix401 fix401/curl 1.5
