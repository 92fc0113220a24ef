#!/usr/bin/env bash
# events.sh — customer events/second into the store (issue 6):
#   kefu import   JSON lines and CSV files from bench/events_gen (N events, M customers), into an
#                 empty store, then the same file again (every event a duplicate);
#   HTTP          POST /api/v1/events under wrk: JSON-lines batches of 100 events, and single
#                 events (bench/post_events.lua), against a running `kefu serve`.
# Usage: bench/events.sh [BUILD_DIR] [EVENTS] [CUSTOMERS] [WRK_SECONDS]
#   defaults: build 200000 20000 10; a Release build is what docs/benchmarks.md records.
#   KEFU_BENCH_HTTP_ONLY=1 skips the import part; KEFU_BENCH_SYNC=normal for store.synchronous.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-200000}
m=${3:-20000}
dur=${4:-10}
bin=$build/kefu gen=$build/bench/events_gen
bot=$root/bots/demo-shop
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
common=(--bot "$bot" --log-level warn --set "store.synchronous=${KEFU_BENCH_SYNC:-full}")

if [ -z "${KEFU_BENCH_HTTP_ONLY:-}" ]; then
echo "== kefu import: $n events for $m customers (store.synchronous=${KEFU_BENCH_SYNC:-full}) =="
"$gen" --events "$n" --customers "$m" --format jsonl --prefix j >"$tmp/ev.jsonl"
"$gen" --events "$n" --customers "$m" --format csv --prefix c >"$tmp/ev.csv"
ls -l "$tmp/ev.jsonl" "$tmp/ev.csv" | awk '{printf "  %-10s %6.1f MB\n", $NF ~ /csv$/ ? "csv" : "jsonl", $5 / 1e6}'
for f in ev.jsonl ev.csv; do
    rm -f "$tmp/imp.db"*
    "$bin" import "$tmp/$f" --db "$tmp/imp.db" "${common[@]}" | sed 's|^|  |'
    "$bin" import "$tmp/$f" --db "$tmp/imp.db" "${common[@]}" | sed 's|^|  again: |'
done
echo "  parse + mask only (--check, nothing written):"
"$bin" import "$tmp/ev.jsonl" --check --db "$tmp/check.db" "${common[@]}" | sed 's|^|    |'
"$bin" import "$tmp/ev.csv" --check --db "$tmp/check.db" "${common[@]}" | sed 's|^|    |'
fi

command -v wrk >/dev/null || { echo "events.sh: wrk missing: scripts/install-deps.sh bench" >&2; exit 1; }
echo "== POST /api/v1/events (wrk, ${dur}s, 2 threads) =="
"$bin" serve --port 0 --db "$tmp/http.db" "${common[@]}" --web "$root/web" --threads 16 >"$tmp/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$tmp/serve.out")
[ -n "$url" ] || { cat "$tmp/serve.out"; exit 1; }
for spec in "100 16" "1 16" "1 64"; do
    set -- $spec
    out=$(KEFU_BENCH_BATCH=$1 KEFU_BENCH_RUN="$1x$2" wrk -t2 -c"$2" -d"${dur}s" --latency -s "$root/bench/post_events.lua" "$url")
    echo "$out" | awk -v b="$1" -v c="$2" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
        /Non-2xx/ {bad=$NF}
        END {printf "  batch %-4d conns %-3d %8.0f req/s = %8.0f events/s   p50 %-8s p99 %-8s non-2xx %d\n",
                    b, c, rps, rps * b, p50, p99, bad}'
done
echo "  events stored by the server: $(sqlite3 "$tmp/http.db" 'select count(*) from events' 2>/dev/null || echo '?')"
