# emu_vs_sim.gp: an emulated run beside the simulated run of the same configuration
# (emulated-vs-simulated, view plot_emu_pairs). Left: the training objective against time
# (simulated seconds, emulated seconds), the mean over the regions' models (the per-region
# spread is in the convergence figure). Right: WAN traffic per directed region pair (in
# `unitname`: MB, or kB when every pair sent less than 1 MB), simulated and emulated bars side by side
# with the relative difference above each pair; with more than 12 pairs (scatter = 1) a
# scatter of emulated against simulated MB with the line y = x. The relative differences are in
# the panel titles. Variables: convfile (block 0 simulated, block 1 emulated: time s, mean,
# min, max), bytesfile (rows: index, 'src->dst', simulated bytes, emulated bytes (NaN: none),
# difference label),
# figtitle, convtitle, bytestitle, simlabel, emulabel, objlabel, npairs, scatter, unit (bytes
# per unit), unitname.
w = 1040
h = 460
load gpdir . '/common.gp'
set multiplot layout 1, 2 title figtitle
# --- convergence --- (the bottom margin of both panels fits the bar panel's key)
set bmargin 5
set title convtitle
set xlabel 'time (s): simulated, or emulated'
set ylabel objlabel
set key top right opaque box lc rgb '#bbbbbb'
# Both lines at every clock: the simulated one solid with open circles, the emulated one dashed
# with small filled squares, so that both stay visible where they coincide.
plot convfile index 0 using 1:2 with linespoints lc rgb '#000000' dt 1 lw 1.5 pt 6 ps 1.2 title simlabel, \
     convfile index 1 using 1:2 with linespoints ls 2 pt 5 ps 0.55 title emulabel
# --- WAN bytes per directed pair ---
set title bytestitle
set ylabel 'WAN traffic (' . unitname . ')'
if (scatter) {
	set xlabel 'simulated (' . unitname . ')'
	set ylabel 'emulated (' . unitname . ')'
	set key top left opaque box lc rgb '#bbbbbb'
	set xrange [0 : *]
	set yrange [0 : *]
	set size ratio -1
	plot bytesfile using ($3 / unit):($4 / unit) with points ls 2 title 'one directed pair', \
	     x with lines lc rgb '#000000' dt 3 lw 1 title 'y = x'
} else {
	unset xlabel
	set xrange [-0.6 : npairs - 0.4]
	set yrange [0 : *]
	set offsets 0, 0, graph 0.15, 0
	set boxwidth 0.35
	set style fill pattern border -1
	set xtics scale 0
	# the key under the pair names, in the bottom margin (never over a bar or a label)
	set key at graph 0.5, screen 0.01 center bottom horizontal samplen 2
	plot bytesfile using ($1 - 0.18):($3 / unit):xtic(2) with boxes ls 1 fs pattern pattern(1) \
	         border rgb '#000000' title simlabel, \
	     bytesfile using ($1 + 0.18):($4 / unit) with boxes ls 2 fs pattern pattern(2) \
	         border rgb '#000000' title emulabel, \
	     bytesfile using 1:(($3 > $4 || $4 != $4 ? $3 : $4) / unit):5 with labels offset 0, 0.8 font ',10'
}
unset multiplot
