# Shared by the hyperfine benches (sourced, not run): tool checks, the release CLI, the one
# loopback server and the ratio of two hyperfine medians.

# Fails with the install hint when a tool is missing.
require() {
  command -v "$1" >/dev/null || { echo "$1 is missing: scripts/install-deps.sh" >&2; exit 1; }
}

# Builds the release CLI; sets $bin.
build_cli() {
  cargo build --release --quiet --bin fix401
  bin="$PWD/target/release/fix401"
}

# Starts benches/loopback_server.py with the given arguments in the background; sets
# $server_pid and $port (the caller's EXIT trap kills $server_pid).
start_server() {
  python3 benches/loopback_server.py "$@" >"$work/port" &
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  port="$(cat "$work/port")"
}

# Prints both medians of a hyperfine JSON export and their ratio against a target:
# ratio RESULT.json BASE_NAME BASE_LABEL NAME LABEL RATIO_LABEL TARGET
ratio() {
  python3 - "$@" <<'PY'
import json, sys
path, base, base_label, name, label, ratio_label, target = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(path))["results"]}
b, n = r[base]["median"], r[name]["median"]
width = max(len(base_label), len(label))
print(f"median {base_label:<{width}} {b*1000:.2f} ms ({len(r[base]['times'])} runs)")
print(f"median {label:<{width}} {n*1000:.2f} ms ({len(r[name]['times'])} runs)")
print(f"ratio {ratio_label} = {n/b:.2f} (target <= {target})")
PY
}
