#!/usr/bin/env bash
# run.sh — every benchmark, as `make bench` runs them. Figures go to stdout;
# docs/benchmarks.md records them with the command that printed them.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== FAQ retrieval (bench/faq_eval) =="
"$build/bench/faq_eval" "$root/bots/demo-shop" "$root/bots/demo-shop/tests/faq-eval.tsv"
echo
echo "== NLU parse speed (bench/nlu_speed) =="
"$build/bench/nlu_speed" "$root/bots/demo-shop" "$(mktemp -d)" "${KEFU_DATASETS:-$root/../shared/datasets}/clinc150/test.tsv" 3
echo
echo "== Entities (bench/entities.sh) =="
"$root/bench/entities.sh" "${KEFU_DATASETS:-$root/../shared/datasets}" "$build"
echo
echo "== HTTP (bench/http.sh) =="
"$root/bench/http.sh" "$build/kefu" "${KEFU_BENCH_SECONDS:-10}"
echo
echo "== Association rules (bench/apriori.sh; WEKA_APRIORI_N=\"20000 100000\" adds Weka's 9-minute Apriori row) =="
WEKA_APRIORI_N=${WEKA_APRIORI_N-20000} "$root/bench/apriori.sh" "$build"
echo
echo "== Live push, sign-in and auth (bench/live.sh) =="
"$root/bench/live.sh" "$build/kefu" "${KEFU_BENCH_SECONDS:-8}"
