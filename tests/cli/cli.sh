#!/usr/bin/env bash
# cli.sh — the kefu command as a user meets it: help for every subcommand,
# settings precedence (file < env < flags), errors that name file, line and
# key, and `kefu chat` driven through a pipe.
# Usage: cli.sh KEFU_BIN REPO_ROOT   (called by ctest)
set -uo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()   { pass=$((pass + 1)); }
bad()  { echo "FAIL: $*"; fail=$((fail + 1)); }
expect() { # expect WHAT WANT_RC PATTERN -- command...
    local what=$1 want=$2 pat=$3; shift 4
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != "$want" ]; then bad "$what: exit $rc, want $want; output: $out"; return; fi
    if ! grep -qE -- "$pat" <<<"$out"; then bad "$what: output lacks /$pat/: $out"; return; fi
    ok
}

expect "version" 0 '^kefu [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" version
expect "help" 0 'serve .*chat .*version' -- bash -c "'$bin' help | tr '\n' ' '"
expect "no command" 2 'Usage: kefu COMMAND' -- "$bin"
expect "unknown command" 2 "unknown command 'frob'" -- "$bin" frob
expect "serve --help" 0 'Usage: kefu serve' -- "$bin" serve --help
expect "chat --help" 0 'Usage: kefu chat' -- "$bin" chat --help
expect "version --help" 0 'Usage: kefu version' -- "$bin" version --help
expect "unknown flag" 2 "Try '.*--help'" -- "$bin" serve --frobnicate
expect "bad port flag" 2 'port: 70000 is out of range' -- "$bin" serve --port 70000
expect "bad --set" 2 "unknown setting 'server.nope'" -- "$bin" serve --set server.nope=1
expect "bad privacy.mask" 2 "unknown PII type 'passport'" -- "$bin" serve --set privacy.mask=phone,passport
expect "bad enum" 2 "log.level: 'loud' is not one of" -- "$bin" serve --log-level loud

# config file errors name the file and the line
printf 'server:\n  host: 127.0.0.1\n  port: 99999\n' >"$tmp/bad.yaml"
expect "bad config value" 2 "bad.yaml:3: server.port: 99999 is out of range" -- "$bin" serve --config "$tmp/bad.yaml"
printf 'server:\n  portt: 1\n' >"$tmp/typo.yaml"
expect "unknown config key" 2 "typo.yaml:2: unknown setting 'server.portt'" -- "$bin" serve --config "$tmp/typo.yaml"
printf 'server: [1, 2\n' >"$tmp/broken.yaml"
expect "broken YAML" 2 "broken.yaml:[0-9]+:[0-9]+: " -- "$bin" serve --config "$tmp/broken.yaml"
expect "missing config" 2 "nope.yaml: No such file" -- "$bin" serve --config "$tmp/nope.yaml"
expect "bad env" 2 "KEFU_SERVER_PORT: server.port: expected an integer" -- env KEFU_SERVER_PORT=eighty "$bin" serve

# connectors (docs/connectors.md): http needs url and spec, named in the error; the auth
# header is a secret: never echoed, not in errors, not by --print-config
secret='cli-s3cret-7f3a9'
expect "http connector needs url" 2 'connectors\.orders\.url: required' -- "$bin" serve --set connectors.orders.type=http --db "$tmp/conn.db"
expect "http connector needs spec" 2 'connectors\.orders\.spec: required' -- "$bin" serve --set connectors.orders.type=http --set connectors.orders.url=http://127.0.0.1:1/api --db "$tmp/conn.db"
out=$("$bin" serve --set connectors.orders.type=http --set "connectors.orders.auth_header=Authorization: Bearer $secret" --db "$tmp/conn.db" 2>&1)
grep -q 'connectors.orders.url' <<<"$out" && ! grep -q "$secret" <<<"$out" && ok || bad "auth header in an error: $out"
expect "bad auth header not shown" 2 'auth_header: expected one header line .*value not shown' -- "$bin" serve --set "connectors.orders.auth_header=no-colon-$secret" --db "$tmp/conn.db"
out=$("$bin" serve --set "connectors.orders.auth_header=no-colon-$secret" --db "$tmp/conn.db" 2>&1)
! grep -q "$secret" <<<"$out" && ok || bad "bad auth header echoed: $out"
out=$(env KEFU_CONNECTORS_ORDERS_AUTH_HEADER="no-colon-$secret" "$bin" serve --db "$tmp/conn.db" 2>&1)
grep -q 'KEFU_CONNECTORS_ORDERS_AUTH_HEADER' <<<"$out" && ! grep -q "$secret" <<<"$out" && ok || bad "bad auth header from env echoed: $out"
# --print-config is promised by docs/connectors.md; checked once `kefu serve` has it
if "$bin" serve --help | grep -q -- '--print-config'; then
    out=$("$bin" serve --print-config --set "connectors.orders.auth_header=Authorization: Bearer $secret" 2>&1); rc=$?
    [ "$rc" = 0 ] && grep -qE 'connectors\.orders\.auth_header +\(set\)' <<<"$out" && ! grep -q "$secret" <<<"$out" && ok ||
        bad "--print-config: exit $rc, auth header not shown as (set) or leaked: $out"
