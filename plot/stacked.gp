# stacked.gp: stacked bars, one bar per run, one segment per category (wan-by-kind: message
# kinds; cost: machine time and transfer), the total printed above each bar. Variables:
# datafile (rows: bar index, one value per category, the total), ylabel, figtitle, nbars, ncats, cats[], xlabels[].
w = 640
h = 420
load gpdir . '/common.gp'
set title figtitle
set ylabel ylabel
set style data histograms
set style histogram rowstacked
set style fill pattern border -1
set boxwidth 0.6
set yrange [0 : *]
set offsets 0, 0, graph 0.05, 0
set key outside right top vertical samplen 2
set bmargin 4
set xtics scale 0
plot for [k=1:ncats] datafile using (column(k + 1)):xtic(xlabels[int(column(1)) + 1]) \
         ls style(k) fs pattern pattern(k) border rgb '#000000' title cats[k], \
     datafile using 0:(column(ncats + 2)):(sprintf('%.4g', column(ncats + 2))) with labels \
         offset 0, 0.7 font ',10'
