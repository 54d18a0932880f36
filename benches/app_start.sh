#!/usr/bin/env bash
# Start-up and memory of the desktop app against a bare hello-world Tauri 2 app built in the
# same run (benches/hello-tauri, same Tauri version and features), under Xvfb:
#   - start to first paint: from exec until the window shows a painted page (polled with
#     xwininfo + import; both apps are measured the same way, so the ratio is fair);
#   - resident memory 3 s after first paint: the app process plus its WebKit processes
#     (RSS, and PSS which shares the common libraries fairly);
#   - binary sizes, and the .deb size when scripts/bundle-linux.sh has built one.
# Caches are dropped before every run when this runs as root (a cold start); otherwise
# starts are warm and the report says so. RUNS (default 7) runs per app, medians printed.
# Targets (issue 19): start and resident memory ≤ 1.05× the bare app, binary ≤ 1.5×.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}

cargo build --release -p fix401-app --features custom-protocol --bin fix401-app
cargo build --release -p hello-tauri --features custom-protocol --bin hello-tauri

display=:95
Xvfb "$display" -screen 0 1280x900x24 >/dev/null 2>&1 &
xvfb=$!
work=$(mktemp -d)
trap 'kill "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT
export DISPLAY=$display WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
sleep 1

cold=no
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ]; then cold=yes; fi

descendants() { # pid → pid and all its descendants
  local p=$1
  echo "$p"
  for c in $(pgrep -P "$p" || true); do descendants "$c"; done
}

sum_kib() { # field (VmRSS or Pss) over pids
  local field=$1; shift
  local total=0 v
  for p in "$@"; do
    if [ "$field" = Pss ]; then
      v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    else
      v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    fi
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# measure BIN TITLE ARGS... → prints "ms rss_kib pss_kib"
measure() {
  local bin=$1 title=$2; shift 2
  if [ "$cold" = yes ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
  local home; home=$(mktemp -d -p "$work")
  local t0 t1 id="" n pid
  t0=$(date +%s%N)
  HOME=$home "$bin" "$@" >/dev/null 2>&1 &
  pid=$!
  while :; do
    if [ -z "$id" ]; then
      id=$(xwininfo -root -tree 2>/dev/null | awk -v t="\"$title" 'index($0, t) {print $1; exit}')
    fi
    if [ -n "$id" ]; then
      # Painted once the window holds real content (text antialiasing: many colours).
      n=$(import -silent -window "$id" png:- 2>/dev/null | identify -format '%k' - 2>/dev/null || echo 0)
      if [ "${n:-0}" -gt 16 ]; then break; fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "$bin exited before painting" >&2; exit 1; fi
    if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 30000 ]; then echo "$bin: no paint in 30 s" >&2; exit 1; fi
  done
  t1=$(date +%s%N)
  sleep 3
  local pids; pids=$(descendants "$pid")
  # shellcheck disable=SC2086
  echo "$(( (t1 - t0) / 1000000 )) $(sum_kib VmRSS $pids) $(sum_kib Pss $pids)"
  kill $pids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

run_many() { # label bin title args... → file of "ms rss pss" lines
  local label=$1; shift
  : >"$work/$label"
  measure "$@" >/dev/null # warm-up, not counted
  for _ in $(seq "$RUNS"); do measure "$@" >>"$work/$label"; done
}

run_many hello target/release/hello-tauri "hello-tauri bench"
run_many fix401 target/release/fix401-app "fix401 — " --data-dir "$work/data"

col() { awk -v c="$1" '{print $c}' "$work/$2" | median; }
h_ms=$(col 1 hello); f_ms=$(col 1 fix401)
h_rss=$(col 2 hello); f_rss=$(col 2 fix401)
h_pss=$(col 3 hello); f_pss=$(col 3 fix401)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }

echo
echo "fix401-app vs a bare hello-world Tauri app, $RUNS runs each, medians (cold start: $cold)"
printf '%-28s %14s %14s %8s %8s\n' "" "hello-tauri" "fix401-app" "ratio" "target"
printf '%-28s %14s %14s %8s %8s\n' "start to first paint" "$h_ms ms" "$f_ms ms" "$(ratio "$f_ms" "$h_ms")×" "≤ 1.05×"
printf '%-28s %14s %14s %8s %8s\n' "resident memory (RSS)" "$(mib "$h_rss")" "$(mib "$f_rss")" "$(ratio "$f_rss" "$h_rss")×" "≤ 1.05×"
printf '%-28s %14s %14s %8s\n' "proportional memory (PSS)" "$(mib "$h_pss")" "$(mib "$f_pss")" "$(ratio "$f_pss" "$h_pss")×"
printf '%-28s %14s %14s %8s %8s\n' "binary size" "$(size target/release/hello-tauri)" "$(size target/release/fix401-app)" \
  "$(ratio "$(stat -c %s target/release/fix401-app)" "$(stat -c %s target/release/hello-tauri)")×" "≤ 1.5×"
deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
if [ -n "$deb" ]; then
  printf '%-28s %14s %14s\n' ".deb size (app + CLI)" "–" "$(size "$deb")"
fi
