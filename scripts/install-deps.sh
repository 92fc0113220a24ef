#!/usr/bin/env bash
# install-deps.sh — install the Debian packages kefu needs, and nothing else.
#
# Idempotent: asks dpkg which packages are missing and calls apt-get only for
# those, so a second run is silent and fast. Groups:
#   build   what `make` / `make run` need (compiler, CMake, libraries)
#   test    what `make test` adds (cmocka, libcurl for the integration client)
#   bench   what `make bench` adds (wrk, and fastText as the NLU peer)
#   fuzz    what scripts/fuzz.sh adds (clang with libFuzzer)
#   web     node and npm, for the web pages' npm libraries (scripts/install-web-libs.sh:
#           ECharts for the dashboard); `make run` and `make test` ask for it
# Usage: scripts/install-deps.sh [build] [test] [bench] [fuzz] [web]   (default: build)
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config
            libmicrohttpd-dev libjansson-dev libyaml-dev libsqlite3-dev
            libutf8proc-dev libstemmer-dev liblinear-dev libopencc-dev libedit-dev
            libpcre2-dev libsodium-dev liblbfgs-dev libcurl4-openssl-dev libwslay-dev nettle-dev
            wamerican)
test_pkgs=(libcmocka-dev libcurl4-openssl-dev sqlite3 chromium fonts-wqy-microhei)
bench_pkgs=(wrk libcurl4-openssl-dev fasttext)
fuzz_pkgs=(clang libclang-rt-14-dev)

want=()
[ $# -eq 0 ] && set -- build
for group in "$@"; do
    case "$group" in
        build) want+=("${build_pkgs[@]}") ;;
        test)  want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
        bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
        fuzz)  want+=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
        web)   ;; # node and npm only, below
        *) echo "install-deps.sh: unknown group '$group' (build, test, bench, fuzz, web)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# browser tests need node and npm; Debian's nodejs+npm unless a node is already
# there (a NodeSource node brings its own npm and conflicts with Debian's)
case " $* " in *" test "*|*" web "*)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm) ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

# de-duplicate while keeping order
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
