#!/usr/bin/env bash
# compare.sh — kefu's NLU next to fastText and NLP.js, same splits, same scorer.
#
#   bench/nlu/compare.sh [DATASETS_DIR] [KEFU_BIN]
#
# DATASETS_DIR defaults to ../shared/datasets beside the repo root; it must hold
# clinc150/{train,valid,test}.tsv and chnsenticorp/{train,dev,test}.tsv. The
# sentences are read from there at run time and never copied into the repo.
# Without KEFU_BIN (or when `KEFU_BIN train --help` fails) kefu's rows say
# "kefu: not available" and the rest still runs.
#
# Every system writes one predicted label per test line; score.mjs scores them
# all the same way, threshold.mjs tunes every out-of-scope threshold the same
# way (on the validation split). Tables go to stdout, progress to stderr.
#
# Environment:
#   NLU_SYSTEMS   systems to run (default "kefu fasttext nlpjs")
#   NLU_DATASETS  datasets to run (default "clinc150 chnsenticorp")
#   NLU_WORK      keep models, predictions and logs in this folder
#                 (default: a temporary folder, removed at the end)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${1:-$root/../shared/datasets}
kefu=${2:-}
systems=${NLU_SYSTEMS:-"kefu fasttext nlpjs"}
datasets=${NLU_DATASETS:-"clinc150 chnsenticorp"}
min_pred_lines=50000

