#!/usr/bin/env bash
# Runs the Ansible role for real: ansible-playbook against localhost (connection: local), the
# freshly built fix401 (fix401_binary: no package install) on a temporary home, two loopback
# servers (a page that works, a 401), in diagnose and in fix mode; then checks what was
# fetched to the "controller" folder. Nothing here touches the real home: HOME, ANSIBLE_HOME
# and Ansible's temp folders are a temp dir.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${FIX401_BIN:-}
if [ -z "$bin" ]; then
  cargo build --quiet --bin fix401
  bin="$PWD/target/debug/fix401"
fi
command -v ansible-playbook >/dev/null || { echo "ansible-playbook missing (scripts/install-deps.sh installs ansible-core)" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The benches' loopback server: `401` answers 401 with a Basic challenge; `pac` answers 200
# on every path but /proxy.pac.
python3 benches/loopback_server.py 401 >"$tmp/401.port" &
pids+=($!)
python3 benches/loopback_server.py pac 9 >"$tmp/200.port" &
pids+=($!)
for f in 401 200; do
  for _ in $(seq 50); do [ -s "$tmp/$f.port" ] && break; sleep 0.1; done
done
url_ok="http://127.0.0.1:$(cat "$tmp/200.port")/works"
url_401="http://127.0.0.1:$(cat "$tmp/401.port")/private"

mkdir -p "$tmp/home" "$tmp/fix401-home" "$tmp/fix401-data" "$tmp/ansible/tmp"
export HOME="$tmp/home" ANSIBLE_HOME="$tmp/ansible" ANSIBLE_LOCAL_TEMP="$tmp/ansible/tmp" \
  ANSIBLE_REMOTE_TEMP="$tmp/ansible/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
  ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOCALHOST_WARNING=0
unset ANSIBLE_CONFIG

for mode in diagnose fix; do
  cat >"$tmp/vars-$mode.json" <<JSON
{
  "fix401_mode": "$mode",
  "fix401_binary": "$bin",
  "fix401_urls": ["$url_ok", "$url_401"],
  "fix401_global_args": ["--home", "$tmp/fix401-home", "--data-dir", "$tmp/fix401-data"],
  "fix401_remote_dir": "$tmp/remote-$mode",
  "fix401_fetch_dir": "$tmp/fetched-$mode"
}
JSON
  echo "== ansible-playbook site.yml ($mode) against localhost"
  ansible-playbook -i localhost, -c local contrib/ansible/site.yml -e "@$tmp/vars-$mode.json" \
    | tee "$tmp/play-$mode.log"
  grep -q "localhost.*ok=.*failed=0" "$tmp/play-$mode.log"
done

python3 - "$tmp" "$url_ok" "$url_401" <<'PY'
import json, pathlib, re, sys, zipfile

tmp, url_ok, url_401 = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
def name(url):
    return re.sub(r"[^A-Za-z0-9]+", "_", url)
for mode in ("diagnose", "fix"):
    got = tmp / f"fetched-{mode}" / "localhost"
    summary = json.loads((got / "summary.json").read_text())
    rcs = {e["url"]: e["rc"] for e in summary}
    assert rcs == {url_ok: 0, url_401: 1}, (mode, summary)
    assert {e["meaning"] for e in summary} == {"works or fixed", "still failing"}, summary
    for url, status in ((url_ok, 200), (url_401, 401)):
        report = json.loads((got / f"{name(url)}.{mode}.json").read_text())
        if mode == "diagnose":
            assert report["status"] == status and report["url"] == url, report
        else:
            assert report["before"]["status"] == status and report["url"] == url, report
            if status == 401:
                assert report["verdict"] == "still_failing", report["verdict"]
        bundle = zipfile.ZipFile(got / f"{name(url)}.zip")
        files = bundle.namelist()
        assert any(f.endswith("environment.json") for f in files), files
        env = json.loads(bundle.read(next(f for f in files if f.endswith("environment.json"))))
        assert env["fix401_version"], env
    print(f"{mode}: {summary}")
print("ansible role: reports, bundles and exit codes as expected")
PY
