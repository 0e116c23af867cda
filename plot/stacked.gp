# stacked.gp: stacked bars, one bar per run, one segment per category (wan-by-kind: message
# kinds; cost: machine time and transfer). Variables: datafile (rows: bar index, then one value
# per category), ylabel, figtitle, nbars, ncats, cats[], xlabels[].
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
set key outside top center horizontal
set xtics scale 0
plot for [k=1:ncats] datafile using (column(k + 1)):xtic(xlabels[int(column(1)) + 1]) \
         lc ls style(k) fs pattern pattern(k) border rgb '#000000' title cats[k]