[ -d "$data" ] || { echo "compare.sh: no datasets folder $data" >&2; exit 2; }
data=$(cd "$data" && pwd)
if [ -n "$kefu" ] && [[ $kefu == */* ]] && [ -d "$(dirname "$kefu")" ]; then
    kefu=$(cd "$(dirname "$kefu")" && pwd)/$(basename "$kefu")
fi

if [ -n "${NLU_WORK:-}" ]; then
    work=$NLU_WORK
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/kefu-nlu.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

start_all=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }'; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
timings=$work/timings.txt
: > "$timings"
part_done() { # NAME START
    local s
    s=$(secs "$2" "$(now)")
    printf '%-34s %8s s\n' "$1" "$s" >> "$timings"
    log "$1 done in $s s"
}
wants() { [[ " $systems " == *" $1 "* ]]; }

# Repeats the texts of a TSV until there are at least $min_pred_lines lines.
repeat_texts() { # TSV OUT
    local once=$2.once n=0
    cut -f2- "$1" > "$once"
    : > "$2"
    while [ "$n" -lt "$min_pred_lines" ]; do
        cat "$once" >> "$2"
        n=$(wc -l < "$2")
    done
    rm -f "$once"
}

# --- what is installed --------------------------------------------------------

versions=()
if wants fasttext; then
    if ! command -v fasttext > /dev/null; then
        log "installing fastText (apt-get install -y fasttext)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y fasttext > "$work/apt.log" 2>&1 ||
            { apt-get update > /dev/null 2>&1 && apt-get install -y fasttext > "$work/apt.log" 2>&1; }
    fi
    versions+=("fastText $(dpkg-query -W -f='${Version}' fasttext 2> /dev/null || echo '?') (Debian package)")
fi
if wants nlpjs; then
    if [ ! -d "$here/nlpjs/node_modules/node-nlp" ]; then
        log "installing NLP.js (npm ci in bench/nlu/nlpjs)"
        (cd "$here/nlpjs" && npm ci --no-audit --no-fund > "$work/npm.log" 2>&1)
    fi
    versions+=("node-nlp $(node -p "require('$here/nlpjs/node_modules/node-nlp/package.json').version") on node $(node --version)")
fi
kefu_ok=0
if wants kefu; then
    if [ -n "$kefu" ] && "$kefu" train --help > /dev/null 2>&1; then
        kefu_ok=1
        versions+=("kefu $("$kefu" version 2> /dev/null | head -1 || echo '?') ($kefu)")
    else
        log "kefu: not available${kefu:+ ($kefu train --help failed)}"
    fi
fi

# --- the three systems --------------------------------------------------------
# Each run_* appends rows (JSON lines, see table.mjs) to $rows.

# run_kefu NAME TASK TRAIN VALID TEST HAS_OOS
run_kefu() {
    local name=$1 task=$2 train=$3 valid=$4 test=$5 oos=$6
    local m=$work/kefu-$name.kfm t0 train_s pred_s n
    kefu_na() {
        node "$here/table.mjs" na --name kefu --note "$1" >> "$rows"
        if [ "$oos" = 1 ]; then node "$here/table.mjs" na --name "kefu + threshold (valid)" --note "$1" >> "$rows"; fi
    }
    if [ "$kefu_ok" != 1 ]; then
        kefu_na "kefu: not available"
        return 0
    fi
    local p0
    p0=$(now)
    log "$name kefu: train --task $task"
    t0=$(now)
    # with out-of-scope data, kefu tunes its own threshold on the validation
    # split (highest that costs ≤ 0.5 points of in-scope accuracy, docs/nlu.md);
    # the "+ threshold (valid)" row re-tunes it with the shared rule below
    local validarg=()
    if [ "$oos" = 1 ]; then validarg=(--valid "$valid"); fi
    if ! "$kefu" train --data "$train" --out "$m" --task "$task" "${validarg[@]}" 2> "$work/kefu-$name.train.log"; then
        kefu_na "kefu train failed: $(tail -1 "$work/kefu-$name.train.log")"
        return 0
    fi
    train_s=$(secs "$t0" "$(now)")
    local note="" evaljson
    if "$kefu" eval --model "$m" --data "$test" --json > "$work/kefu-$name.eval.json" 2> "$work/kefu-$name.eval.log"; then
        evaljson=$(tr -d '\n' < "$work/kefu-$name.eval.json" | sed 's/,"per_label".*/}/')
        note="own eval: $evaljson"
    else
        note="kefu eval failed: $(tail -1 "$work/kefu-$name.eval.log")"
    fi
    cut -f2- "$test" | "$kefu" predict --model "$m" > "$work/kefu-$name.test.raw" 2> "$work/kefu-$name.predict.log" || true
    if [ "$(wc -l < "$work/kefu-$name.test.raw")" != "$(wc -l < "$test")" ]; then
        kefu_na "kefu predict gave $(wc -l < "$work/kefu-$name.test.raw") lines for $(wc -l < "$test") texts"
        return 0
    fi
    cut -f1 "$work/kefu-$name.test.raw" > "$work/kefu-$name.test.pred"
    repeat_texts "$test" "$work/$name.repeat.txt"
    log "$name kefu: predict throughput over $(wc -l < "$work/$name.repeat.txt") lines"
    t0=$(now)
    n=$({ "$kefu" predict --model "$m" < "$work/$name.repeat.txt" 2>> "$work/kefu-$name.predict.log" || true; } | wc -l)
    pred_s=$(rate "$n" "$(secs "$t0" "$(now)")")
    node "$here/table.mjs" row --name kefu --gold "$test" --pred "$work/kefu-$name.test.pred" \
        --train-s "$train_s" --pred-s "$pred_s" --note "$note" >> "$rows"
    if [ "$oos" = 1 ]; then
        cut -f2- "$valid" | "$kefu" predict --model "$m" > "$work/kefu-$name.valid.raw" 2>> "$work/kefu-$name.predict.log" || true
        if node "$here/threshold.mjs" "$valid" "$work/kefu-$name.valid.raw" "$work/kefu-$name.test.raw" \
            > "$work/kefu-$name.thr.pred" 2> "$work/kefu-$name.thr.json"; then
            node "$here/table.mjs" row --name "kefu + threshold (valid)" --gold "$test" --pred "$work/kefu-$name.thr.pred" \
                --train-s "$train_s" --pred-s "$pred_s" --note "$(tail -1 "$work/kefu-$name.thr.json")" >> "$rows"
        else
            node "$here/table.mjs" na --name "kefu + threshold (valid)" --note "$(tail -1 "$work/kefu-$name.thr.json")" >> "$rows"
        fi
    fi
    part_done "$name kefu" "$p0"
}

# fastText's `__label__x 0.97` lines -> `x<TAB>0.97`
ft_raw() { sed -e 's/^__label__//' -e 's/ /\t/'; }

