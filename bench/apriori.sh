#!/usr/bin/env bash
# apriori.sh — association-rule mining figures (issue 6; docs/benchmarks.md
# "Association rules"): kefu's miner, FP-growth and Apriori, against Weka
# 3.6 (Debian package weka: weka.associations.FPGrowth and .Apriori) at the
# same thresholds, on
#   1. N synthetic baskets from bench/baskets_gen (default 1,000,000: Zipf
#      popularity over 300 items, planted pairs such as phone → phone-case);
#   2. the demo shop's orders (`kefu demo seed` into a temporary store; the
#      category baskets are mined from the store, then saved for Weka).
# For each run: wall time and peak RSS (/usr/bin/time -v) and the number of
# rules; kefu's rules and the reference's rules with a one-item consequent
# (kefu mines only those) are compared as sets.
#
# Weka's Apriori in 3.6 has no "zero as missing" switch, so it reads dense
# ARFF with '?' for absent items (2 bytes per item per basket) and counts
# candidates instance by instance; it runs on the smaller sizes in
# WEKA_APRIORI_N. Weka's Apriori has no itemset-length limit, so kefu runs
# with --max-len 8 beside it.
#
# Usage: bench/apriori.sh [BUILD_DIR]     (default build/; use a Release build)
#   N=1000000 SUPPORT=0.001 CONF=0.1 MAXLEN=3 WEKA_APRIORI_N="20000 100000"
#   WEKA_HEAP=8g DEMO=1 (0 skips the demo shop)
# Installs weka with apt-get when it is missing (this script only: the product
# and its tests never need it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
kefu=$build/kefu
gen=$build/bench/baskets_gen
N=${N:-1000000}
SUPPORT=${SUPPORT:-0.001}
CONF=${CONF:-0.1}
MAXLEN=${MAXLEN:-3}
WEKA_APRIORI_N=${WEKA_APRIORI_N-20000 100000} # "" runs none
WEKA_HEAP=${WEKA_HEAP:-8g}
DEMO=${DEMO:-1}
for f in "$kefu" "$gen"; do
    [ -x "$f" ] || { echo "apriori.sh: $f missing: cmake --build $build --target kefu baskets_gen" >&2; exit 2; }
done

weka_jar=/usr/share/java/weka.jar
if [ ! -f "$weka_jar" ]; then
    echo "apriori.sh: installing the reference miner (Debian package weka)" >&2
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends weka >&2
fi
weka_version=$(dpkg-query -W -f '${Version}' weka 2>/dev/null || echo "?")

work=$(mktemp -d "${TMPDIR:-/tmp}/kefu-apriori.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure LABEL OUT CMD... : run CMD (stdout → OUT), keep wall time and peak RSS.
measure() {
    local label=$1 out=$2
    shift 2
    if ! /usr/bin/time -v -o "$work/time.txt" "$@" > "$out" 2> "$work/err.txt"; then
        echo "apriori.sh: $label failed:" >&2
        tail -5 "$work/err.txt" >&2
        wall=failed rss=-
        return 0
    fi
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
            for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$work/time.txt")
    rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$work/time.txt")
}

# Rules as sorted "a,b>c" lines. kefu: its table (--top); weka: its listing,
# one-item consequents only.
sort_ante() { # "b a>c" → "a,b>c"
    awk -F'>' '{ n = split($1, a, " "); for (i = 2; i <= n; i++) { v = a[i]; j = i - 1;
        while (j > 0 && a[j] > v) { a[j + 1] = a[j]; j-- } a[j + 1] = v }
        s = a[1]; for (i = 2; i <= n; i++) s = s "," a[i]; print s ">" $2 }' | LC_ALL=C sort
}
kefu_rules() {
    awk '$1 ~ /^[0-9]+$/ && index($0, "→") { a = ""; c = ""; side = 0;
        for (i = 2; i <= NF; i++) { if ($i == "→") { side = 1; continue }
            if ($i == "+") continue; if (side) { c = $i; break } a = a " " $i }
        print substr(a, 2) ">" c }' "$1" | sort_ante
}
weka_fp_rules() { # 1. [a=1, b=1]: 18177 ==> [c=1]: 18164   <conf:(1)> ...
    sed -n 's/^ *[0-9]*\. \[\(.*\)\]: [0-9]* ==> \[\([^],]*\)=1\]: .*/\1>\2/p' "$1" |
        sed 's/=1, / /g; s/=1>/>/' | sort_ante
}
weka_ap_rules() { # 1. a=1 b=1 377 ==> c=1 377    conf:(1)
    sed -n 's/^ *[0-9]*\. \(.*\) [0-9]* ==> \([^ ]*\)=1 [0-9]*  *conf.*/\1>\2/p' "$1" |
        sed 's/=1 / /g; s/=1>/>/' | sort_ante
}

