#!/usr/bin/env bash
# One entry point for a fresh Debian machine:
#   bash tools/dev.sh demo   install what is missing, build, run a lesson with its ladder diagram
#   bash tools/dev.sh test   install what is missing, build, run every test (what CI runs)
#   bash tools/dev.sh deps   only install the Debian packages
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(meson ninja-build pkg-config gcc clang libcjson-dev libcriterion-dev nettle-dev
  libsdl2-dev libsdl2-ttf-dev libpng-dev fonts-dejavu-core fonts-nanum jq tshark xvfb xauth
  libxml2-utils python3 python3-jsonschema valgrind libclang-rt-dev cppcheck clang-tidy)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer before it asks.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

build() { # build DIR [meson options...]
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}

demo() {
  install_deps
  build build -Dwerror=true
  build/tcpsim run scenarios/handshake.json --ladder
}

# Sums meson's test log into passed/failed counts.
count_results() { # LOGFILE -> "passed failed"
  jq -rs '[.[] | select(.result != "SKIP")] | "\(map(select(.result == "OK" or .result == "EXPECTEDFAIL")) | length) \(map(select(.result != "OK" and .result != "EXPECTEDFAIL")) | length)"' "$1"
}

# The lessons and regression scenarios (not the benchmark worlds).
scenario_library() {
  find scenarios -name '*.json' ! -name schema.json ! -path '*/bench/*' ! -path '*/bad/*' | sort
}

total_pass=0 total_fail=0
record() { # NAME PASSED FAILED
  echo "== $1: $2 passed, $3 failed"
  total_pass=$((total_pass + $2)); total_fail=$((total_fail + $3))
}

run_meson_tests() { # NAME DIR [meson test args...]
  local name=$1 dir=$2; shift 2
  local rc=0
  meson test -C "$dir" --print-errorlogs "$@" >"$dir/test-output.txt" 2>&1 || rc=$?
  tail -n 12 "$dir/test-output.txt"
  read -r p f < <(count_results "$dir/meson-logs/testlog.json")
  ((rc != 0 && f == 0)) && f=1
  record "$name" "$p" "$f"
}

test_all() {
  install_deps
  echo "== gcc build (warnings are errors)"
  build build -Dwerror=true
  run_meson_tests "unit and scenario tests (gcc)" build

  echo "== ASan + UBSan build"
  build build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_meson_tests "unit and scenario tests (ASan+UBSan)" build-asan

  echo "== clang release build without the visualizer"
  CC=clang build build-clang -Dwerror=true -Dbuildtype=release -Dviz=disabled
  run_meson_tests "unit and scenario tests (clang, -Dviz=disabled)" build-clang

  echo "== determinism: gcc -O2, gcc -O0 (sanitizers) and clang -O3 give the same digests"
  local same=0 differ=0
  while IFS= read -r f; do
    a=$(build/tcpsim run "$f" --digest --quiet 2>/dev/null | grep -o 'sha256:[0-9a-f]*' || true)
    b=$(build-clang/tcpsim run "$f" --digest --quiet 2>/dev/null | grep -o 'sha256:[0-9a-f]*' || true)
    c=$(build-asan/tcpsim run "$f" --digest --quiet 2>/dev/null | grep -o 'sha256:[0-9a-f]*' || true)
    if [[ -n $a && $a == "$b" && $a == "$c" ]]; then same=$((same + 1)); else differ=$((differ + 1)); echo "differs: $f ($a, $b, $c)"; fi
  done < <(scenario_library)
  record "determinism across compilers" "$same" "$differ"

  echo "== valgrind memcheck of the scenario library, every output on"
  local vg_ok=0 vg_bad=0 out_dir
  out_dir=$(mktemp -d)
  while IFS= read -r f; do
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      build/tcpsim run "$f" --quiet --ladder --stats --trace "$out_dir/t.jsonl" --pcap "$out_dir/p.pcapng" \
      --svg "$out_dir/l.svg" --mermaid "$out_dir/l.mmd" >/dev/null 2>"$out_dir/vg.log"; then
      vg_ok=$((vg_ok + 1))
    else
      vg_bad=$((vg_bad + 1)); echo "valgrind: $f"; head -n 30 "$out_dir/vg.log"
    fi
  done < <(scenario_library)
  rm -rf "$out_dir"
  record "valgrind memcheck" "$vg_ok" "$vg_bad"

  echo "== static analysis: cppcheck and clang-tidy with the checked-in configuration"
  local an_out an_rc=0 an_found
  an_out=$(bash tools/analyze.sh 2>&1) || an_rc=$?
  grep -vE '^== installing' <<<"$an_out" | tail -n 40
  an_found=$(sed -n 's/^== total: \([0-9]*\) finding.*/\1/p' <<<"$an_out")
  if ((an_rc == 0)); then record "static analysis" 1 0; else record "static analysis" 0 "${an_found:-1}"; fi

  echo "== fuzz targets, ${FUZZ_SECONDS:-30} s each (clang libFuzzer, ASan+UBSan)"
  local fuzz_out fuzz_clean fuzz_found
  fuzz_out=$(bash tools/fuzz.sh "${FUZZ_SECONDS:-30}" 2>&1) || true
  echo "$fuzz_out"
  fuzz_clean=$(grep -c ': .* runs, clean$' <<<"$fuzz_out" || true)
  fuzz_found=$((3 - fuzz_clean))
  record "fuzzing" "$fuzz_clean" "$fuzz_found"

  if [[ -x ../shared/accept/run ]]; then
    echo "== acceptance check of the contract"
    local out rc=0
    out=$(TCPSIM=build/tcpsim ../shared/accept/run 2>&1) || rc=$?
    echo "$out" | grep -v '^ok '
    read -r p f < <(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
    ((rc != 0 && ${f:-0} == 0)) && f=1
    record "acceptance" "${p:-0}" "${f:-1}"
  fi

  echo
  echo "$total_pass passed, $total_fail failed"
  ((total_fail == 0))
}

case "${1:-}" in
  demo) demo ;;
  test) test_all ;;
  deps) install_deps ;;
  *) echo "usage: bash tools/dev.sh demo|test|deps" >&2; exit 2 ;;
esac