else
    echo "SKIP: kefu serve has no --print-config yet (docs/connectors.md promises it)"
fi

# precedence: the file says port 1 (privileged: would fail), env says 0, the flag says 0 → starts.
# We only need to see which value wins, so ask for a bot folder that does not exist:
printf 'bot:\n  path: %s/from-file\n' "$tmp" >"$tmp/p.yaml"
expect "file value used" 1 "from-file/bot.yaml" -- "$bin" serve --config "$tmp/p.yaml" --db "$tmp/a.db"
expect "env beats file" 1 "from-env/bot.yaml" -- env KEFU_BOT_PATH="$tmp/from-env" "$bin" serve --config "$tmp/p.yaml" --db "$tmp/a.db"
expect "flag beats env" 1 "from-flag/bot.yaml" -- env KEFU_BOT_PATH="$tmp/from-env" "$bin" serve --config "$tmp/p.yaml" --bot "$tmp/from-flag" --db "$tmp/a.db"

# a broken bot names the file, line and key
mkdir -p "$tmp/bot/faq"
cp "$root/bots/demo-shop/bot.yaml" "$tmp/bot/"
printf 'faq:\n  - id: a.one\n    questions: {zh: ["问"], en: ["q"]}\n    answer: {zh: "答"}\n' >"$tmp/bot/faq/x.yaml"
expect "bot missing language" 1 "x.yaml:4: faq a.one: answer: missing language 'en'" -- "$bin" serve --bot "$tmp/bot" --db "$tmp/b.db"

# kefu chat through a pipe: answers, suggestions by number, handoff
out=$(printf 'how long does delivery take\nqwzx plorb vanta\n1\n/lang zh\n退货运费谁出?\n/quit\n' |
      "$bin" chat --lang en --meta --db "$tmp/chat.db" --bot "$root/bots/demo-shop" 2>&1)
grep -q 'faq {"faq_id":"shipping.delivery_time"' <<<"$out" && ok || bad "chat: delivery answer missing: $out"
grep -q '\[1\] Talk to a human' <<<"$out" && ok || bad "chat: suggestion list missing: $out"
grep -q '^demo-shop> Sure, I.ve asked a human agent' <<<"$out" && ok || bad "chat: picking 1 did not hand off: $out"
grep -q '"faq_id":"returns.return_shipping_fee"' <<<"$out" && ok || bad "chat: zh answer missing after /lang zh: $out"
expect "chat bad lang" 2 "--lang: 'fr' is not a language" -- "$bin" chat --lang fr --db "$tmp/c.db" --bot "$root/bots/demo-shop"

# train / eval / predict
printf 'greet\thello\ngreet\thi there\nrefund\tI want a refund\nrefund\tmoney back\noos\tweather\noos\ta joke\n' >"$tmp/t.tsv"
expect "train" 0 "trained intent on 6 examples: 3 labels" -- "$bin" train --data "$tmp/t.tsv" --out "$tmp/t.kfm"
expect "eval json" 0 '^\{"examples":6,"accuracy":1\.0000,"macro_f1":1\.0000,"in_scope_accuracy":1\.0000,"oos_recall":1\.0000' -- "$bin" eval --model "$tmp/t.kfm" --data "$tmp/t.tsv" --json
expect "eval text" 0 'most confused|label +precision' -- "$bin" eval --model "$tmp/t.kfm" --data "$tmp/t.tsv"
out=$(printf 'hello\nI want a refund\n\n' | "$bin" predict --model "$tmp/t.kfm")
[ "$(wc -l <<<"$out")" = 3 ] && grep -qP '^greet\t0\.\d{4}$' <<<"$(head -1 <<<"$out")" && grep -qP '^refund\t' <<<"$(sed -n 2p <<<"$out")" && ok || bad "predict: $out"
expect "train cv" 0 '5-fold cross-validation over 316 examples' -- "$bin" eval --cv 5 --data "$root/bots/demo-shop/nlu/spam"
expect "train needs data" 2 'data and --out are required' -- "$bin" train --out "$tmp/x.kfm"
printf 'greet\thello\nno tab\n' >"$tmp/bad.tsv"
expect "train bad data" 1 'bad.tsv:2: expected label<TAB>text' -- "$bin" train --data "$tmp/bad.tsv" --out "$tmp/x.kfm"
head -c 100 "$tmp/t.kfm" >"$tmp/cut.kfm"
expect "eval truncated model" 1 'cut.kfm: checksum mismatch' -- "$bin" eval --model "$tmp/cut.kfm" --data "$tmp/t.tsv"
expect "predict no model" 1 'nope.kfm: No such file' -- "$bin" predict --model "$tmp/nope.kfm"

