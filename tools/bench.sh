#!/usr/bin/env bash
# Runs the benchmark worlds of scenarios/bench/ and prints a markdown table.
#
#   tools/bench.sh [-n RUNS] [-b BUILD_DIR] [-r RAW.tsv] [WORLD...]
#   tools/bench.sh -t RAW.tsv        (the table again from the raw figures of -r)
#
# WORLD is a name from scenarios/bench/ without .json ("bulk", "dumbbell-100")
# or a path; with no world, the ns-3 comparison set runs.  `all` runs every
# world including the scaling series.  Each world runs RUNS times (default 3)
# as `tcpsim run FILE --stats --quiet`; the table shows medians: the process's
# wall time (as /usr/bin/time measures ns-3's, so loading the file counts) with
# its spread (min-max), its CPU time, the simulated time, events, events/s of the event loop,
# frames sent, goodput, peak RSS, and the ns-3 figures beside them.  One more
# run without --quiet gives the bytes delivered and when the last connection
# closed, for the goodput: bytes delivered to servers / (the time the last
# accepted connection closed if every one closed, else the simulated time).
# Use a release build: meson setup BUILD -Dbuildtype=release.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
build=$root/build
raw=
table_only=
while getopts "n:b:r:t:h" opt; do
    case $opt in
    n) runs=$OPTARG ;;
    b) build=$OPTARG ;;
    r) raw=$OPTARG ;;
    t) table_only=$OPTARG ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
tcpsim=$build/tcpsim
[ -n "$table_only" ] || [ -x "$tcpsim" ] || { echo "bench.sh: no $tcpsim (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time is needed for the peak RSS" >&2; exit 2; }

ns3_set=(bulk dumbbell-10 dumbbell-20 dumbbell-50 dumbbell-100 short-1000 short-10000)
scaling=(flows-1 flows-10 flows-100 flows-1000 flows-10000
         short-10 short-100 idle-10000 idle-100000)
if [ $# -eq 0 ]; then
    set -- "${ns3_set[@]}"
elif [ "$1" = all ]; then
    set -- "${ns3_set[@]}" "${scaling[@]}"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${raw:-$tmp/raw.tsv}

# stat NAME FILE: the number after NAME in a --stats block.
stat() { awk -v k="$1" 'index($0, "  " k) == 1 { sub("^  " k " *", ""); print $1; exit }' "$2"; }

[ -z "$table_only" ] || { out=$table_only; set --; }
[ -n "$table_only" ] || : >"$out"
for w in "$@"; do
    file=$w
    [ -f "$file" ] || file=$root/scenarios/bench/$w.json
    [ -f "$file" ] || { echo "bench.sh: no world $w" >&2; exit 2; }
    name=$(basename "$file" .json)
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

python3 - "$out" "$runs" <<'EOF'
import statistics
import sys

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

runs, good, order = {}, {}, []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "goodput":
        good[f[1]] = (int(f[2]), int(f[3]), int(f[4]), float(f[5]))
        continue
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


print(f"| world | wall (median) | spread | CPU (median) | simulated | events | events/s | events/CPU-s | frames sent "
      f"| goodput | peak RSS | ns-3 wall | wall ratio | CPU ratio | ns-3 RSS | RSS ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in order:
    r = runs[name]
    wall = [int(x[0]) / 1e9 for x in r]
    med = statistics.median(wall)
    events = int(r[0][1])
    frames = int(r[0][2])
    sim = float(r[0][3])
    evps = statistics.median(float(x[5]) for x in r)
    rss = statistics.median(int(x[6]) for x in r) / 1024
    fails = int(r[0][7])
    cpu = statistics.median(float(x[8]) for x in r)
    b, conns, closed, last = good.get(name, (0, 0, 0, 0.0))
    window = last if conns and closed == conns and last > 0 else sim
    gp = f"{si(b * 8 / window)}b/s" if b else "-"
    if b and window != sim:
        gp += f" (done {last:.2f} s)"
    ns = NS3.get(name)
    ns_wall = ratio = cpu_ratio = ns_rss = rss_ratio = "-"
    if ns:
        ns_wall = secs(ns[0])
        ratio = speed(ns[0], med)
        cpu_ratio = speed(ns[0], cpu)
        if ns[2]:
            ns_rss = f"{ns[2]:.0f} MiB"
            rss_ratio = f"{rss / ns[2]:.2f}"
    flag = " (expectations failed)" if fails else ""
    print(f"| {name}{flag} | {secs(med)} | {min(wall):.3f}-{max(wall):.3f} | {secs(cpu)} | "
          f"{sim:g} s | {si(events)} | {si(evps)} | {si(events / cpu) if cpu >= 0.01 else '-'} | {si(frames)} | {gp} | {rss:.1f} MiB | "
          f"{ns_wall} | {ratio} | {cpu_ratio} | {ns_rss} | {rss_ratio} |")
print(f"\nMedians of {sys.argv[2]} runs. Wall and CPU (user + system) time are the whole "
      f"process's, loading included; events/s is the event loop's rate by the wall clock "
      f"(--stats), events/CPU-s the events over the process's CPU time. The CPU "
      f"ratio compares ns-3's wall time with tcpsim's CPU time: on a busy machine it is the "
      f"steadier figure.")
EOF
