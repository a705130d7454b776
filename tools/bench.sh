#!/usr/bin/env bash
# Runs the benchmark worlds of scenarios/bench/ and prints a markdown table.
#
#   tools/bench.sh [-n RUNS] [-b BUILD_DIR] [-r RAW.tsv] [-d DATA.tsv] [WORLD|SET...]
#   tools/bench.sh -t RAW.tsv [-d DATA.tsv]   (the table again from the raw figures of -r)
#
# WORLD is a name from scenarios/bench/ without .json ("bulk", "dumbbell-100")
# or a path.  SET is one of: `ns3` (the worlds that mirror ns-3's runs, the
# default), `scaling` (flows-1..10000, short-10..10000, dumbbell-10..100,
# idle-10000 and idle-100000), `all` (bulk and the scaling series).  Each world
# runs RUNS times (default 3) as `tcpsim run FILE --stats --quiet`; the table
# shows medians: the process's wall time (as /usr/bin/time measures ns-3's,
# so loading the file counts) with its spread (min-max), its CPU time, the
# simulated time, events, events/s of the event loop, frames sent, goodput,
# peak RSS with its spread, and the ns-3 figures and ratios beside them.  One
# more run without --quiet gives the bytes delivered and when the last
# connection closed, for the goodput: bytes delivered to servers / (the time
# the last accepted connection closed if every one closed, else the simulated
# time).  -r keeps every run's figures; -d writes the medians as a
# tab-separated file for tools/plot_scaling.sh.
# Use a release build: meson setup BUILD -Dbuildtype=release.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
build=$root/build
raw=
data=
table_only=
while getopts "n:b:r:d:t:h" opt; do
    case $opt in
    n) runs=$OPTARG ;;
    b) build=$OPTARG ;;
    r) raw=$OPTARG ;;
    d) data=$OPTARG ;;
    t) table_only=$OPTARG ;;
    *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
tcpsim=$build/tcpsim
[ -n "$table_only" ] || [ -x "$tcpsim" ] || { echo "bench.sh: no $tcpsim (build it first)" >&2; exit 2; }
[ -n "$table_only" ] || [ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time is needed for the peak RSS" >&2; exit 2; }

ns3_set=(bulk dumbbell-10 dumbbell-20 dumbbell-50 dumbbell-100 short-1000 short-10000)
scaling_set=(flows-1 flows-10 flows-100 flows-1000 flows-10000
             short-10 short-100 short-1000 short-10000
             dumbbell-10 dumbbell-20 dumbbell-50 dumbbell-100
             idle-10000 idle-100000)
[ $# -gt 0 ] || set -- ns3
worlds=()
for w in "$@"; do
    case $w in
    ns3) worlds+=("${ns3_set[@]}") ;;
    scaling) worlds+=("${scaling_set[@]}") ;;
    all) worlds+=(bulk "${scaling_set[@]}") ;;
    *) worlds+=("$w") ;;
    esac
done
# Each world once, in the order first named.
mapfile -t worlds < <(printf '%s\n' "${worlds[@]}" | awk '!seen[$0]++')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${raw:-$tmp/raw.tsv}

# buildtype: the build's meson buildtype and optimization, as "release -O3".
buildtype() {
    python3 - "$build/meson-info/intro-buildoptions.json" <<'PYEOF' 2>/dev/null || echo unknown
import json, sys
opts = {o["name"]: o["value"] for o in json.load(open(sys.argv[1]))}
print(f"{opts['buildtype']} -O{opts['optimization']}")
PYEOF
}

# stat NAME FILE: the number after NAME in a --stats block.
stat() { awk -v k="$1" 'index($0, "  " k) == 1 { sub("^  " k " *", ""); print $1; exit }' "$2"; }

if [ -n "$table_only" ]; then
    out=$table_only
    worlds=()
