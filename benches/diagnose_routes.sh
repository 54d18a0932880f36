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
squid_bin="$(command -v squid || echo /usr/sbin/squid)"
[ -x "$squid_bin" ] || { echo "squid is missing: scripts/install-deps.sh" >&2; exit 1; }
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
squid_port="$(free_port)"

# One loopback server: the site (200) and the PAC file at /proxy.pac.
start_server pac "$squid_port"

cat >"$work/squid.conf" <<CONF
http_port 127.0.0.1:$squid_port
visible_hostname fix401-bench-squid
pid_filename $work/squid.pid
cache_log $work/cache.log
access_log none
coredump_dir $work
cache deny all
cache_mem 1 MB
shutdown_lifetime 0 seconds
pinger_enable off
http_access allow all
CONF
"$squid_bin" -N -f "$work/squid.conf" 2>"$work/squid.err" &
squid_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$squid_port") 2>/dev/null && break; sleep 0.1; done

# A home with one Firefox profile set to the PAC file; the same profile set to no proxy
# (direct, with the browser discovery and site-data look every home with a browser costs);
# an empty home for direct only.
mkdir -p "$work/direct" "$work/pac/.mozilla/firefox/bench.default" "$work/nobrowserproxy/.mozilla/firefox/bench.default"
for home in pac nobrowserproxy; do
  printf '[General]\nStartWithLastProfile=1\nVersion=2\n\n[Profile0]\nName=bench\nIsRelative=1\nPath=bench.default\nDefault=1\n' \
    >"$work/$home/.mozilla/firefox/profiles.ini"
done
echo 'user_pref("network.proxy.type", 0);' >"$work/nobrowserproxy/.mozilla/firefox/bench.default/prefs.js"
cat >"$work/pac/.mozilla/firefox/bench.default/prefs.js" <<JS
user_pref("network.proxy.type", 2);
user_pref("network.proxy.autoconfig_url", "http://127.0.0.1:$port/proxy.pac");
user_pref("network.proxy.allow_hijacking_localhost", true);
JS
url="http://127.0.0.1:$port/page"
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
