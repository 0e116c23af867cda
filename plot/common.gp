# common.gp: what every figure of `gaiasim plot` shares: the terminal (format, size, font),
# the data format and the series styles. The figure's script sets w and h (size in pixels;
# PDF: w/96 by h/96 inches, the same proportions at 96 dpi) before loading this file; the
# program's variables file sets fmt ('png', 'pdf' or 'svg') and outfile.
#
# Font: Times (on Debian the URW clone Nimbus Roman, fonts-urw-base35), the font of most paper
# templates. Series differ by dash type and point type as well as by colour (the Okabe-Ito
# colour-blind-safe palette, whose colours also differ in lightness), so they stay apart in a
# grayscale print.
if (fmt eq 'png') {
	set terminal pngcairo size w, h font 'Times,12' noenhanced linewidth 1.2
} else {
	if (fmt eq 'pdf') {
		set terminal pdfcairo size (w / 96.0), (h / 96.0) font 'Times,9' noenhanced linewidth 1
	} else {
		set terminal svg size w, h font 'Times,12' noenhanced linewidth 1.2
	}
}
set output outfile
set datafile separator "\t"
set datafile missing 'NaN'
set border 3
set tics nomirror out
set grid ytics lc rgb '#d9d9d9' lw 0.5 dt 1
set key noautotitle spacing 1.1

# Series styles 1..8 (then repeating): colour, dash type, point type.
set style line 1 lc rgb '#000000' dt 1 pt 7 ps 0.8 lw 1.5
set style line 2 lc rgb '#0072B2' dt 2 pt 5 ps 0.8 lw 1.5
set style line 3 lc rgb '#D55E00' dt 4 pt 9 ps 0.9 lw 1.5
set style line 4 lc rgb '#009E73' dt 3 pt 13 ps 0.9 lw 1.5
set style line 5 lc rgb '#CC79A7' dt 5 pt 6 ps 0.8 lw 1.5
set style line 6 lc rgb '#E69F00' dt (8, 4, 2, 4, 2, 4) pt 4 ps 0.8 lw 1.5
set style line 7 lc rgb '#56B4E9' dt (2, 2) pt 8 ps 0.8 lw 1.5
set style line 8 lc rgb '#666666' dt (12, 6) pt 12 ps 0.8 lw 1.5
style(i) = (i - 1) % 8 + 1
# Fill patterns for bars, 1-based: outline only, diagonal hatching, solid, cross-hatching, ...
array fillpat[8] = [0, 4, 3, 1, 5, 6, 7, 2]
pattern(i) = fillpat[(i - 1) % 8 + 1]
