#!/usr/bin/env bash
# live.sh — what issue 7 adds to a request and a turn, against one Release `kefu serve`
# (docs/benchmarks.md "Live push, sign-in and auth (issue 7)"):
#   sign-in     POST /api/v1/auth/login, one at a time, 20 runs (Argon2id verify + session write),
#   auth cost   wrk on GET /api/v1/auth/me without credentials, with a bearer session token and with
#               an API key, and on GET /api/v1/tickets?limit=1 with the token and the key,
#   live push   bench/live.c (live_bench): N customer sockets on N new conversations + agent
#               sockets; one FAQ turn at a time; POST → bot reply's `message` event on the
#               customer's and the agents' sockets (p50/p95/p99),
#   idle load   FAQ turns under wrk (bench/post_messages.lua) with no socket, then while
#               live_bench holds the largest N customer sockets (idle), the agent sockets (each
#               gets every event), both, then with no socket again; with the server's CPU time
#               per turn (/proc/PID/stat over the run) and live_bench's own CPU time.
# The store: `kefu demo seed --customers 50 --orders 300`, one agent user and one agent API key.
# Usage: bench/live.sh [KEFU_BIN] [DURATION_SECONDS]   (live_bench is looked for beside KEFU_BIN)
#   KEFU_BENCH_SOCKETS="1 100 1000"  customer sockets   KEFU_BENCH_AGENTS=10   KEFU_BENCH_TURNS=200
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/kefu}
dur=${2:-8}
live=$(dirname "$bin")/bench/live_bench
sockets_list=${KEFU_BENCH_SOCKETS:-1 100 1000}
agents=${KEFU_BENCH_AGENTS:-10}
turns=${KEFU_BENCH_TURNS:-200}
conns=16
command -v wrk >/dev/null || { echo "live.sh: wrk missing: scripts/install-deps.sh bench" >&2; exit 1; }
[ -x "$live" ] || { echo "live.sh: $live missing: build the bench targets" >&2; exit 1; }
max=0; for n in $sockets_list; do [ "$n" -gt "$max" ] && max=$n; done
[ $((max + agents + 64)) -lt "$(ulimit -n)" ] || { echo "live.sh: raise ulimit -n above $((max + agents + 64))" >&2; exit 1; }
tmp=$(mktemp -d)
pid= hold=
trap '[ -n "$hold" ] && kill $hold 2>/dev/null; [ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

summary() { # wrk output → "req/s  p50  p99  non-2xx"
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         /Socket errors/ {err=$0; sub(/^ *Socket errors: */, "", err)}
         END {printf "%8.0f req/s    p50 %-8s p99 %-8s non-2xx %d%s\n", rps, p50, p99, bad,
                     err ? "  socket errors: " err : ""}'
}

echo "kefu live/auth bench: $(nproc) cores shared by kefu, wrk and live_bench, $(date -u +%F)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" demo seed --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" --customers 50 --orders 300 \
    --log-level warn >"$tmp/seed" 2>&1 || { echo "live.sh: kefu demo seed failed" >&2; cat "$tmp/seed" >&2; exit 1; }
pw=$(head -c 18 /dev/urandom | base64)
echo "$pw" | "$bin" users add bench-agent --role agent --password-stdin -d "$tmp/kefu.db" >/dev/null
key=$("$bin" keys add bench-key --role agent -d "$tmp/kefu.db" 2>/dev/null)
"$bin" serve --port 0 --db "$tmp/kefu.db" --bot "$root/bots/demo-shop" --web "$root/web" \
    --log-level warn >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q '^listening' "$tmp/out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$tmp/out")