else
    {
        printf 'meta\tcommit\t%s\n' "$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
        printf 'meta\tbuild\t%s\n' "$(buildtype)"
        printf 'meta\tdate\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
        printf 'meta\tcpus\t%s\n' "$(nproc)"
        printf 'meta\tload\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    } >"$out"
fi
for w in "${worlds[@]}"; do
    file=$w
    [ -f "$file" ] || file=$root/scenarios/bench/$w.json
    [ -f "$file" ] || { echo "bench.sh: no world $w" >&2; exit 2; }
    name=$(basename "$file" .json)
    printf 'world\t%s\t%s\n' "$name" "$file" >>"$out"
    for ((i = 1; i <= runs; i++)); do
        t0=$(date +%s%N)
        rc=0
        /usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$tcpsim" run "$file" --stats --quiet \
            >"$tmp/stats" 2>"$tmp/err" || rc=$?
        t1=$(date +%s%N)
        if [ "$rc" -gt 1 ]; then
            echo "bench.sh: $name: exit $rc" >&2
            cat "$tmp/err" >&2
            exit 1
        fi
        read -r rss_kib user_s sys_s < <(tail -n 1 "$tmp/rss")
        printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$((t1 - t0))" \
            "$(stat 'events executed' "$tmp/stats")" "$(stat 'frames sent' "$tmp/stats")" \
            "$(stat 'simulated time' "$tmp/stats")" "$(stat 'wall time' "$tmp/stats")" \
            "$(stat 'events/s' "$tmp/stats")" "$rss_kib" \
            "$(grep -c '^  FAIL' "$tmp/stats" || true)" \
            "$(awk -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%.2f", u + s }')" >>"$out"
        echo "  $name run $i: $(((t1 - t0) / 1000000)) ms" >&2
    done
    # The report run: bytes delivered and the last close, for the goodput.
    "$tcpsim" run "$file" >"$tmp/report" 2>/dev/null || true
    awk -v name="$name" '
        /^Applications/ { apps = 1; next }
        apps && /^[^ ]/ { apps = 0 }
        apps && /^  [^ ]+: (sink|echo|respond)/ {
            for (i = 1; i <= NF; i++) if ($i == "received") bytes += $(i + 1)
        }
        apps && /^    [^ ]+#[0-9]+:/ {
            conns++
            if (match($0, /closed at [0-9.]+ s/)) {
                closed++
                t = substr($0, RSTART + 10, RLENGTH - 12) + 0
                if (t > last) last = t
            }
        }
        END { printf "goodput\t%s\t%d\t%d\t%d\t%.9f\n", name, bytes, conns, closed, last }
    ' "$tmp/report" >>"$out"
done

[ -n "$table_only" ] || printf 'meta\tload after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"

python3 - "$out" "$runs" "$root" "$data" <<'PYEOF'
import json
import math
import os
import re
import statistics
import sys

raw_file, runs_asked, root, data_file = sys.argv[1:5]

# ns-3.48 (optimized), medians of 3: wall s, events, peak RSS MiB (None: not published).
NS3 = {
    "bulk": (0.82, 479e3, 16.8),
    "dumbbell-10": (5.00, None, None),
    "dumbbell-20": (17.3, None, None),
    "dumbbell-50": (27.1, None, None),
    "dumbbell-100": (42.2, 12.9e6, 59.0),
    "short-1000": (0.50, 38e3, 60.0),
    "short-10000": (12.8, None, 455.0),
}

runs, good, paths, meta, order = {}, {}, {}, [], []
for line in open(raw_file):
    f = line.rstrip("\n").split("\t")
    if f[0] == "meta":
        meta.append((f[1], f[2]))
    elif f[0] == "world":
        paths[f[1]] = f[2]
    elif f[0] == "goodput":
        good[f[1]] = (int(f[2]), int(f[3]), int(f[4]), float(f[5]))
    else:
        if f[0] not in runs:
            order.append(f[0])
            runs[f[0]] = []
        runs[f[0]].append(f[1:])


def si(x):
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x:.0f}"


def speed(theirs, ours):
    ours = max(ours, 1e-3)
    return f"{theirs / ours:.1f}x faster" if ours < theirs else f"{ours / theirs:.1f}x slower"


def secs(x):
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def shape(name):
    """The world's series, its size N, its hosts (routers included) and its
    client connections, from the name and the scenario file."""
    m = re.fullmatch(r"(flows|short|dumbbell|idle)-(\d+)", name)
    series, n = (m.group(1), int(m.group(2))) if m else (name, 1)
    path = paths.get(name, os.path.join(root, "scenarios", "bench", name + ".json"))
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return series, n, None, None
    conns = sum(1 for a in doc.get("apps", []) if "connect" in a)
    return series, n, len(doc.get("hosts", [])), conns


