#!/usr/bin/env bash
# check-source.sh — machine-checked rules for src/ (run by ctest as checks.source).
#   1. layering: a module includes only headers of its own or lower layers
#        core < nlp < kb;  core < data < biz;  dialog sees core nlp kb data biz;
#        server and cli see everything below them; nothing points upward.
#   2. SQL stays in the storage backends: <sqlite3.h> only under src/data/sqlite/.
#   3. banned calls: sprintf vsprintf strcpy strcat gets atoi (use snprintf,
#      kf_buf, strtol) and exit() in library code.
set -uo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail=0
bad() { echo "check-source: $*"; fail=1; }

# header → layer
layer_of_header() {
    case "$1" in
        err|mem|log|arena|buf|utf8|map|yaml|config|metrics) echo core ;;
        text|features|dataset|classifier|evaluate|model_format|nlu|t2s|pii|entity|patterns|catalogue|crf|entities) echo nlp ;;
        kb) echo kb ;;
        store|repo|events|profile|cond|mining|reco_log|campaign_store|auth|agent|review|experiment|ops) echo data ;;
        connector|biz|reco|campaign|notify) echo biz ;;
        bot|dialog|engine|flow|demo|ingest) echo dialog ;;
        server) echo server ;;
        *) echo unknown ;;
    esac
}
allowed() { # layer → layers it may include
    case "$1" in
        core) echo "core" ;;
        nlp) echo "core nlp" ;;
        kb) echo "core nlp kb" ;;
        data) echo "core data" ;;
        biz) echo "core data biz" ;;
        dialog) echo "core nlp kb data biz dialog" ;;
        server) echo "core nlp kb data biz dialog server" ;;
        cli) echo "core nlp kb data biz dialog server" ;;
    esac
}

while IFS= read -r f; do
    layer=$(echo "$f" | cut -d/ -f2)
    ok=$(allowed "$layer")
    [ -n "$ok" ] || { bad "$f: unknown layer '$layer'"; continue; }
    while IFS= read -r h; do
        hl=$(layer_of_header "$h")
        [ "$hl" = unknown ] && { bad "$f includes kefu/$h.h, which has no layer in this script"; continue; }
        case " $ok " in *" $hl "*) ;; *) bad "$f ($layer) includes kefu/$h.h ($hl): layers point downward only" ;; esac
    done < <(sed -n 's/^#include "kefu\/\([a-z_0-9]*\)\.h".*/\1/p' "$f")
    case "$f" in src/data/sqlite/*) ;; *)
        grep -q '#include <sqlite3.h>' "$f" && bad "$f includes <sqlite3.h>: SQL belongs in src/data/sqlite/" ;;
    esac
    if grep -nE '(^|[^a-z_])(sprintf|vsprintf|strcpy|strcat|gets|atoi)\s*\(' "$f" | grep -vE 'snprintf|vsnprintf' ; then
        bad "$f uses a banned function (see above)"
    fi
    case "$f" in src/cli/*) ;; *)
        grep -nE '(^|[^a-z_])exit\s*\(' "$f" && bad "$f calls exit(): library code returns errors" ;;
    esac
done < <(find src -name '*.c' -o -name '*.h' | sort)

[ "$fail" = 0 ] && echo "check-source: layering, SQL placement and banned functions OK ($(find src -name '*.[ch]' | wc -l) files)"
exit $fail