[ -n "$url" ] || { echo "live.sh: kefu did not start" >&2; cat "$tmp/out" >&2; exit 1; }
port=${url##*:}
echo "store: $(sed 's/^seeded [^:]*: //' "$tmp/seed" | head -1); kefu serve (16 worker threads), store.synchronous=full"

echo "sign-in: POST /api/v1/auth/login, 20 runs one at a time (curl time_total)"
login='{"username":"bench-agent","password":"'$pw'"}'
: >"$tmp/login_ms"
for _ in $(seq 1 20); do
    curl -s -o "$tmp/login" -w '%{http_code} %{time_total}\n' -XPOST "$url/api/v1/auth/login" \
        -H 'Content-Type: application/json' -d "$login" >"$tmp/login_st"
    read -r code secs <"$tmp/login_st"
    [ "$code" = 200 ] || { echo "live.sh: login answered $code" >&2; cat "$tmp/login" >&2; exit 1; }
    awk -v s="$secs" 'BEGIN {printf "%.2f\n", s * 1000}' >>"$tmp/login_ms"
done
sort -n "$tmp/login_ms" | awk '{v[NR]=$1; t+=$1} END {printf "    min %.1f ms  p50 %.1f ms  max %.1f ms  mean %.1f ms\n", v[1], v[int((NR+1)/2)], v[NR], t/NR}'
token=$(grep -o '"token":"[^"]*"' "$tmp/login" | cut -d'"' -f4)

echo "auth cost: wrk -t2 -c$conns -d${dur}s"
run_auth() { # label path [header]
    printf "    %-44s" "$1"
    if [ -n "${3:-}" ]; then
        wrk -t2 -c$conns -d${dur}s --latency -H "$3" "$url$2" | summary
    else
        wrk -t2 -c$conns -d${dur}s --latency "$url$2" | summary
    fi
}
run_auth "GET /healthz (no auth, no work)" /healthz
run_auth "GET /api/v1/auth/me, no credentials" /api/v1/auth/me
run_auth "GET /api/v1/auth/me, bearer session token" /api/v1/auth/me "Authorization: Bearer $token"
run_auth "GET /api/v1/auth/me, API key" /api/v1/auth/me "Authorization: Bearer $key"
run_auth "GET /api/v1/tickets?limit=1, session token" '/api/v1/tickets?limit=1' "Authorization: Bearer $token"
run_auth "GET /api/v1/tickets?limit=1, API key" '/api/v1/tickets?limit=1' "Authorization: Bearer $key"

echo "live push: customer sockets + $agents agent sockets (bearer session token), $turns FAQ turns one at a time"
fails=0
for n in $sockets_list; do
    "$live" --port "$port" --token "$token" --customers "$n" --agents "$agents" --turns "$turns" \
        --pid "$pid" || fails=$((fails + 1))
done

echo "FAQ turns under wrk -t2 -c$conns -d${dur}s (bench/post_messages.lua, 64 conversations)"
: >"$tmp/ids"
for _ in $(seq 1 64); do
    curl -s -XPOST "$url/api/v1/conversations" -H 'Content-Type: application/json' -d '{}' |
        grep -o '"id":"[0-9a-f]\{32\}"' | cut -d'"' -f4 >>"$tmp/ids"
done
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
faq() { # label: wrk's figures and the server's CPU time per turn over the run
    local c0 c1
    printf "    %-40s" "$1"
    c0=$(cpu_ticks)
    KEFU_BENCH_IDS="$tmp/ids" wrk -t2 -c$conns -d${dur}s --latency -s "$root/bench/post_messages.lua" "$url" >"$tmp/wrk"
    c1=$(cpu_ticks)
    summary <"$tmp/wrk" | tr -d '\n'
    awk -v d=$((c1 - c0)) -v hz="$hz" '/requests in/ {printf "  server CPU %.0f us/turn\n", d / hz * 1e6 / $1}' "$tmp/wrk"
}
faq_with() { # customers agents: the same while live_bench holds that many sockets open
    "$live" --port "$port" --token "$token" --customers "$1" --agents "$2" --hold $((dur + 3)) \
        --pid "$pid" >"$tmp/hold" 2>&1 &
    hold=$!
    for _ in $(seq 1 900); do grep -q '^ready' "$tmp/hold" && break; sleep 0.1; done
    grep -q '^ready' "$tmp/hold" || { echo "live.sh: live_bench --hold did not get ready" >&2; cat "$tmp/hold" >&2; exit 1; }
    faq "$1 idle customer + $2 agent sockets"
    wait $hold || fails=$((fails + 1))
    hold=
    grep '^  held' "$tmp/hold" | sed 's/^  /      /'
    sleep 1
}
faq "no sockets"
faq_with "$max" 0
faq_with 0 "$agents"
faq_with "$max" "$agents"
faq "no sockets (again)"
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status) hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "kefu RSS now $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB"
kill $pid; wait $pid 2>/dev/null || true
pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $fails -eq 0 ] || { echo "live.sh: $fails live run(s) failed (above)" >&2; exit 1; }