row() { printf "%-24s %-22s %9s %12s %8s  %s\n" "$@"; }
compare() { # kefu-rules-file weka-rules-file
    if cmp -s "$1" "$2"; then echo "same rules"; else
        echo "DIFFERENT: $(comm -23 "$1" "$2" | wc -l) only kefu, $(comm -13 "$1" "$2" | wc -l) only weka"; fi
}

# One data set: kefu both ways, Weka FPGrowth (sparse ARFF), Weka Apriori
# when asked. $1 label, $2 basket file, $3 1 = run Weka Apriori too, $4 the
# support as a count of baskets (default: SUPPORT × baskets, rounded up).
bench_file() {
    local label=$1 file=$2 with_apriori=$3 count=${4:-}
    local n frac
    n=$(wc -l < "$file")
    [ -n "$count" ] || count=$(awk -v n="$n" -v s="$SUPPORT" 'BEGIN { c = s * n;
        printf "%d", (c - int(c) < 1e-9) ? int(c) : int(c) + 1 }')
    [ "$count" -ge 1 ] || count=1
    frac=$(awk -v n="$n" -v c="$count" 'BEGIN { printf "%.12f", c / n }')
    local common=(--from "$file" --dry-run --min-support "$count" --min-confidence "$CONF" --min-lift 0)
    for alg in fpgrowth apriori; do
        measure "kefu $alg" "$work/k-$alg.txt" "$kefu" mine rules "${common[@]}" --max-len "$MAXLEN" \
            --algorithm "$alg" --top 10000000
        kefu_rules "$work/k-$alg.txt" > "$work/k-$alg.rules"
        row "$label" "kefu $alg (len ≤ $MAXLEN)" "$wall" "$rss" "$(wc -l < "$work/k-$alg.rules")" \
            "$(cmp -s "$work/k-fpgrowth.rules" "$work/k-$alg.rules" && echo "" || echo "≠ fpgrowth!")"
    done
    "$gen" --arff "$file" > "$work/sparse.arff"
    measure "weka FPGrowth" "$work/w-fp.txt" java -Xmx"$WEKA_HEAP" -cp "$weka_jar" \
        weka.associations.FPGrowth -t "$work/sparse.arff" -S -M "$count" -U 1.0 -C "$CONF" \
        -N 100000000 -I "$MAXLEN"
    if [ "$wall" != failed ]; then
        # Weka's FPGrowth keeps confidence > C where kefu (and Weka's Apriori)
        # keep ≥ C: compare with kefu a hair above C, and count the ties.
        weka_fp_rules "$work/w-fp.txt" > "$work/w-fp.rules"
        "$kefu" mine rules "${common[@]}" --max-len "$MAXLEN" --top 10000000 \
            --min-confidence "$(awk -v c="$CONF" 'BEGIN { printf "%.12f", c + 1e-9 }')" \
            > "$work/k-strict.txt"
        kefu_rules "$work/k-strict.txt" > "$work/k-strict.rules"
        local ties
        ties=$(( $(wc -l < "$work/k-fpgrowth.rules") - $(wc -l < "$work/k-strict.rules") ))
        row "$label" "weka FPGrowth (len ≤ $MAXLEN)" "$wall" "$rss" "$(wc -l < "$work/w-fp.rules")" \
            "$(compare "$work/k-strict.rules" "$work/w-fp.rules") ($ties of kefu's at exactly $CONF: Weka keeps > $CONF)"
    else
        row "$label" "weka FPGrowth" failed - - ""
    fi
    rm -f "$work/sparse.arff"
    [ "$with_apriori" = 1 ] || return 0
    measure "kefu fpgrowth len 8" "$work/k-8.txt" "$kefu" mine rules "${common[@]}" --max-len 8 \
        --top 10000000
    kefu_rules "$work/k-8.txt" > "$work/k-8.rules"
    row "$label" "kefu fpgrowth (len ≤ 8)" "$wall" "$rss" "$(wc -l < "$work/k-8.rules")" ""
    measure "kefu apriori len 8" "$work/k-8a.txt" "$kefu" mine rules "${common[@]}" --max-len 8 \
        --algorithm apriori --top 10000000
    row "$label" "kefu apriori (len ≤ 8)" "$wall" "$rss" "$(kefu_rules "$work/k-8a.txt" | wc -l)" ""
    "$gen" --arff-dense "$file" > "$work/dense.arff"
    measure "weka Apriori" "$work/w-ap.txt" java -Xmx"$WEKA_HEAP" -cp "$weka_jar" \
        weka.associations.Apriori -t "$work/dense.arff" -M "$frac" -U 1.0 -D 1.0 -C "$CONF" \
        -N 100000000
    if [ "$wall" != failed ]; then
        weka_ap_rules "$work/w-ap.txt" > "$work/w-ap.rules"
        row "$label" "weka Apriori (any len)" "$wall" "$rss" "$(wc -l < "$work/w-ap.rules")" \
            "$(compare "$work/k-8.rules" "$work/w-ap.rules")"
    else
        row "$label" "weka Apriori" failed - - ""
    fi
    rm -f "$work/dense.arff"
}

