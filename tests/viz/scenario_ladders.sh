#!/usr/bin/env bash
# Golden ladders of the lessons themselves: `tcpsim run LESSON --ladder --quiet`
# must print exactly tests/viz/golden/scenario-LESSON.txt (ASCII, no colour).
# usage: scenario_ladders.sh TCPSIM SOURCE_ROOT   (VIZ_UPDATE_GOLDEN=1 rewrites)
set -u
bin=$1
root=$2
pass=0 fail=0
for lesson in handshake close simultaneous-open syn-lost; do
    golden=$root/tests/viz/golden/scenario-$lesson.txt
    out=$(NO_COLOR=1 "$bin" run "$root/scenarios/$lesson.json" --ladder --quiet 2>&1)
    if [[ -n ${VIZ_UPDATE_GOLDEN:-} ]]; then
        printf '%s\n' "$out" >"$golden"
    fi
    if diff -u "$golden" <(printf '%s\n' "$out") >/dev/null 2>&1; then
        echo "ok   $lesson"; pass=$((pass + 1))
    else
        echo "FAIL $lesson:"; diff -u "$golden" <(printf '%s\n' "$out"); fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
((fail == 0))
