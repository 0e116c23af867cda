# time_to_target.gp: the paper's main figure: time to reach the target objective, normalized
# to the BSP baseline of the same workload and topology (BSP = 1), grouped bars per setting.
# A run that did not reach the target has no bar and says so. Variables: datafile (block m-1 =
# model m: x position, normalized time or NaN, time s, 'not reached' or ' '), nmodels, ngroups,
# labels[], groups[].
w = 640
h = 420
load gpdir . '/common.gp'
set ylabel 'time to target, normalized to BSP'
set xrange [-0.8 : ngroups * (nmodels + 1) - 1.2]
set yrange [0 : *]
set offsets 0, 0, graph 0.12, 0
set boxwidth 0.85
set style fill pattern border -1
set key outside right top vertical samplen 2
set xtics scale 0
set xtics ()
do for [g=1:ngroups] {
	set xtics add (groups[g] (g - 1) * (nmodels + 1) + (nmodels - 1) / 2.0)
}
plot for [m=1:nmodels] datafile index (m - 1) using 1:2 with boxes ls style(m) \
         fs pattern pattern(m) border rgb '#000000' title labels[m], \
     for [m=1:nmodels] datafile index (m - 1) using 1:($2 == $2 ? $2 : 1/0):(sprintf('%.2f', $2)) \
         with labels offset 0, 0.7 font ',10', \
     for [m=1:nmodels] datafile index (m - 1) using 1:(0):4 \
         with labels rotate left offset 0, 0.4 font ',9', \
     1 with lines lc rgb '#000000' dt 2 lw 1 title 'BSP = 1'
