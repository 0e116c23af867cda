# convergence.gp: training objective against simulated time, one line per run (sync model),
# the target as a horizontal line; for runs with per-region models (Gaia) the line is the mean
# over regions and the shaded band the min-max spread. With hastest, a second panel shows the
# held-out metric. Variables: datafile (block i-1 = run i: time s, mean, min, max, regions),
# testfile (block j-1 = j-th run with held-out values: time s, held-out metric), figtitle,
# metricname, nseries, labels[], target (NaN: none), hastest, ntest, testlabels[] and
# teststyles[] (the line style, i.e. series number, of each held-out block), hasspread.
w = 640
h = hastest ? 760 : 440
load gpdir . '/common.gp'
set xlabel 'simulated time (s)'
set key top right opaque box lc rgb '#bbbbbb'
if (hastest) {
	set multiplot layout 2, 1 title figtitle
} else {
	set title figtitle
}
set ylabel 'training objective (loss)'
plot for [i=1:nseries] datafile index (i - 1) using 1:3:4 with filledcurves \
         fc rgb '#999999' fs transparent solid 0.35 noborder, \
     (hasspread ? NaN : 1/0) with filledcurves fc rgb '#999999' fs transparent solid 0.35 noborder \
         title 'min-max over regions', \
     for [i=1:nseries] datafile index (i - 1) using 1:2 with linespoints ls style(i) pi 3 title labels[i], \
     (target == target ? target : 1/0) with lines lc rgb '#000000' dt 3 lw 1 \
         title sprintf('target (%.4g)', target)
if (hastest) {
	set title ''
	set ylabel metricname . ' on held-out data'
	plot for [i=1:ntest] testfile index (i - 1) using 1:2 with linespoints ls style(int(teststyles[i])) pi 3 \
	         title testlabels[i]
	unset multiplot
}
