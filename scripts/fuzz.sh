#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer targets in fuzz/ with clang (ASan + UBSan)
# and run each for SECONDS (default 60). Not part of `make test`; run it after
# changing a parser. Crashes are written to build-fuzz/crash-*.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
"$root/scripts/install-deps.sh" fuzz
out="$root/build-fuzz"
mkdir -p "$out"
cflags="-g -O1 -std=gnu17 -D_GNU_SOURCE -DKEFU_SRC_ROOT=\"$root\" -fsanitize=fuzzer,address,undefined -I$root/include -I$root/src"
libs="$(pkg-config --cflags --libs libmicrohttpd jansson yaml-0.1 sqlite3 libutf8proc opencc libpcre2-8 libsodium liblbfgs) -lstemmer -llinear -lpthread -lm"
srcs=$(ls "$root"/src/core/*.c "$root"/src/nlp/*.c)
for target in "$root"/fuzz/fuzz_*.c; do
    name=$(basename "$target" .c)
    echo "fuzz.sh: building $name"
    # shellcheck disable=SC2086
    clang $cflags -o "$out/$name" "$target" $srcs $libs
    echo "fuzz.sh: running $name for ${secs}s"
    (cd "$out" && "./$name" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 2>&1 | tail -5)
done
