#!/usr/bin/env bash
# profiles.sh — profile rebuild and incremental update cost (issue 6):
#   1. bulk-load N events for M customers: bench/events_gen --db --deferred 1 (events built in
#      memory and written by kf_events_ingest in batches of 1000 with profiles deferred — what
#      `kefu import --bulk` does after parsing and masking);
#   2. `kefu profiles rebuild` over that store: wall time and peak RSS (/usr/bin/time -v);
#   3. incremental: 100,000 new events into the big store, through the same bulk path (µs/event)
#      and through `kefu import` of a JSON-lines file.
# Usage: bench/profiles.sh [BUILD_DIR] [EVENTS] [CUSTOMERS] [DB_FOLDER]
#   defaults: build 20000000 1000000 (a mktemp folder; the store needs ~ 250 bytes per event)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-20000000}
m=${3:-1000000}
dir=${4:-$(mktemp -d)}
bin=$build/kefu gen=$build/bench/events_gen
bot=$root/bots/demo-shop
trap 'rm -rf "$dir/big.db" "$dir/big.db-wal" "$dir/big.db-shm" "$dir/inc.jsonl"' EXIT
common=(--db "$dir/big.db" --bot "$bot" --log-level warn --set store.synchronous=normal)

echo "== bulk load: $n events for $m customers (events_gen --db) =="
rm -f "$dir/big.db"*
/usr/bin/time -f '  wall %e s, peak RSS %M KB' "$gen" --events "$n" --customers "$m" --db "$dir/big.db" --deferred 1 2>&1 |
    sed 's|^bulk|  bulk|'
echo "  store: $(du -h "$dir/big.db" | cut -f1)"

echo "== kefu profiles rebuild =="
/usr/bin/time -v "$bin" profiles rebuild "${common[@]}" --now 2026-11-20T00:00:00Z 2>"$dir/time.txt" | sed 's|^|  |'
awk -F': ' '/Elapsed \(wall clock\)/ {print "  wall " $2} /Maximum resident/ {printf "  peak RSS %.0f MB\n", $2 / 1024}' "$dir/time.txt"

echo "== incremental: 100000 new events into the big store =="
"$gen" --events 100000 --customers "$m" --db "$dir/big.db" --prefix inc --seed 7 | sed 's|^|  bulk path: |'
"$gen" --events 100000 --customers "$m" --format jsonl --prefix imp --seed 9 >"$dir/inc.jsonl"
"$bin" import "$dir/inc.jsonl" "${common[@]}" | sed 's|^|  kefu import: |'