def summary(name):
    """Medians (and min-max) of one world's runs, and the ns-3 figures."""
    r = runs[name]
    s = {"name": name, "runs": len(r)}
    wall = [int(x[0]) / 1e9 for x in r]
    rss = [int(x[6]) / 1024 for x in r]
    s["wall"], s["wall_min"], s["wall_max"] = statistics.median(wall), min(wall), max(wall)
    s["rss"], s["rss_min"], s["rss_max"] = statistics.median(rss), min(rss), max(rss)
    s["events"], s["frames"], s["sim"] = int(r[0][1]), int(r[0][2]), float(r[0][3])
    s["evps"] = statistics.median(float(x[5]) for x in r)
    s["fails"] = int(r[0][7])
    s["cpu"] = statistics.median(float(x[8]) for x in r)
    s["ev_cpu"] = s["events"] / s["cpu"] if s["cpu"] >= 0.01 else None
    b, conns, closed, last = good.get(name, (0, 0, 0, 0.0))
    window = last if conns and closed == conns and last > 0 else s["sim"]
    s["goodput"] = b * 8 / window if b else None
    s["done"] = last if b and window != s["sim"] else None
    s["series"], s["n"], s["hosts"], s["conns"] = shape(name)
    s["ns3"] = NS3.get(name)
    return s


rows = [summary(name) for name in order]

print(f"| world | wall (median) | spread | CPU (median) | simulated | events | events/s | events/CPU-s | frames sent "
      f"| goodput | peak RSS | RSS spread | ns-3 wall | wall ratio | CPU ratio | ns-3 RSS | RSS ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for s in rows:
    gp = f"{si(s['goodput'])}b/s" if s["goodput"] else "-"
    if s["done"] is not None:
        gp += f" (done {s['done']:.2f} s)"
    ns = s["ns3"]
    ns_wall = ratio = cpu_ratio = ns_rss = rss_ratio = "-"
    if ns:
        ns_wall = secs(ns[0])
        ratio = speed(ns[0], s["wall"])
        cpu_ratio = speed(ns[0], s["cpu"])
        if ns[2]:
            ns_rss = f"{ns[2]:.0f} MiB"
            rss_ratio = f"{s['rss'] / ns[2]:.2f}"
    flag = " (expectations failed)" if s["fails"] else ""
    ev_cpu = si(s["ev_cpu"]) if s["ev_cpu"] else "-"
    print(f"| {s['name']}{flag} | {secs(s['wall'])} | {s['wall_min']:.3f}-{s['wall_max']:.3f} | {secs(s['cpu'])} | "
          f"{s['sim']:g} s | {si(s['events'])} | {si(s['evps'])} | {ev_cpu} | {si(s['frames'])} | {gp} | "
          f"{s['rss']:.1f} MiB | {s['rss_min']:.1f}-{s['rss_max']:.1f} | "
          f"{ns_wall} | {ratio} | {cpu_ratio} | {ns_rss} | {rss_ratio} |")
print(f"\nMedians of {runs_asked} runs. Wall and CPU (user + system) time are the whole "
      f"process's, loading included; events/s is the event loop's rate by the wall clock "
      f"(--stats), events/CPU-s the events over the process's CPU time. The CPU "
      f"ratio compares ns-3's wall time with tcpsim's CPU time: on a busy machine it is the "
      f"steadier figure.")

# The data file: one row per world, "NaN" where a figure does not exist.
COLUMNS = ("world series n hosts connections runs wall_s wall_min_s wall_max_s cpu_s "
           "simulated_s events events_per_s events_per_cpu_s frames goodput_bps "
           "rss_mib rss_min_mib rss_max_mib expectations_failed "
           "ns3_wall_s ns3_events ns3_rss_mib ns3_wall_over_wall rss_over_ns3_rss").split()


def cell(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NaN"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


if data_file:
    with open(data_file, "w") as fh:
        for key, value in meta:
            fh.write(f"# {key}: {value}\n")
        fh.write(f"# medians of {runs_asked} runs of tools/bench.sh; *_min/*_max: the spread\n")
        fh.write("\t".join(COLUMNS) + "\n")
        for s in rows:
            ns = s["ns3"] or (None, None, None)
            fh.write("\t".join(cell(x) for x in (
                s["name"], s["series"], s["n"], s["hosts"], s["conns"], s["runs"],
                s["wall"], s["wall_min"], s["wall_max"], s["cpu"], s["sim"], s["events"],
                s["evps"], s["ev_cpu"], s["frames"], s["goodput"],
                s["rss"], s["rss_min"], s["rss_max"], s["fails"],
                ns[0], ns[1], ns[2],
                ns[0] / s["wall"] if ns[0] else None,
                s["rss"] / ns[2] if ns[2] else None)) + "\n")
PYEOF