echo "kefu $("$kefu" version | cut -d' ' -f2) ($build), Weka $weka_version, $(java -version 2>&1 | head -1)"
echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo);" \
     "thresholds: support $SUPPORT (as a count of baskets), confidence $CONF, lift ≥ 0"
row "data" "miner" "wall s" "peak RSS MB" "rules" "vs kefu"

"$gen" -n "$N" > "$work/synthetic.txt"
for n in $WEKA_APRIORI_N; do
    [ "$n" -lt "$N" ] || continue
    head -n "$n" "$work/synthetic.txt" > "$work/syn-$n.txt"
    bench_file "synthetic $n" "$work/syn-$n.txt" 1
    rm -f "$work/syn-$n.txt"
done
bench_file "synthetic $N" "$work/synthetic.txt" 0
rm -f "$work/synthetic.txt"

if [ "$DEMO" = 1 ]; then
    (cd "$root" && "$kefu" demo seed -d "$work/demo.db" > /dev/null)
    for alg in fpgrowth apriori; do
        measure "kefu demo $alg" "$work/d-$alg.txt" "$kefu" mine rules -d "$work/demo.db" \
            --level category --min-support 20 --min-confidence "$CONF" --min-lift 0 \
            --max-len "$MAXLEN" --algorithm "$alg" --dry-run --top 10000000 \
            --save-baskets "$work/demo.txt"
        row "demo shop (store)" "kefu $alg (len ≤ $MAXLEN)" "$wall" "$rss" \
            "$(kefu_rules "$work/d-$alg.txt" | wc -l)" "from the store: sync, read, mine"
    done
    bench_file "demo shop $(wc -l < "$work/demo.txt")" "$work/demo.txt" 1 20
fi
