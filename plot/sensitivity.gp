# sensitivity.gp: a sensitivity sweep (sensitivity-threshold, -bandwidth, -slack): time to
# target and final quality against the swept parameter, one line per sync model, in stacked
# panels on one x axis: time to target (s), final training objective and, with hastest, the
# final held-out metric. A run that did not reach the target is a cross at the top of the time
# axis (ytop), said in the key. The key is a strip under the panels, off the data. Variables:
# datafile (block i-1 = series i: x position, time to target s or NaN, reached 0/1, final
# objective, final held-out metric or NaN, run id), nseries, labels[], styles[] (line style
# per series, the same model always the same style), nrseries[] and nnr (the series with runs
# that did not reach, and how many such series; gnuplot reads an empty loop's data anyway,
# so the plot without such series is a separate command), notreached (runs that did not reach),
# figtitle, xlabel, xtics (a gnuplot tic list), logx, xmin, xmax, ytop, logy and ybottom (a
# log time axis from ybottom when the times span a wide range), hastest, testname.
npanels = hastest ? 3 : 2
w = 640
h = hastest ? 1040 : 760
load gpdir . '/common.gp'
# Layout in pixels: title 56 at the top; key strip 58 (two rows) and x label 48 at the bottom;
# 50 between panels for their x tic labels.
ptop = 1 - 56.0 / h
pbot = (58.0 + 48.0) / h
pgap = 50.0 / h
ph = (ptop - pbot - (npanels - 1) * pgap) / npanels
panel_top(k) = ptop - (k - 1) * (ph + pgap)
set multiplot title figtitle
set lmargin at screen 0.15
set rmargin at screen 0.86
if (logx) { set logscale x 2 }
set xrange [xmin : xmax]
eval('set xtics ' . xtics)
set grid xtics ytics lc rgb '#d9d9d9' lw 0.5 dt 1
set key at screen 0.5, screen 0.008 center bottom horizontal maxcols 4 maxrows 2 reverse Left samplen 2.5 \
    spacing 1.1 width -1 box lc rgb '#bbbbbb'

# 1. Time to target; runs that did not reach it at the top of the axis.
set tmargin at screen panel_top(1)
set bmargin at screen panel_top(1) - ph
if (logy) {
	set logscale y
	set ylabel 'time to target (s, simulated; log scale)'
	set yrange [ybottom : ytop]
} else {
	set ylabel 'time to target (s, simulated)'
	set yrange [0 : ytop]
}
if (notreached > 0) {
	set arrow 1 from graph 0, first ytop to graph 1, first ytop nohead dt 3 lc rgb '#888888' back
	set label 1 "not\nreached" at graph 1, first ytop offset 1, 0 left font ',10' tc rgb '#444444'
}
if (nnr > 0) {
	plot for [i=1:nseries] datafile index (i - 1) using 1:($3 > 0 ? $2 : NaN) with linespoints \
	         ls int(styles[i]) title labels[i], \
	     for [j=1:nnr] datafile index (int(nrseries[j]) - 1) using 1:($3 > 0 ? NaN : ytop) \
	         with points ls int(styles[int(nrseries[j])]) pt 2 ps 1.8 lw 2 notitle, \
	     NaN with points lc rgb '#000000' pt 2 ps 1.8 lw 2 title 'not reached (at the top)'
} else {
	plot for [i=1:nseries] datafile index (i - 1) using 1:2 with linespoints ls int(styles[i]) \
	         title labels[i]
}
unset arrow 1
unset label 1
unset key
unset logscale y

# 2. Final objective (every run, reached or not).
set tmargin at screen panel_top(2)
set bmargin at screen panel_top(2) - ph
set ylabel 'final objective (loss)'
set yrange [* : *]
if (!hastest) { set xlabel xlabel }
plot for [i=1:nseries] datafile index (i - 1) using 1:4 with linespoints ls int(styles[i]) notitle

# 3. Final held-out metric, when the workload has one.
if (hastest) {
	set tmargin at screen panel_top(3)
	set bmargin at screen panel_top(3) - ph
	set ylabel 'final ' . testname . ' (held-out)'
	set xlabel xlabel
	plot for [i=1:nseries] datafile index (i - 1) using 1:5 with linespoints ls int(styles[i]) notitle
}
unset multiplot
