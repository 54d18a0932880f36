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

# Fails with the install hint when Squid is missing; sets $squid_bin.
require_squid() {
  squid_bin="$(command -v squid || echo /usr/sbin/squid)"
  [ -x "$squid_bin" ] || { echo "squid is missing: scripts/install-deps.sh" >&2; exit 1; }
}

# The routes scenario in $work (world-writable: Squid drops to its own user and writes its
# logs there): one loopback server (the site's 200 at /page and the PAC file at /proxy.pac
# sending it through a real Squid), and three homes: `pac` (a Firefox profile set to that PAC
# file), `nobrowserproxy` (the same profile set to no proxy) and `direct` (empty). Sets
# $server_pid, $squid_pid, $squid_port, $port and $url (the caller's EXIT trap kills both).
start_pac_site() {
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
}

# A CA of this run ($work/ca.pem) and a certificate for 127.0.0.1 signed by it
# ($work/site.pem, $work/site.key).
make_loopback_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$work/site.key" -out "$work/site.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/ext"
  openssl x509 -req -in "$work/site.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days 2 -extfile "$work/ext" -out "$work/site.pem" 2>/dev/null
}

# The loopback 401 (every request answered with 401 and a Basic challenge) over plain HTTP and
# over HTTPS with the certificate of `make_loopback_cert` (made here): sets $http_url,
# $https_url and adds both servers to $pids (the caller's EXIT trap kills them).
start_401_sites() {
  make_loopback_cert
  start_server 401
  pids+=("$server_pid")
  http_url="http://127.0.0.1:$port/private"
  rm -f "$work/port"
  start_server 401 "$work/site.pem" "$work/site.key"
  pids+=("$server_pid")
  https_url="https://127.0.0.1:$port/private"
  rm -f "$work/port"
}
