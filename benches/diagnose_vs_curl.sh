#!/usr/bin/env bash
# `fix401 diagnose` (release build, whole process) against `curl`, both measured in this run:
#   1. a loopback 401 over plain HTTP: medians of N runs each (default 30), target <= 0.4;
#   2. the same 401 over HTTPS, with a CA made here that both are told to trust
#      (curl --cacert, fix401 through SSL_CERT_FILE), target <= 0.15;
#   3. peak resident memory (/usr/bin/time -f %M, median of 9 runs each) of the HTTPS run,
#      target <= 0.75.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-30}"
source benches/common.sh
require hyperfine
require curl
require openssl
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: scripts/install-deps.sh" >&2; exit 1; }
build_cli
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/home"

start_401_sites

# Both must see the 401 (a TLS failure would be a different, faster answer).
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.pem" "$https_url")" = 401 ]
# Captured first (`grep -q` stops reading early, and the SIGPIPE would fail the pipeline;
# diagnose exits non-zero when the page does not work).
https_report="$(SSL_CERT_DIR= SSL_CERT_FILE="$work/ca.pem" "$bin" --home "$work/home" --json diagnose "$https_url" || true)"
grep -q '"status": 401' <<<"$https_report" || { echo "fix401 did not get the HTTPS 401" >&2; exit 1; }

echo "== HTTP loopback 401"
hyperfine -N --style basic --warmup 3 --runs "$runs" -i --export-json "$work/http.json" \
  -n curl "curl -s -o /dev/null $http_url" \
  -n fix401 "$bin --home $work/home --json diagnose $http_url" >/dev/null
ratio "$work/http.json" curl curl fix401 fix401 "fix401/curl (HTTP)" 0.4

echo "== HTTPS loopback 401, CA trusted by both"
export SSL_CERT_FILE="$work/ca.pem"
# Only that CA for both: curl --cacert ignores SSL_CERT_DIR, fix401 (like OpenSSL) adds it.
unset SSL_CERT_DIR
hyperfine -N --style basic --warmup 3 --runs "$runs" -i --export-json "$work/https.json" \
  -n curl "curl -s -o /dev/null --cacert $work/ca.pem $https_url" \
  -n fix401 "$bin --home $work/home --json diagnose $https_url" >/dev/null
ratio "$work/https.json" curl curl fix401 fix401 "fix401/curl (HTTPS)" 0.15

echo "== peak resident memory (HTTPS run)"
peak() { # command... → median of 9 peak RSS figures (KiB)
  # (`|| true`: diagnose exits non-zero for a 401, which pipefail would make fatal.)
  for _ in $(seq 9); do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1 || true; done \
    | sort -n | sed -n 5p
}
c_kib=$(peak curl -s -o /dev/null --cacert "$work/ca.pem" "$https_url")
f_kib=$(peak "$bin" --home "$work/home" --json diagnose "$https_url")
echo "peak RSS curl   $c_kib KiB"
echo "peak RSS fix401 $f_kib KiB"
awk -v f="$f_kib" -v c="$c_kib" 'BEGIN {printf "ratio fix401/curl (peak RSS) = %.2f (target <= 0.75)\n", f / c}'
