# trace_replay.gp: a bandwidth trace replayed: the bandwidth of one directed link over time
# (top) above the run's progress (bottom) on the same simulated-time axis: the training
# objective for a training run, the link's measured throughput for a `gaiasim net` run.
# Variables: bwfile (time s, Mb/s, as steps), progfile (training: time s, objective; net:
# t0 s, Mb/s, t1 s; drawn as a segment per interval over the trace in gray), linkname, figtitle, training, xmax (s).
w = 640
h = 640
load gpdir . '/common.gp'
set multiplot layout 2, 1 title figtitle
set lmargin at screen 0.13
set rmargin at screen 0.95
set xrange [0 : xmax]
set key top right opaque box lc rgb '#bbbbbb'
# Headroom above the data for the key.
set offsets 0, 0, graph 0.22, 0
set ylabel 'bandwidth (Mb/s)'
set yrange [0 : *]
set format x ''
plot bwfile using 1:2 with steps ls 1 title 'trace, link ' . linkname
set format x '%g'
set xlabel 'simulated time (s)'
if (training) {
	set ylabel 'training objective (loss)'
	set yrange [* : *]
	plot progfile using 1:2 with linespoints ls 2 pi 3 title 'objective (mean over regions)'
} else {
	set ylabel 'throughput (Mb/s)'
	set yrange [0 : *]
	plot bwfile using 1:2 with steps lc rgb '#999999' lw 1 title 'trace bandwidth', \
	     progfile using 1:2:($3 - $1):(0) with vectors nohead ls 2 dt 1 lw 2.5 title 'carried on ' . linkname
}
unset multiplot
