#!/usr/bin/env bash
# Draws the scaling series of a tools/bench.sh data file as one PNG.
#
#   tools/plot_scaling.sh [DATA.tsv] [OUT.png]
#       (defaults: docs/bench/scaling.tsv, docs/img/scaling.png)
#
# The data file comes from `tools/bench.sh -b BUILD -d DATA.tsv scaling`.
# Four panels: wall time against connections (flows-N, dumbbell-N, idle-N) and
# against hosts (short-N), both log-log with a line of slope 1 through the
# largest world, which is what a cost linear in the size would follow; the
# event loop's events per second against the size (flat means every event
# costs the same however big the world); peak RSS against connections.  Open
# symbols are ns-3's figures for the same worlds.  Needs gnuplot with the
# pngcairo terminal (Debian: gnuplot-nox); only the documentation needs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$root/docs/bench/scaling.tsv}
png=${2:-$root/docs/img/scaling.png}
command -v gnuplot >/dev/null || { echo "plot_scaling.sh: gnuplot is needed (apt-get install gnuplot-nox)" >&2; exit 2; }
[ -f "$data" ] || { echo "plot_scaling.sh: no $data (make it with tools/bench.sh -d)" >&2; exit 2; }

# field SERIES XCOL YCOL: "x y" of the series' row with the largest x.
field() {
    awk -F'\t' -v s="$1" -v xc="$2" -v yc="$3" '
        /^#/ { next }
        !header { for (i = 1; i <= NF; i++) col[$i] = i; header = 1; next }
        $col["series"] == s && $col[xc] + 0 > bestx { bestx = $col[xc] + 0; besty = $col[yc] }
        END { if (bestx > 0) print bestx, besty; else print "1 NaN" }' "$data"
}
meta() { sed -n "s/^# $1: //p" "$data" | head -n 1; }

for series in flows short dumbbell idle; do
    awk -F'\t' -v s="$series" '!/^#/ && $2 == s { found = 1 } END { exit !found }' "$data" ||
        { echo "plot_scaling.sh: no $series-N world in $data (tools/bench.sh -d $data scaling)" >&2; exit 2; }
done

read -r conn_x conn_y < <(field idle connections wall_s)
read -r host_x host_y < <(field short hosts wall_s)
read -r rss_x rss_y < <(field idle connections rss_mib)
subtitle="$(meta build) build, medians of $(awk -F'\t' '/^#/ { next } h { print $6; exit } { h = 1 }' "$data") runs"
subtitle+=", bars: min-max; commit $(meta commit), $(meta date), $(meta cpus) CPUs, load $(meta load)"

mkdir -p "$(dirname "$png")"
gnuplot <<EOF
data = "$data"
set terminal pngcairo size 1500,1100 font "sans,11" linewidth 1.5
set output "$png"
set datafile separator "\t"
set datafile columnheaders

# One colour and symbol per series in every panel; ns-3 in the same colour, open.
c_flows = "#1f77b4"; c_short = "#2ca02c"; c_dumb = "#d62728"; c_idle = "#9467bd"
is(s) = strcol("series") eq s
pick(s, c) = is(s) ? column(c) : NaN
slope1(x, x0, y0) = y0 * x / x0
nz(x) = x == x ? x : 0
big(a, b) = a > b ? a : b
span(lo, hi) = sprintf("set yrange [%g:%g]", lo / 1.6, hi * 1.6)

# Each panel's y range from its data alone (the slope-1 guides are clipped, not
# fitted).  stats honours the axis ranges, so this comes before any is set.
stats data using (is("short") || is("bulk") ? NaN : column("wall_min_s")) nooutput prefix "CONN_LO"
stats data using (is("short") || is("bulk") ? NaN : big(column("wall_max_s"), nz(column("ns3_wall_s")))) nooutput prefix "CONN_HI"
stats data using (pick("short", "wall_min_s")) nooutput prefix "HOST_LO"
stats data using (is("short") ? big(column("wall_max_s"), nz(column("ns3_wall_s"))) : NaN) nooutput prefix "HOST_HI"
stats data using (is("bulk") ? NaN : column("rss_min_mib")) nooutput prefix "RSS_LO"
stats data using (is("bulk") ? NaN : big(column("rss_max_mib"), nz(column("ns3_rss_mib")))) nooutput prefix "RSS_HI"
stats data using (is("bulk") ? NaN : column("events_per_s") / 1e6) nooutput prefix "RATE"

set multiplot layout 2,2 title "tcpsim scaling: wall time, event rate and memory as the worlds grow\n{/*0.8 $subtitle}" font "sans,14"
set grid xtics ytics mxtics mytics lc "#dddddd"
set key at graph 0,-0.19 left top reverse Left box samplen 2 spacing 1.1 font "sans,10" maxrows 4 width 1
set bmargin 10
set format x "10^{%L}"
set logscale x
set xrange [0.7:200000]

