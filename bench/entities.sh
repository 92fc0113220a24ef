#!/usr/bin/env bash
# entities.sh — entity extraction figures (issue 4), as docs/benchmarks.md
# records them:
#   1. CLUENER2020: train the CRF on train.bio, score dev.bio (exact spans)
#   2. the demo shop's held-out test set: patterns + catalogue, and with the CRF
#   3. extraction time per message
# Usage: bench/entities.sh [DATASETS_DIR] [BUILD_DIR]   (default ../shared/datasets, build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$root/../shared/datasets}
build=${2:-build}
kefu=$build/kefu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== CLUENER2020 (train.bio → dev.bio), kefu CRF =="
start=$(date +%s.%N)
"$kefu" train --task entities --data "$data/cluener/train.bio" --out "$tmp/cluener.kfm" \
    --bio --c2 0.3 --min-count 2 --max-iter 400 -j 2
end=$(date +%s.%N)
echo "training wall time: $(echo "$end - $start" | bc) s"
"$kefu" eval --task entities --model "$tmp/cluener.kfm" --data "$data/cluener/dev.bio"
"$kefu" eval --task entities --model "$tmp/cluener.kfm" --data "$data/cluener/dev.bio" --json

echo
echo "== demo shop held-out set (bots/demo-shop/tests/entities-test.yaml) =="
echo "-- patterns + catalogue --"
"$kefu" eval --task entities --bot "$root/bots/demo-shop" --models "$tmp/demo" --no-crf \
    --data "$root/bots/demo-shop/tests/entities-test.yaml"
echo "-- patterns + catalogue + CRF (merged) --"
"$kefu" eval --task entities --bot "$root/bots/demo-shop" --models "$tmp/demo" \
    --data "$root/bots/demo-shop/tests/entities-test.yaml"
echo "-- the CRF alone --"
"$kefu" eval --task entities --model "$tmp/demo/entities.kfm" \
    --catalogue "$root/bots/demo-shop/catalogue.yaml" \
    --data "$root/bots/demo-shop/tests/entities-test.yaml" | head -1

echo
echo "== extraction time per message (bench/entity_speed) =="
"$build/bench/entity_speed" "$root/bots/demo-shop" "$tmp/demo" \
    "$root/bots/demo-shop/tests/entities-test.yaml" 20
