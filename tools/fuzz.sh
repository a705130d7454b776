#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60):
#   tools/fuzz.sh [SECONDS] [TARGET...]
# Builds build-fuzz first if needed (clang, ASan+UBSan, -Dfuzz=enabled).  Each
# target starts from its checked-in seeds (fuzz/corpus/<target>/) plus what
# earlier runs found (build-fuzz/fuzz-corpus/<target>/, not committed).
# Prints one line per target, "fuzz_x: N runs, clean" or the finding, and
# exits non-zero when any target found something; reproducers are left in
# build-fuzz/fuzz-artifacts/ (replay one with build-fuzz/fuzz/<target> FILE).
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(fuzz_scenario fuzz_frames fuzz_tcp)
BUILD=build-fuzz

if [[ ! -f $BUILD/build.ninja ]]; then
  CC=clang meson setup "$BUILD" -Dfuzz=enabled -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debug -Dtests=disabled -Dviz=disabled >"$BUILD.setup.log" 2>&1 \
    || { cat "$BUILD.setup.log"; exit 2; }
fi
ninja -C "$BUILD" "${TARGETS[@]/#/fuzz/}" >/dev/null || { ninja -C "$BUILD" "${TARGETS[@]/#/fuzz/}"; exit 2; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${TARGETS[@]}"; do
  corpus=$BUILD/fuzz-corpus/$t
  artifacts=$BUILD/fuzz-artifacts/
  log=$BUILD/fuzz-logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  extra=()
  [[ -f fuzz/$t.dict ]] && extra+=(-dict="fuzz/$t.dict")
  "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts$t-" "${extra[@]}" \
    "$corpus" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((rc == 0)); then
    echo "$t: ${runs:-?} runs, clean"
  else
    status=1
    what=$(grep -m1 -E 'ERROR: |invariant violated|runtime error|SUMMARY' "$log")
    file=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "$t: FINDING after ${runs:-?} runs: ${what:-exit $rc} (reproducer: ${file:-none}; log: $log)"
  fi
done
exit $status
