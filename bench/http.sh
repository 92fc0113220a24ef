#!/usr/bin/env bash
# http.sh — messages/second and latency of POST /api/v1/conversations/{id}/messages
# under wrk on loopback, beside GET /healthz (the HTTP ceiling of this machine),
# and the server's RSS. Runs once per store.synchronous setting.
# Usage: bench/http.sh [KEFU_BIN] [DURATION_SECONDS]     (make bench builds and runs it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/kefu}
dur=${2:-10}
threads=2 conns=64
command -v wrk >/dev/null || { echo "http.sh: wrk missing: scripts/install-deps.sh bench" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

summary() { # wrk output → "req/s  p50  p99"
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "%10.0f req/s   p50 %-8s p99 %-8s%s\n", rps, p50, p99, bad ? "  non-2xx: " bad : ""}'
}

echo "kefu HTTP bench: wrk -t$threads -c$conns -d${dur}s on 127.0.0.1, $(nproc) cores, $(date -u +%F)"
for sync in full normal; do
    rm -f "$tmp"/kefu.db*
    "$bin" serve --port 0 --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" --web "$root/web" \
        ${KEFU_BENCH_THREADS:+--threads $KEFU_BENCH_THREADS} --log-level warn --set store.synchronous=$sync >"$tmp/out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do grep -q '^listening' "$tmp/out" && break; sleep 0.1; done
    url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$tmp/out")
    : >"$tmp/ids"
    [ -n "$url" ] || { echo "http.sh: kefu did not start" >&2; cat "$tmp/out" >&2; exit 1; }
    for _ in $(seq 1 64); do
        curl -s -XPOST "$url/api/v1/conversations" -H 'Content-Type: application/json' -d '{}' |
            grep -o '"id":"[0-9a-f]\{32\}"' | cut -d'"' -f4 >>"$tmp/ids"
    done
    echo "store.synchronous=$sync"
    printf "  GET  /healthz                 "
    wrk -t$threads -c$conns -d${dur}s --latency "$url/healthz" | summary
    printf "  POST .../messages (FAQ turn)  "
    KEFU_BENCH_IDS="$tmp/ids" wrk -t$threads -c$conns -d${dur}s --latency \
        -s "$root/bench/post_messages.lua" "$url" | summary
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status) hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    msgs=$(sqlite3 "$tmp/kefu.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo '?')
    echo "  kefu RSS now $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB; messages stored: $msgs"
    kill $pid; wait $pid 2>/dev/null || true
done