# run_fasttext NAME LANG TRAIN VALID TEST HAS_OOS "GRID"
# GRID: space-separated lr:epoch:wordNgrams configurations, tried in order on
# VALID; the first with the best valid accuracy is kept (ties -> the earlier).
run_fasttext() {
    local name=$1 lang=$2 train=$3 valid=$4 test=$5 oos=$6 grid=$7
    local p0 pre=$work/ft-$name cfg lr ep ng t0 s acc best_acc=-1 best_cfg="" best_train_s=""
    p0=$(now)
    node "$here/prep-fasttext.mjs" "$lang" labelled < "$train" > "$pre.train.txt"
    node "$here/prep-fasttext.mjs" "$lang" text < "$valid" > "$pre.valid.txt"
    node "$here/prep-fasttext.mjs" "$lang" text < "$test" > "$pre.test.txt"
    for cfg in $grid; do
        IFS=: read -r lr ep ng <<< "$cfg"
        t0=$(now)
        fasttext supervised -input "$pre.train.txt" -output "$pre.$cfg" -lr "$lr" -epoch "$ep" \
            -wordNgrams "$ng" -dim 100 -bucket 200000 -thread 1 -verbose 0
        s=$(secs "$t0" "$(now)")
        fasttext predict "$pre.$cfg.bin" "$pre.valid.txt" | sed 's/^__label__//' > "$pre.$cfg.valid.pred"
        acc=$(node "$here/score.mjs" "$valid" "$pre.$cfg.valid.pred" | node -p 'JSON.parse(require("fs").readFileSync(0)).accuracy')
        log "$name fastText lr=$lr epoch=$ep wordNgrams=$ng: valid accuracy $acc, trained in $s s"
        if awk -v a="$acc" -v b="$best_acc" 'BEGIN { exit !(a > b) }'; then
            [ -n "$best_cfg" ] && rm -f "$pre.$best_cfg.bin"
            best_acc=$acc best_cfg=$cfg best_train_s=$s
        else
            rm -f "$pre.$cfg.bin"
        fi
    done
    IFS=: read -r lr ep ng <<< "$best_cfg"
    local model=$pre.$best_cfg.bin
    fasttext predict-prob "$model" "$pre.test.txt" 1 | ft_raw > "$pre.test.raw"
    if [ "$(wc -l < "$pre.test.raw")" != "$(wc -l < "$test")" ]; then
        echo "compare.sh: fastText gave $(wc -l < "$pre.test.raw") predictions for $(wc -l < "$test") lines" >&2
        exit 1
    fi
    cut -f1 "$pre.test.raw" > "$pre.test.pred"
    # Throughput from raw text, as kefu predict gets it: tokenising + fastText
    # predict-prob, one after the other (so one core at a time), model load included.
    repeat_texts "$test" "$work/$name.repeat.txt"
    local n t_prep t_pred
    t0=$(now)
    node "$here/prep-fasttext.mjs" "$lang" text < "$work/$name.repeat.txt" > "$pre.repeat.txt"
    t_prep=$(secs "$t0" "$(now)")
    t0=$(now)
    n=$(fasttext predict-prob "$model" "$pre.repeat.txt" 1 | wc -l)
    t_pred=$(secs "$t0" "$(now)")
    local pred_s
    pred_s=$(rate "$n" "$(awk -v a="$t_prep" -v b="$t_pred" 'BEGIN { print a + b }')")
    log "$name fastText: $n predictions, tokenising $t_prep s + predict $t_pred s"
    local note="-lr $lr -epoch $ep -wordNgrams $ng -dim 100 (valid accuracy $best_acc; grid $grid); pred/s: tokenising $t_prep s + predict $t_pred s for $n lines"
    node "$here/table.mjs" row --name fastText --gold "$test" --pred "$pre.test.pred" \
        --train-s "$best_train_s" --pred-s "$pred_s" --note "$note" >> "$rows"
    if [ "$oos" = 1 ]; then
        fasttext predict-prob "$model" "$pre.valid.txt" 1 | ft_raw > "$pre.valid.raw"
        node "$here/threshold.mjs" "$valid" "$pre.valid.raw" "$pre.test.raw" > "$pre.thr.pred" 2> "$pre.thr.json"
        node "$here/table.mjs" row --name "fastText + threshold (valid)" --gold "$test" --pred "$pre.thr.pred" \
            --train-s "$best_train_s" --pred-s "$pred_s" --note "$(tail -1 "$pre.thr.json")" >> "$rows"
    fi
    rm -f "$pre".*.bin "$pre.repeat.txt"
    part_done "$name fastText" "$p0"
}

