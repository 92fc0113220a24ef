#!/usr/bin/env bash
# http.sh — turns/second and latency through the HTTP API under wrk on loopback:
#   GET /healthz                         the HTTP ceiling of this machine (no work),
#   POST .../messages, FAQ turns         parse + FAQ retrieval + durable write,
#   POST .../messages, flow turns        parse + dialog flows + business actions over the
#                                        demo shop's store + durable write (bench/flow_turns.lua),
# and the server's RSS. Runs once per store.synchronous setting, at each connection count.
# The store is seeded with `kefu demo seed` (default sizes) before the server starts.
# Usage: bench/http.sh [KEFU_BIN] [DURATION_SECONDS]     (make bench builds and runs it)
#   KEFU_BENCH_CONNS="16 64"  wrk connection counts      KEFU_BENCH_THREADS=N  kefu worker threads
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/kefu}
dur=${2:-10}
threads=2
conns_list=${KEFU_BENCH_CONNS:-16 64}
command -v wrk >/dev/null || { echo "http.sh: wrk missing: scripts/install-deps.sh bench" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

summary() { # wrk output → "req/s  p50  p99  non-2xx"
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         /Socket errors/ {err=$0; sub(/^ *Socket errors: */, "", err)}
         END {printf "%8.0f req/s    p50 %-8s p99 %-8s non-2xx %d%s\n", rps, p50, p99, bad,
                     err ? "  socket errors: " err : ""}'
}
flow_summary() { # wrk output + flow_turns.lua's line → "turns/s  p50  p99  non-2xx  checks"
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         /Socket errors/ {err=$0; sub(/^ *Socket errors: */, "", err)}
         /^flow:/ {t=$3; c=$5; u=$7; m=$9}
         END {printf "%8.0f turns/s  p50 %-8s p99 %-8s non-2xx %d%s\n", (t + c) ? rps * t / (t + c) : 0,
                     p50, p99, bad, err ? "  socket errors: " err : "";
              printf "        %d turns + %d new conversations (%.0f req/s); unexpected replies %d, unmatched %d\n",
                     t, c, rps, u, m}'
}
check_flow() { # fetch the conversations flow_turns.lua finished; every bot reply must be a flow step
    local id body kinds
    [ -s "$tmp/flow_ids" ] || { echo "        no conversation finished its script: nothing to check"; fails=$((fails + 1)); }
    while read -r id; do
        body=$(curl -s "$url/api/v1/conversations/$id/messages")
        kinds=$(grep -o '"kind":"[a-z_]*"' <<<"$body" | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
        printf "        check %s: %s" "${id:0:8}" "$kinds"
        if grep -q '"outcome":"error"\|"kind":"\(not_sure\|fallback\|error\)"' <<<"$body" ||
           ! grep -q '"kind":"\(action\|cancelled\)"' <<<"$body"; then
            echo " BAD"; echo "$body" >&2; fails=$((fails + 1))
        else
            echo " ok"
        fi
    done <"$tmp/flow_ids"
    local st
    st=$(sqlite3 "$tmp/kefu.db" "SELECT status FROM orders WHERE order_no='DS20261101004'" 2>/dev/null || echo '?')
    echo "        order DS20261101004 after the run: $st (declined cancellations leave it paid)"
    [ "$st" = paid ] || [ "$st" = '?' ] || fails=$((fails + 1))
}

fails=0
echo "kefu HTTP bench: wrk -t$threads -c{${conns_list// /,}} -d${dur}s on 127.0.0.1, $(nproc) cores shared by kefu and wrk, $(date -u +%F)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for sync in full normal; do
    rm -f "$tmp"/kefu.db*
    "$bin" demo seed --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" --log-level warn >"$tmp/seed" 2>&1 ||
        { echo "http.sh: kefu demo seed failed" >&2; cat "$tmp/seed" >&2; exit 1; }
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
    echo "store.synchronous=$sync ($(sed 's/^seeded [^:]*: //' "$tmp/seed" | grep -m1 products))"
    for conns in $conns_list; do
        echo "  wrk -t$threads -c$conns"
        printf "    GET  /healthz                  "
        wrk -t$threads -c$conns -d${dur}s --latency "$url/healthz" | summary
        printf "    POST .../messages (FAQ turn)   "
        KEFU_BENCH_IDS="$tmp/ids" wrk -t$threads -c$conns -d${dur}s --latency \
            -s "$root/bench/post_messages.lua" "$url" | summary
        printf "    POST .../messages (flow turn)  "
        KEFU_BENCH_OUT="$tmp/flow_ids" wrk -t$threads -c$conns -d${dur}s --latency \
            -s "$root/bench/flow_turns.lua" "$url" >"$tmp/wrk_flow"
        flow_summary <"$tmp/wrk_flow"
        grep -q '^flow: .* unexpected 0 unmatched 0$' "$tmp/wrk_flow" || fails=$((fails + 1))
        check_flow
    done
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status) hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    msgs=$(sqlite3 "$tmp/kefu.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo '?')
    echo "  kefu RSS now $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB; messages stored: $msgs"
    kill $pid; wait $pid 2>/dev/null || true
    pid=
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $fails -eq 0 ] || { echo "http.sh: $fails correctness check(s) failed (above)" >&2; exit 1; }
