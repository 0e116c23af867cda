# trace_replay.gp: a bandwidth trace replayed: the bandwidth of one directed link over time
# (top) above the run's progress (bottom) on the same simulated-time axis: the training
# objective for a training run, the link's measured throughput for a `gaiasim net` run.
# Variables: bwfile (time s, Mb/s, as steps), progfile (training: time s, objective; net:
# t0 s, Mb/s, t1 s), linkname, figtitle, training, xmax (s).
w = 640
h = 640
load gpdir . '/common.gp'
set multiplot layout 2, 1 title figtitle
set lmargin at screen 0.13
set rmargin at screen 0.95
set xrange [0 : xmax]
set key top right opaque box lc rgb '#bbbbbb'
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
	plot progfile using 1:2:3:2 with vectors nohead ls 2 title 'carried on ' . linkname
}
unset multiplot
