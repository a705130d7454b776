#!/usr/bin/env bash
# The tcpsim executable must not need SDL2, SDL2_ttf or libpng: `tcpsim viz`
# loads them with its module, and run/check/validate stay small without them.
# usage: exe_needed.sh TCPSIM [MODULE]
# With MODULE (the SDL2 visualizer module), also checks that the same reading
# of the dynamic section does find those libraries there, so the check cannot
# pass by reading nothing.  Exit 77 (skipped) when readelf is missing.
set -u
exe=$1
module=${2:-}
command -v readelf >/dev/null || { echo "readelf not found: skipped"; exit 77; }
forbidden='libSDL2-|libSDL2_ttf|libpng'

needed() { # the DT_NEEDED entries of $1, one per line
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

exe_needs=$(needed "$exe")
[[ -n $exe_needs ]] || { echo "FAIL: no NEEDED entry read from $exe"; exit 1; }
if bad=$(grep -E "$forbidden" <<<"$exe_needs"); then
    echo "FAIL: $exe needs:"; echo "$bad"; exit 1
fi
echo "ok   $exe needs none of SDL2, SDL2_ttf, libpng"
if [[ -n $module ]]; then
    module_needs=$(needed "$module")
    for lib in libSDL2- libSDL2_ttf libpng; do
        grep -q -- "$lib" <<<"$module_needs" || { echo "FAIL: $module does not need $lib"; exit 1; }
    done
    echo "ok   $module needs SDL2, SDL2_ttf and libpng"
fi
