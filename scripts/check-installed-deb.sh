#!/usr/bin/env bash
# Installs the freshly built .deb on this machine and checks that the installed app starts:
# its files are where the package says, the CLI runs, and the window opens under Xvfb
# (screenshot: ci-artifacts/screenshots/20-installed-deb.png). Run after scripts/bundle-linux.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

deb=$(ls -t target/release/bundle/deb/*.deb | head -n 1)
# The Kerberos libraries are loaded at run time (sign-in evidence): recommended, not required,
# so the app installs and starts without them.
recommends="$(dpkg-deb -f "$deb" Recommends || true)"
depends="$(dpkg-deb -f "$deb" Depends || true)"
echo "Depends: $depends"
echo "Recommends: $recommends"
case "$recommends" in
  *libgssapi-krb5-2*) ;;
  *) echo "the .deb does not recommend libgssapi-krb5-2" >&2; exit 1 ;;
esac
case "$depends" in
  *krb5*) echo "the .deb must not depend on the Kerberos libraries" >&2; exit 1 ;;
esac
echo "== installing $deb"
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "./$deb"
dpkg -L fix401 | grep -E 'bin/|\.desktop$|\.policy$|icons/hicolor/128x128/' 

for f in /usr/bin/fix401-app /usr/bin/fix401; do
  test -x "$f" || { echo "missing: $f" >&2; exit 1; }
done
test -f /usr/share/polkit-1/actions/org.fix401.flush-dns.policy
grep -q 'x-scheme-handler/fix401' /usr/share/applications/fix401.desktop
/usr/bin/fix401 --version

# Start the installed app (the way the desktop entry does) on a throw-away home.
tmp=$(mktemp -d)
display=:96
Xvfb "$display" -screen 0 1280x900x24 >/dev/null 2>&1 &
xvfb=$!
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
sleep 1
WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 DISPLAY=$display HOME="$tmp" \
  /usr/bin/fix401-app --home "$tmp" --data-dir "$tmp/data" --url http://127.0.0.1:9/ \
  >"$tmp/app.log" 2>&1 &
app=$!
for _ in $(seq 1 100); do
  if DISPLAY=$display xwininfo -root -tree 2>/dev/null | grep -q '"fix401 — '; then
    sleep 2 # let the page paint before the screenshot
    mkdir -p ci-artifacts/screenshots
    DISPLAY=$display import -window root ci-artifacts/screenshots/20-installed-deb.png
    kill -0 "$app" || { echo "the installed app exited" >&2; cat "$tmp/app.log" >&2; exit 1; }
    echo "the installed app opened its window"
    exit 0
  fi
  kill -0 "$app" 2>/dev/null || { echo "the installed app exited early" >&2; cat "$tmp/app.log" >&2; exit 1; }
  sleep 0.2
done
echo "no fix401 window within 20 s" >&2
cat "$tmp/app.log" >&2
exit 1
