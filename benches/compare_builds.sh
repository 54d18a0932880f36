#!/usr/bin/env bash
# Two builds of `fix401` against each other, for a change that must not be slower (a
# refactor): `benches/compare_builds.sh OLD_BIN NEW_BIN` (build OLD from the earlier commit in
# a `git worktree`). Each scenario of the other benches (a loopback 401 over HTTP and over
# HTTPS with an empty home; a URL a Firefox PAC file sends through a real Squid; the same
# profile set to no proxy) runs ROUNDS rounds (default 300), each round running both builds
# once in alternating order, so a change in the machine's load hits both alike; prints the
# medians and NEW/OLD (target <= 1.0, within the noise of a few percent).
set -euo pipefail
[ $# -eq 2 ] && [ -x "$1" ] && [ -x "$2" ] || {
  echo "usage: benches/compare_builds.sh OLD_BIN NEW_BIN (two fix401 executables)" >&2
  exit 2
}
old="$(realpath "$1")"
new="$(realpath "$2")"
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-300}"
source benches/common.sh
require openssl
require_squid
work="$(mktemp -d)"
chmod 777 "$work" # squid drops to its own user and writes its logs here
pids=()
cleanup() {
  kill "${pids[@]}" "${squid_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_401_sites
start_pac_site
pids+=("$server_pid")
export SSL_CERT_FILE="$work/ca.pem"
unset SSL_CERT_DIR

python3 - "$old" "$new" "$rounds" <<PY
import statistics, subprocess, sys, time
old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
scenarios = [
    ("HTTP 401, empty home", "$work/direct", "$http_url"),
    ("HTTPS 401, empty home", "$work/direct", "$https_url"),
    ("PAC route through Squid", "$work/pac", "$url"),
    ("same Firefox, no proxy", "$work/nobrowserproxy", "$url"),
]
for label, home, url in scenarios:
    times = {old: [], new: []}
    for r in range(rounds):
        for exe in (old, new) if r % 2 == 0 else (new, old):
            start = time.perf_counter()
            # diagnose exits non-zero for a page that does not work: not an error here.
            subprocess.run([exe, "--home", home, "--json", "diagnose", url],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[exe].append(time.perf_counter() - start)
    o, n = statistics.median(times[old]), statistics.median(times[new])
    print(f"{label:<26} old {o*1000:6.2f} ms  new {n*1000:6.2f} ms  new/old = {n/o:.3f} (target <= 1.0)")
PY