# run_nlpjs NAME LANG TRAIN VALID TEST HAS_OOS
run_nlpjs() {
    local name=$1 lang=$2 train=$3 valid=$4 test=$5 oos=$6
    local p0 pre=$work/nlpjs-$name extra=()
    p0=$(now)
    if [ "$oos" = 1 ]; then
        extra=(--valid "$valid" --raw "$pre.test.raw" --valid-raw "$pre.valid.raw")
    else
        extra=(--force-choice)
    fi
    log "$name NLP.js: train on $(wc -l < "$train") examples, then one process() per test line"
    if ! node "$here/nlpjs/train-eval.mjs" --train "$train" --test "$test" --lang "$lang" \
        --pred "$pre.test.pred" "${extra[@]}" > "$pre.json" 2> "$pre.log"; then
        node "$here/table.mjs" na --name NLP.js --note "NLP.js failed: $(tail -1 "$pre.log")" >> "$rows"
        return 0
    fi
    local train_s pred_s none answered
    read -r train_s pred_s none answered < <(node -e '
        const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(j.train_seconds.toFixed(2), j.predictions_per_second.toFixed(1), j.none_predictions, (100 * j.answered_accuracy).toFixed(1));
    ' "$pre.json")
    local note="None for $none of $(wc -l < "$test") test lines"
    if [ "$oos" = 1 ]; then
        note="$note (scored as oos); accuracy on the rest $answered%"
    else
        note="$note (scored wrong); accuracy on the rest $answered%"
    fi
    node "$here/table.mjs" row --name NLP.js --gold "$test" --pred "$pre.test.pred" \
        --train-s "$train_s" --pred-s "$pred_s" --note "$note; pred/s: in-process loop" >> "$rows"
    if [ "$oos" = 1 ]; then
        node "$here/threshold.mjs" "$valid" "$pre.valid.raw" "$pre.test.raw" > "$pre.thr.pred" 2> "$pre.thr.json"
        node "$here/table.mjs" row --name "NLP.js + threshold (valid)" --gold "$test" --pred "$pre.thr.pred" \
            --train-s "$train_s" --pred-s "$pred_s" --note "$(tail -1 "$pre.thr.json") instead of its built-in 0.5" >> "$rows"
    fi
    part_done "$name NLP.js" "$p0"
}

# --- the datasets -------------------------------------------------------------

tables=()
for set in $datasets; do
    case $set in
        clinc150)
            d=$data/clinc150 lang=en task=intent oos=1 dev=valid
            grid="0.5:25:2 1.0:25:2 0.5:50:2 1.0:50:2 0.5:100:2"
            kind=intent
            ;;
        chnsenticorp)
            d=$data/chnsenticorp lang=zh task=sentiment oos=0 dev=dev
            grid="0.5:5:1 1.0:5:1 0.5:10:1 1.0:10:1 0.5:25:1"
            kind=sentiment
            ;;
        *) echo "compare.sh: unknown dataset $set" >&2; exit 2 ;;
    esac
    for f in train $dev test; do
        [ -r "$d/$f.tsv" ] || { echo "compare.sh: missing $d/$f.tsv" >&2; exit 2; }
    done
    rows=$work/$set.rows.jsonl
    : > "$rows"
    ntest=$(wc -l < "$d/test.tsv")
    if [ "$set" = clinc150 ]; then title="CLINC150 (full, test $ntest)"; else title="ChnSentiCorp (test $ntest)"; fi
    log "== $title: train $(wc -l < "$d/train.tsv"), $dev $(wc -l < "$d/$dev.tsv") =="
    if wants kefu; then run_kefu "$set" "$task" "$d/train.tsv" "$d/$dev.tsv" "$d/test.tsv" "$oos"; fi
    if wants fasttext; then run_fasttext "$set" "$lang" "$d/train.tsv" "$d/$dev.tsv" "$d/test.tsv" "$oos" "$grid"; fi
    if wants nlpjs; then run_nlpjs "$set" "$lang" "$d/train.tsv" "$d/$dev.tsv" "$d/test.tsv" "$oos"; fi
    tables+=("$(node "$here/table.mjs" print --title "$title" --kind "$kind" "$rows")")
done

echo "NLU comparison — $(date -u +%Y-%m-%d), $(nproc) cores, datasets $data"
for v in "${versions[@]}"; do echo "  $v"; done
for t in "${tables[@]}"; do
    echo
    echo "$t"
done
echo
echo "Time per part:"
cat "$timings"
printf '%-34s %8s s\n' "whole run" "$(secs "$start_all" "$(now)")"
