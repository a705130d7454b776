#!/usr/bin/env bash
# Static analysis of the product code (sim/ stack/ apps/ viz/):
#   tools/analyze.sh            cppcheck, then clang-tidy
#   tools/analyze.sh cppcheck   only one of them
#   tools/analyze.sh clang-tidy
# cppcheck runs with the suppressions in tools/cppcheck.supp; clang-tidy with
# the checks in .clang-tidy and the compile commands of build-analyze, or of
# $ANALYZE_BUILD (set up with clang when missing; nothing needs compiling).
# Prints every finding as FILE:LINE: ... and a count per tool; exits 0 when
# there is none, 1 when there is any finding, 2 when a tool cannot run.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${ANALYZE_BUILD:-build-analyze}
DIRS=(sim stack apps viz)
JOBS=$(nproc 2>/dev/null || echo 2)
WHICH=${1:-all}

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null && return 0
  echo "== installing $2"
  local sudo=
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" </dev/null >/dev/null \
    || { echo "cannot install $2" >&2; exit 2; }
}

total=0

# clang-tidy names files as the compile commands do (absolute, or relative to
# the build directory): make every path relative to the source root.
relpaths() {
  python3 -c '
import os, sys
root, build = os.getcwd(), os.path.join(os.getcwd(), sys.argv[1])
for line in sys.stdin:
    path, sep, rest = line.partition(":")
    full = os.path.normpath(os.path.join(build, path))
    sys.stdout.write(os.path.relpath(full, root) + sep + rest)
' "$BUILD"
}

# The build directory gives clang-tidy its compile commands and both tools the
# generated tcpsim_config.h.
ensure_build() {
  [[ -f $BUILD/compile_commands.json ]] && return 0
  need clang clang
  need meson meson
  echo "== setting up $BUILD (clang)"
  local log
  log=$(mktemp)
  CC=clang meson setup "$BUILD" >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 2; }
  rm -f "$log"
}

run_cppcheck() {
  need cppcheck cppcheck
  echo "== cppcheck $(cppcheck --version | sed 's/Cppcheck //')"
  local out
  out=$(cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
    --suppressions-list=tools/cppcheck.supp -I . -I "$BUILD" \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE --quiet -j "$JOBS" \
    --template='{file}:{line}: {severity}: {message} [{id}]' "${DIRS[@]}" 2>&1 | sort)
  local n=0
  [[ -n $out ]] && { echo "$out"; n=$(wc -l <<<"$out"); }
  echo "cppcheck: $n finding(s)"
  total=$((total + n))
}

run_clang_tidy() {
  need clang-tidy clang-tidy
  echo "== clang-tidy $(clang-tidy --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)"
  # The files of the four trees that the build compiles (viz's SDL part only
  # when the build has it).
  local files
  files=$(python3 - "$BUILD" "${DIRS[@]}" <<'PY'
import json, os, sys
build, dirs = sys.argv[1], sys.argv[2:]
root = os.getcwd()
seen = set()
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, root)
    if rel.split(os.sep)[0] in dirs and rel.endswith(".c") and rel not in seen:
        seen.add(rel)
        print(rel)
PY
)
  [[ -n $files ]] || { echo "no files in $BUILD/compile_commands.json" >&2; exit 2; }
  local out
  # One clang-tidy per file, in parallel; keep only the findings (a header's
  # finding is reported once however many files include it).
  out=$(xargs -P "$JOBS" -n 1 clang-tidy -p "$BUILD" --quiet <<<"$files" 2>/dev/null \
    | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error):' | relpaths | sort -u)
  local n=0
  [[ -n $out ]] && { echo "$out"; n=$(wc -l <<<"$out"); }
  echo "clang-tidy: $n finding(s) in $(wc -l <<<"$files") files"
  total=$((total + n))
}

case $WHICH in
all) ensure_build; run_cppcheck; run_clang_tidy ;;
cppcheck) ensure_build; run_cppcheck ;;
clang-tidy) ensure_build; run_clang_tidy ;;
*) echo "usage: tools/analyze.sh [cppcheck|clang-tidy]" >&2; exit 2 ;;
esac
echo "== total: $total finding(s)"
((total == 0))
