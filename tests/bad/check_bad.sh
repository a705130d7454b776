#!/usr/bin/env bash
# Runs `tcpsim validate` on every tests/bad/*.json and tests/bad/encoding/*.json
# and compares what it prints (stderr then stdout, merged) with the NAME.err
# golden beside it.  Each file must be refused with exit status 2.  Run from
# the source root, so that the paths in the messages read tests/bad/NAME.json.
# The files in encoding/ are not well-formed UTF-8 text (or hold escapes that
# decode to none), so tools that read a JSON file as text, like the schema
# check, leave them out.
#
# usage: check_bad.sh TCPSIM [--update]
#   --update  rewrite every golden from the current output (exit status is still checked)
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 TCPSIM [--update]" >&2
    exit 2
fi
tcpsim=$1
update=0
[ "${2:-}" = "--update" ] && update=1

dir=tests/bad
if [ ! -d "$dir" ]; then
    echo "$dir: not found (run from the source root)" >&2
    exit 2
fi

passed=0
failed=0
shopt -s nullglob
for json in "$dir"/*.json "$dir"/encoding/*.json; do
    name=${json%.json}
    golden=$name.err
    out=$("$tcpsim" validate "$json" 2>&1)
    status=$?
    if [ "$update" = 1 ]; then
        printf '%s\n' "$out" >"$golden"
    fi
    if [ "$status" -ne 2 ]; then
        echo "not ok $json: exit status $status, expected 2"
        printf '%s\n' "$out" | sed 's/^/    /'
        failed=$((failed + 1))
    elif [ ! -f "$golden" ]; then
        echo "not ok $json: no golden $golden (run with --update)"
        failed=$((failed + 1))
    elif ! diff_out=$(printf '%s\n' "$out" | diff -u "$golden" -); then
        echo "not ok $json: output differs from $golden"
        printf '%s\n' "$diff_out" | sed 's/^/    /'
        failed=$((failed + 1))
    else
        echo "ok $json"
        passed=$((passed + 1))
    fi
done

echo "$passed passed, $failed failed"
if [ $((passed + failed)) -eq 0 ]; then
    echo "no bad files found in $dir" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
