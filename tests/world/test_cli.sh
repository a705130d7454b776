#!/usr/bin/env bash
# The command line's contract (SPEC §1): exit codes, TAP output, shards,
# golden updates and outputs that are never left half-written.
# usage: test_cli.sh TCPSIM SOURCE_ROOT
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, expected exit code, command...
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [[ $rc != "$want" ]]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$tmp/out" "$tmp/err"; fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
expect_grep() { # name, pattern, file
    if grep -qE -- "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: no '$2' in:"; cat "$3"; fails=$((fails + 1)); fi
}

lesson=$root/scenarios/handshake.json
mkdir -p "$tmp/suite/bad" "$tmp/suite/more" "$tmp/suite/bench"
cat >"$tmp/suite/pass.json" <<'JSON'
{"name": "pass", "duration": "1s", "hosts": [{"name": "a"}, {"name": "b"}],
 "links": [{"name": "w", "a": "a", "b": "b", "delay": "1ms"}],
 "apps": [{"id": "s", "host": "b", "type": "tcp_server", "port": 80, "mode": "sink"},
          {"id": "c", "host": "a", "type": "tcp_client", "connect": "b:80", "at": "0ms",
           "send": 100, "close": "after_send"}],
 "expect": [{"app": "s", "received": 100}, {"trace_sha256": ""}]}
JSON
sed -e 's/"pass"/"fail"/' -e 's/"received": 100}/"received": 101}/' -e 's/, {"trace_sha256": ""}//' \
    "$tmp/suite/pass.json" >"$tmp/suite/more/fail.json"
echo '{"name": "x", "hosts": [' >"$tmp/suite/bad/broken.json"
echo '{}' >"$tmp/suite/schema.json"
sed -e 's/"pass"/"slow"/' -e 's/, {"trace_sha256": ""}//' "$tmp/suite/pass.json" >"$tmp/suite/bench/slow.json"

check "help" 0 "$bin" --help
check "version" 0 "$bin" --version
check "run help" 0 "$bin" run --help
check "unknown command" 2 "$bin" frobnicate
check "unknown option" 2 "$bin" run "$lesson" --frobnicate
expect_grep "usage hint" "Try 'tcpsim run --help'" "$tmp/err"
check "time without unit" 2 "$bin" run "$lesson" --until 5
check "missing file" 2 "$bin" run "$tmp/nope.json"
check "run passes" 0 "$bin" run "$lesson" --quiet
check "run fails" 1 "$bin" run "$tmp/suite/more/fail.json"
expect_grep "failure message" "expect\[0\]: app s received 100 B, expected 101 B" "$tmp/out"

check "event limit" 3 "$bin" run "$lesson" --event-limit 3 --trace "$tmp/t.jsonl"
check "frame limit" 3 "$bin" run "$lesson" --max-frames 1
expect_grep "frame limit said" "frames alive at once" "$tmp/err"
check "limits in check" 3 "$bin" check "$lesson" --event-limit 3 --max-frames 1
expect_grep "check reports the limit" "^not ok 1 - handshake: .*(the frame limit|the event limit)" "$tmp/out"
if grep -q "worker" "$tmp/err"; then echo "FAIL a world's limit is no worker failure"; cat "$tmp/err"; fails=$((fails + 1)); else echo "ok   no worker failure claimed"; fi
if ls "$tmp"/t.jsonl* >/dev/null 2>&1; then echo "FAIL no partial trace"; fails=$((fails + 1)); else echo "ok   no partial trace"; fi

check "golden update" 0 "$bin" check "$tmp/suite/pass.json" --update-golden
expect_grep "golden written" '"trace_sha256": "sha256:[0-9a-f]{64}"' "$tmp/suite/pass.json"
digest=$("$bin" run "$tmp/suite/pass.json" --digest --quiet | grep -o 'sha256:[0-9a-f]*')
expect_grep "golden is the run digest" "$digest" "$tmp/suite/pass.json"

check "check suite" 1 "$bin" check "$tmp/suite" -j 2 --junit "$tmp/junit.xml"
expect_grep "plan" '^1\.\.2$' "$tmp/out"
expect_grep "tap order" '^not ok 1 - fail: expect\[0\]' "$tmp/out"
expect_grep "tap ok" '^ok 2 - pass$' "$tmp/out"
expect_grep "count" '^1 passed, 1 failed$' "$tmp/out"
expect_grep "junit" '<failure message="expect\[0\]' "$tmp/junit.xml"
if command -v xmllint >/dev/null; then
    cp "$tmp/junit.xml" "$tmp/junit-kept.xml"
    check "junit is well-formed XML" 0 xmllint --noout "$tmp/junit-kept.xml"
    check "junit has its test cases" 0 xmllint --xpath 'count(//testsuite/testcase)=2' "$tmp/junit-kept.xml"
    expect_grep "two test cases" '^true$' "$tmp/out"
else
    echo "FAIL junit: xmllint is missing (libxml2-utils)"; fails=$((fails + 1))
fi
check "bench folder named" 0 "$bin" check "$tmp/suite/bench"
expect_grep "bench runs when named" '^ok 1 - slow$' "$tmp/out"

check "bad input in check" 2 "$bin" check "$tmp/suite/bad/broken.json"
expect_grep "bad input reported" '^not ok 1 - broken: ' "$tmp/out"

check "shard 1/2" 1 "$bin" check "$tmp/suite" --shard 1/2
expect_grep "shard 1 has the first file" '^not ok 1 - fail' "$tmp/out"
check "shard 2/2" 0 "$bin" check "$tmp/suite" --shard 2/2
expect_grep "shard 2 has the second file" '^ok 1 - pass$' "$tmp/out"
check "bad shard" 2 "$bin" check "$tmp/suite" --shard 3/2

check "validate ok" 0 "$bin" validate "$lesson"
expect_grep "validate line" "^ok $lesson" "$tmp/out"
check "validate bad" 2 "$bin" validate "$tmp/suite/bad/broken.json"
expect_grep "validate position" 'broken.json:[0-9]+:[0-9]+: error:' "$tmp/err"

echo "$fails failed"
((fails == 0))
