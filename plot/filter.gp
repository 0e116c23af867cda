# filter.gp: the significance filter: per clock, the share of parameter updates a run's
# parameter servers sent over the WAN (summed over regions); with hasthreshold, a second panel
# with the threshold schedule. Variables: datafile (block i-1 = run i: clock, share),
# thrfile (block i-1: clock, threshold), nseries, labels[], hasthreshold.
w = 640
h = hasthreshold ? 760 : 420
load gpdir . '/common.gp'
set xlabel 'clock (iterations)'
set key bottom right opaque box lc rgb '#bbbbbb'
if (hasthreshold) {
	set multiplot layout 2, 1 title 'Significance filter'
} else {
	set title 'Significance filter: updates sent over the WAN'
}
set ylabel 'share of updates sent (fraction)'
set yrange [0 : 1.05]
plot for [i=1:nseries] datafile index (i - 1) using 1:2 with lines ls style(i) title labels[i]
if (hasthreshold) {
	set title ''
	set ylabel 'significance threshold (relative)'
	set yrange [0 : *]
	set key top right
	plot for [i=1:nseries] thrfile index (i - 1) using 1:2 with lines ls style(i) title labels[i]
	unset multiplot
}
