# heatmap.gp: a matrix over regions (source rows, destination columns) as a gray heat map with
# the value printed in each cell; the diagonal (a region to itself) is left blank. Used by the
# topology figures (bandwidth, RTT) and wan-by-pair. Variables: datafile (rows: column index,
# row index, value or NaN), figtitle, cblabel, regiontics ("(\"a\" 0, ...)"), nregions, cbmax,
# cellfmt (printf format of the printed values).
w = 640
h = 560
load gpdir . '/common.gp'
set title figtitle
set xlabel 'destination region (diagonal: same region, not shown)'
set ylabel 'source region'
eval 'set xtics ' . regiontics . ' rotate by 40 right'
eval 'set ytics ' . regiontics
set xrange [-0.5 : nregions - 0.5]
set yrange [nregions - 0.5 : -0.5]
set size ratio -1
set border 15
unset grid
set tics scale 0
set cbrange [0 : cbmax]
set cblabel cblabel offset 1.5, 0
set cbtics out
set style fill solid 1.0 noborder
# Light to dark gray: monotone in lightness, so it prints the same in gray.
set palette defined (0 '#f7f7f7', 1 '#404040')
cellfont = nregions > 8 ? ',8' : ',11'
dark(v) = v > 0.55 * cbmax
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder fc palette, \
     '' using 1:2:(($3 == $3 && !dark($3)) ? sprintf(cellfmt, $3) : '') with labels font cellfont tc rgb '#000000', \
     '' using 1:2:(($3 == $3 && dark($3)) ? sprintf(cellfmt, $3) : '') with labels font cellfont tc rgb '#ffffff'
