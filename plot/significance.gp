# significance.gp: the paper's significance statistic as a distribution: for each level (a
# percentage of the parameter's value, log scale), the share of single-clock parameter updates
# that changed their parameter by less than it; one line per run (sync model). The paper: >95%
# below 1%, >60% below 0.05%. Variables: datafile (block i-1 = run i: level in %, share),
# nseries, labels[].
w = 640
h = 420
load gpdir . '/common.gp'
set title 'Significance of single-clock updates'
set xlabel '|update / value| below (percent of the value, log scale)'
set ylabel 'share of updates (fraction)'
set logscale x
set xrange [0.007 : 14]
set xtics ('0.01' 0.01, '0.05' 0.05, '0.1' 0.1, '0.5' 0.5, '1' 1, '5' 5, '10' 10)
set yrange [0 : 1.05]
set key top left opaque box lc rgb '#bbbbbb'
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#888888'
plot for [i=1:nseries] datafile index (i - 1) using 1:2 with linespoints ls style(i) \
         title labels[i]
