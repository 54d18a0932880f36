#!/usr/bin/env bash
# `fix401 diagnose` for a browser whose PAC file sends the URL through a real Squid on
# loopback, against the same diagnose with no browser (direct only) and with the same browser
# set to no proxy: medians of N runs each (default 30) in one hyperfine run, both ratios
# (target <= 1.3), then the PAC evaluation time per URL (`cargo bench --bench pac`, target <= 5 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-30}"
source benches/common.sh
require hyperfine
require_squid
build_cli
work="$(mktemp -d)"
chmod 777 "$work" # squid drops to its own user and writes its logs here
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  [ -n "${squid_pid:-}" ] && kill "$squid_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_pac_site
# Captured first (`grep -q` stops reading early, and the SIGPIPE would fail the pipeline;
# diagnose exits non-zero when the page does not work).
pac_report="$("$bin" --home "$work/pac" --json diagnose "$url" || true)"
grep -q "\"proxy\": \"http://127.0.0.1:$squid_port\"" <<<"$pac_report" \
  || { echo "the PAC route was not taken" >&2; exit 1; }

hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$work/result.json" \
  -n direct "$bin --home $work/direct --json diagnose $url" \
  -n direct-browser "$bin --home $work/nobrowserproxy --json diagnose $url" \
  -n pac "$bin --home $work/pac --json diagnose $url"

ratio "$work/result.json" direct direct pac "PAC-chosen proxy" "PAC route/direct" 1.3
# The route's own cost: the same home and browser, set to no proxy.
ratio "$work/result.json" direct-browser "direct, browser set to no proxy" pac "PAC-chosen proxy" \
  "PAC route/direct with the same browser" 1.3
cargo bench --quiet --bench pac
