#!/usr/bin/env bash
# `fix401 diagnose` (release build, whole process) against `curl` on the same loopback 401
# URL: medians of N runs each (default 30) in one hyperfine run, and their ratio.
# Target: fix401 / curl <= 1.5.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-30}"
command -v hyperfine >/dev/null || { echo "hyperfine is missing: scripts/install-deps.sh" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing: scripts/install-deps.sh" >&2; exit 1; }
cargo build --release --quiet --bin fix401
bin="$PWD/target/release/fix401"
work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# A minimal loopback server that answers every request with 401 + Basic challenge.
cat >"$work/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"login required"
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="bench"')
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
python3 "$work/server.py" >"$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/private"
mkdir -p "$work/home"

hyperfine -N --style basic --warmup 3 --runs "$runs" -i --export-json "$work/result.json" \
  -n curl "curl -s -o /dev/null $url" \
  -n fix401 "$bin --home $work/home --json diagnose $url"

python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
c, f = r["curl"]["median"], r["fix401"]["median"]
print(f"median curl   {c*1000:.2f} ms ({len(r['curl']['times'])} runs)")
print(f"median fix401 {f*1000:.2f} ms ({len(r['fix401']['times'])} runs)")
print(f"ratio fix401/curl = {f/c:.2f} (target <= 1.5)")
PY