set title "Wall time against connections"
set xlabel "connections (flows, or idle connections)"
set ylabel "wall time per run (s)"
set logscale y
set format y "%g"
eval span(CONN_LO_min, CONN_HI_max)
plot \
  data using "connections":(pick("flows","wall_s")):(pick("flows","wall_min_s")):(pick("flows","wall_max_s")) \
      with yerrorlines pt 7 ps 1.2 lc rgb c_flows title "flows-N: 100 MB split into N flows", \
  data using "connections":(pick("dumbbell","wall_s")):(pick("dumbbell","wall_min_s")):(pick("dumbbell","wall_max_s")) \
      with yerrorlines pt 5 ps 1.2 lc rgb c_dumb title "dumbbell-N: N flows, 10 s", \
  data using "connections":(pick("idle","wall_s")):(pick("idle","wall_min_s")):(pick("idle","wall_max_s")) \
      with yerrorlines pt 9 ps 1.5 lc rgb c_idle title "idle-N: N idle connections, 2 s", \
  data using "connections":(pick("dumbbell","ns3_wall_s")) \
      with linespoints dt 2 pt 4 ps 1.4 lc rgb c_dumb title "dumbbell-N, ns-3", \
  slope1(x, $conn_x, $conn_y) with lines dt 3 lc "black" title "slope 1 (cost linear in N)"

set title "Wall time against hosts (short connections)"
set xlabel "hosts (one client each, routers included)"
eval span(HOST_LO_min, HOST_HI_max)
plot \
  data using "hosts":(pick("short","wall_s")):(pick("short","wall_min_s")):(pick("short","wall_max_s")) \
      with yerrorlines pt 7 ps 1.2 lc rgb c_short title "short-N: N clients, 1 KiB each, 10 s", \
  data using "hosts":(pick("short","ns3_wall_s")) \
      with linespoints dt 2 pt 6 ps 1.4 lc rgb c_short title "short-N, ns-3", \
  slope1(x, $host_x, $host_y) with lines dt 3 lc "black" title "slope 1 (cost linear in hosts)"

set title "Event rate against size (flat: every event costs the same)"
set xlabel "N (flows, clients or connections)"
set ylabel "events per second of the event loop (millions)"
unset logscale y
set yrange [0:RATE_max * 1.1]
ns3_rate(s) = is(s) ? column("ns3_events") / column("ns3_wall_s") / 1e6 : NaN
plot \
  data using "n":(pick("flows","events_per_s") / 1e6) with linespoints pt 7 ps 1.2 lc rgb c_flows title "flows-N", \
  data using "n":(pick("short","events_per_s") / 1e6) with linespoints pt 7 ps 1.2 lc rgb c_short title "short-N", \
  data using "n":(pick("dumbbell","events_per_s") / 1e6) with linespoints pt 5 ps 1.2 lc rgb c_dumb title "dumbbell-N", \
  data using "n":(pick("idle","events_per_s") / 1e6) with linespoints pt 9 ps 1.5 lc rgb c_idle title "idle-N", \
  data using "n":(ns3_rate("dumbbell")) with points pt 4 ps 1.4 lc rgb c_dumb title "dumbbell-100, ns-3", \
  data using "n":(ns3_rate("short")) with points pt 6 ps 1.4 lc rgb c_short title "short-1000, ns-3"

set title "Peak memory against connections"
set xlabel "connections"
set ylabel "peak RSS (MiB)"
set logscale y
eval span(RSS_LO_min, RSS_HI_max)
plot \
  data using "connections":(pick("flows","rss_mib")):(pick("flows","rss_min_mib")):(pick("flows","rss_max_mib")) \
      with yerrorlines pt 7 ps 1.2 lc rgb c_flows title "flows-N", \
  data using "connections":(pick("short","rss_mib")):(pick("short","rss_min_mib")):(pick("short","rss_max_mib")) \
      with yerrorlines pt 7 ps 1.2 lc rgb c_short title "short-N", \
  data using "connections":(pick("dumbbell","rss_mib")):(pick("dumbbell","rss_min_mib")):(pick("dumbbell","rss_max_mib")) \
      with yerrorlines pt 5 ps 1.2 lc rgb c_dumb title "dumbbell-N", \
  data using "connections":(pick("idle","rss_mib")):(pick("idle","rss_min_mib")):(pick("idle","rss_max_mib")) \
      with yerrorlines pt 9 ps 1.5 lc rgb c_idle title "idle-N", \
  data using "connections":(pick("short","ns3_rss_mib")) with linespoints dt 2 pt 6 ps 1.4 lc rgb c_short title "short-N, ns-3", \
  data using "connections":(pick("dumbbell","ns3_rss_mib")) with points pt 4 ps 1.4 lc rgb c_dumb title "dumbbell-100, ns-3", \
  slope1(x, $rss_x, $rss_y) with lines dt 3 lc "black" title "slope 1 (memory linear in N)"
unset multiplot
EOF
echo "plot_scaling.sh: wrote $png" >&2