# entities: train / eval a CRF on CoNLL/BIO and on annotated YAML
bio=""
for n in 张三 李四 王五 赵六 陈晨; do for c in 北京 上海 广州 深圳; do
    bio+="${n:0:1}\tB-name\n${n:1:1}\tI-name\n去\tO\n${c:0:1}\tB-city\n${c:1:1}\tI-city\n\n"
done; done
printf "$bio" >"$tmp/e.bio"
expect "train entities" 0 "trained entities on 20 sentences: 2 types" -- "$bin" train --task entities --data "$tmp/e.bio" --out "$tmp/e.kfm" --max-iter 30
expect "eval entities json" 0 '^\{"sentences":20,"micro_f1":1\.0000,.*"per_type":\{"city":\{"precision":1\.0000' -- "$bin" eval --task entities --model "$tmp/e.kfm" --data "$tmp/e.bio" --json
expect "eval entities text" 0 'name +100\.00% +100\.00% +100\.00% +20' -- "$bin" eval --task entities --model "$tmp/e.kfm" --data "$tmp/e.bio"
printf '张\tB-name\n三 PERSON\n' >"$tmp/bad.bio"
expect "train entities bad tag" 1 "bad.bio:2: tag 'PERSON' is not O, B-x" -- "$bin" train --task entities --data "$tmp/bad.bio" --out "$tmp/x.kfm"
printf 'nlu:\n- intent: x\n  examples: |\n    - no annotation here\n' >"$tmp/none.yml"
expect "train entities no annotations" 1 "no entity annotations" -- "$bin" train --task entities --data "$tmp/none.yml" --out "$tmp/x.kfm"
expect "eval entities needs a model or bot" 2 "one of --model or --bot" -- "$bin" eval --task entities --data "$tmp/e.bio"
expect "eval entities bot" 0 '^\{"sentences":432,"micro_f1":0\.9[5-9]' -- "$bin" eval --task entities --bot "$root/bots/demo-shop" --no-crf --data "$root/bots/demo-shop/tests/entities-test.yaml" --json
expect "train --bot" 0 "models of demo-shop ready in $tmp/m/demo-shop" -- "$bin" train --bot "$root/bots/demo-shop" --models "$tmp/m"
[ -s "$tmp/m/demo-shop/entities.kfm" ] && [ -s "$tmp/m/demo-shop/intent.kfm" ] && ok || bad "train --bot: models missing"

# kefu demo seed: the demo shop, deterministic, replaced on re-run, --if-empty
demo=(--db "$tmp/demo.db" --bot "$root/bots/demo-shop" --customers 50 --orders 300 --now 2026-11-25T00:00:00Z)
expect "demo seed --help" 0 'Usage: kefu demo seed' -- "$bin" demo seed --help
expect "demo seed" 0 'products, 50 customers, 305 orders, [0-9]+ shipments' -- "$bin" demo seed "${demo[@]}"
expect "demo seed again" 0 '50 customers, 305 orders' -- "$bin" demo seed "${demo[@]}"
expect "demo seed --if-empty" 0 'already present .*305 demo orders' -- "$bin" demo seed "${demo[@]}" --if-empty
expect "demo needs seed" 2 "expected 'seed'" -- "$bin" demo
expect "demo bad --orders" 2 "--orders: expected a number in \[0, 250000\], got '-5'" -- "$bin" demo seed "${demo[@]}" --orders -5
expect "demo bad --now" 2 "--now: 'yesterday' is not ISO 8601" -- "$bin" demo seed "${demo[@]}" --now yesterday
expect "demo missing bot" 1 'nope/catalogue.yaml' -- "$bin" demo seed --db "$tmp/demo2.db" --bot "$tmp/nope"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
