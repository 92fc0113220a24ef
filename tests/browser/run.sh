#!/usr/bin/env bash
# run.sh — browser tests (headless Chromium via playwright-core) against a
# real `kefu serve` on a free loopback port with a throw-away database holding
# the demo shop data (`kefu demo seed`).
# Usage: run.sh KEFU_BIN REPO_ROOT ARTIFACTS_DIR [PAGE.test.mjs ...]   (called by ctest,
# one page's file per test; with no file, every tests/browser/*.test.mjs). Staff accounts (agent, second agent,
# supervisor) are created on the seeded database and passed to the tests as
# KEFU_AGENT_USER/PASS, KEFU_AGENT2_USER/PASS, KEFU_SUPERVISOR_USER/PASS.
set -euo pipefail
bin=$1 root=$2 artifacts=$3
shift 3
here="$root/tests/browser"
[ -d "$here/node_modules/playwright-core" ] || { echo "run.sh: playwright-core missing: run scripts/install-test-tools.sh" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "run.sh: /usr/bin/chromium missing: run scripts/install-deps.sh test" >&2; exit 1; }
[ -f "$root/web/node_modules/echarts/dist/echarts.min.js" ] || { echo "run.sh: ECharts missing: run scripts/install-web-libs.sh" >&2; exit 1; }

tmp=$(mktemp -d)
out="$tmp/serve.out"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# the demo shop's customers and orders (docs/demo-data.md): the card test talks as demo-customer-1
"$bin" demo seed --customers 50 --orders 300 --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" \
    >"$tmp/seed.out" 2>&1 || { cat "$tmp/seed.out" >&2; exit 1; }
# staff accounts for the console's tests (passwords only ever on stdin)
KEFU_AGENT_USER=agent-a KEFU_AGENT_PASS=agent-a-pass-1
KEFU_AGENT2_USER=agent-b KEFU_AGENT2_PASS=agent-b-pass-2
KEFU_SUPERVISOR_USER=super-s KEFU_SUPERVISOR_PASS=super-s-pass-3
for u in "$KEFU_AGENT_USER:agent:$KEFU_AGENT_PASS" "$KEFU_AGENT2_USER:agent:$KEFU_AGENT2_PASS" \
         "$KEFU_SUPERVISOR_USER:supervisor:$KEFU_SUPERVISOR_PASS"; do
    IFS=: read -r name role pass <<<"$u"
    printf '%s\n' "$pass" | "$bin" users add "$name" --role "$role" --password-stdin -d "$tmp/kefu.db" \
        >>"$tmp/seed.out" 2>&1 || { cat "$tmp/seed.out" >&2; exit 1; }
done
export KEFU_AGENT_USER KEFU_AGENT_PASS KEFU_AGENT2_USER KEFU_AGENT2_PASS \
    KEFU_SUPERVISOR_USER KEFU_SUPERVISOR_PASS
"$bin" serve --port 0 --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" --web "$root/web" \
    --log-level warn >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    grep -q '^listening on ' "$out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$out" | head -1)
[ -n "$url" ] || { echo "run.sh: kefu did not start" >&2; cat "$out" >&2; exit 1; }
mkdir -p "$artifacts"
cd "$here"
# every page's tests: *.test.mjs in this folder (one file at a time: they share the server)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(*.test.mjs)
KEFU_URL="$url" KEFU_ARTIFACTS="$artifacts" node --test --test-concurrency=1 "${tests[@]}"
