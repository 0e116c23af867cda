#!/bin/sh
# `gaiasim plot` end to end. A small fixture database is made with the program itself (a
# compare of bsp, gaia and lan on tests/data/run/small.conf, a training run replaying a
# generated bandwidth trace, and a `gaiasim net` run over the same trace). Then: every figure
# is rendered in PNG and SVG (files non-empty, PNG pixel size read from the IHDR chunk equal to
# the size set in the script, as documented in docs/plots.md); each plot_* view agrees with an
# independent query on the base tables written here (or with an invariant such as "the bytes
# per message kind add up to summary.wan_bytes"); figures lacking data are named with the
# missing data while the others are still made; bad databases and a missing gnuplot are clear
# errors with exit 1. Skipped (77) only when gnuplot is not installed.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TESTDATA_DIR or
# srcdir locate tests/data). Prints PASS/FAIL per case and `TESTCASES: N passed, M failed`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
CONF=$DATA/run/small.conf
TOPDIR=${TOP_SRCDIR:-${srcdir:-.}}
pass=0
fail=0
skip=0

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "cli_plot.sh: gnuplot not installed (Debian: gnuplot-nox): skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
if [ ! -x "$GAIASIM" ] || [ ! -r "$CONF" ]; then
	echo "cli_plot.sh: need $GAIASIM and $CONF" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-plot.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }

# gs NAME ARGS...: run gaiasim, stdout/stderr/status to $TMP/NAME.{out,err,rc}
gs() {
	name=$1
	shift
	timeout 120 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }

# ---- the fixture database ----
DB=$TMP/fixture.db
gs cmp compare "$CONF" --sync bsp,gaia,lan --set stop.clocks=10 --db "$DB"
gs tgen trace gen -t vc --duration 60 --seed 3 --step 2 -o "$TMP/tr.csv"
gs trun run "$CONF" --set stop.clocks=10 --set trace="$TMP/tr.csv" --db "$DB"
printf 'id,start_s,src,dst,bytes\n1,0,virginia,california,20000000\n2,0.5,california,virginia,10000000\n' >"$TMP/x.csv"
gs net net -t vc -f "$TMP/x.csv" -T "$TMP/tr.csv" --bin 0.25 --db "$DB"
if [ "$(rc cmp)$(rc tgen)$(rc trun)$(rc net)" = 0000 ]; then
	ok "fixture: compare (runs 1-3), traced run (4), net run (5)"
else
	bad "fixture database" "$(cat "$TMP/cmp.err" "$TMP/tgen.err" "$TMP/trun.err" "$TMP/net.err")"
	echo "TESTCASES: $pass passed, $((fail + 1)) failed"
	exit 1
fi

# ---- every figure, PNG and SVG ----
# name width height: the files the fixture must give and their size in pixels (plot/*.gp).
FIGS="topology-bandwidth-vc 640 560
topology-rtt-vc 640 560
convergence-mf-vc 640 440
convergence-mf-vc-tr 640 440
time-to-target 640 420
wan-by-kind 640 420
wan-by-pair-run1-bsp 640 560
wan-by-pair-run2-gaia 640 560
wan-by-pair-run4-gaia 640 560
cost 640 420
filter 640 760
significance-distribution 640 420
trace-replay-run4-gaia 640 640
trace-replay-run5-net 640 640"

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk (bytes 16-23, big-endian), or nothing
# when the file does not start with the PNG signature.
png_size() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || return
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
	                                       $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

for fmt in png svg; do
	gs "all_$fmt" plot "$DB" --out "$TMP/$fmt" --format "$fmt"
	if [ "$(rc "all_$fmt")" = 0 ]; then
		ok "plot --format $fmt exits 0"
	else
		bad "plot --format $fmt exits 0" "$(cat "$TMP/all_$fmt.err")"
	fi
	nfiles=$(ls "$TMP/$fmt" 2>/dev/null | wc -l)
	nwant=$(echo "$FIGS" | wc -l)
	[ "$nfiles" -eq "$nwant" ] && ok "$fmt: $nwant files" || bad "$fmt: $nwant files" "$(ls "$TMP/$fmt")"
	echo "$FIGS" | while read -r name w h; do
		f=$TMP/$fmt/$name.$fmt
		if [ ! -s "$f" ]; then
			echo "FAIL: $fmt $name: missing or empty"
			continue
		fi
		if [ "$fmt" = png ]; then
			size=$(png_size "$f")
			[ "$size" = "$w $h" ] && echo "PASS: png $name is ${w}x$h" ||
				echo "FAIL: png $name is ${w}x$h    (got '$size')"
		else
			grep -q "<svg" "$f" && grep -q "width=\"$w\"" "$f" && grep -q "height=\"$h\"" "$f" &&
				echo "PASS: svg $name is an SVG of ${w}x$h" ||
				echo "FAIL: svg $name is an SVG of ${w}x$h"
		fi
	done >"$TMP/files_$fmt.log"
	cat "$TMP/files_$fmt.log"
	pass=$((pass + $(grep -c '^PASS' "$TMP/files_$fmt.log")))
	fail=$((fail + $(grep -c '^FAIL' "$TMP/files_$fmt.log")))
done

gs pdf plot "$DB" --out "$TMP/pdf" --format pdf --only cost
[ "$(rc pdf)" = 0 ] && [ "$(head -c 5 "$TMP/pdf/cost.pdf")" = "%PDF-" ] && [ "$(ls "$TMP/pdf" | wc -l)" = 1 ] &&
	ok "--format pdf --only cost writes one PDF" || bad "--format pdf --only cost writes one PDF" "$(cat "$TMP/pdf.err")"

# ---- plot --list: every figure and its view ----
gs list plot --list
good=1
for fig in topology convergence time-to-target wan-by-kind wan-by-pair cost filter trace-replay \
	significance-distribution sensitivity-threshold sensitivity-bandwidth sensitivity-slack \
	emulated-vs-simulated; do
	grep -q "^$fig  *available " "$TMP/list.out" || good=0
done
for view in $(sed -n 's/^CREATE VIEW IF NOT EXISTS \(plot_[a-z_]*\) AS.*/\1/p' "$TOPDIR/results/schema.sql"); do
	grep -q "$view" "$TMP/list.out" || good=0
done
[ "$(rc list)" = 0 ] && [ $good = 1 ] && ok "plot --list names every figure and view" ||
	bad "plot --list names every figure and view" "$(cat "$TMP/list.out")"

# ---- the views against independent queries on the base tables ----
if command -v sqlite3 >/dev/null 2>&1; then
	q() { sqlite3 -batch "$DB" "$1"; }
	# same LABEL SQL1 SQL2: the two queries give the same rows
	same() {
		a=$(q "$2")
		b=$(q "$3")
		if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$1"; else bad "$1" "view: $a | base: $b"; fi
	}
	same "plot_runs: one row per run, net run labelled by its kind" \
		"SELECT run_id, label FROM plot_runs ORDER BY run_id" \
		"SELECT run_id, CASE WHEN kind = 'net' THEN 'net' ELSE label END FROM runs ORDER BY run_id"
	# Mean, min and max over a clock's region rows, written with correlated subqueries.
	same "plot_convergence: mean, min, max over regions per clock" \
		"SELECT run_id, clock, printf('%.9f %.9f %.9f %.9f', sim_time_s, objective_mean, objective_min,
		        objective_max), n_regions FROM plot_convergence ORDER BY run_id, clock" \
		"SELECT DISTINCT c.run_id, c.clock, printf('%.9f %.9f %.9f %.9f',
		        (SELECT total(sim_time_s) / count(*) FROM clocks d WHERE d.run_id = c.run_id AND d.clock = c.clock),
		        (SELECT total(objective) / count(*) FROM clocks d WHERE d.run_id = c.run_id AND d.clock = c.clock),
		        (SELECT objective FROM clocks d WHERE d.run_id = c.run_id AND d.clock = c.clock ORDER BY objective LIMIT 1),
		        (SELECT objective FROM clocks d WHERE d.run_id = c.run_id AND d.clock = c.clock ORDER BY objective DESC LIMIT 1)),
		        (SELECT count(*) FROM clocks d WHERE d.run_id = c.run_id AND d.clock = c.clock)
		 FROM clocks c ORDER BY c.run_id, c.clock"
	same "plot_convergence: gaia has 2 regions (vc), bsp and lan one global model" \
		"SELECT label, max(n_regions) FROM plot_convergence WHERE run_id <= 3 GROUP BY label ORDER BY label" \
		"SELECT 'bsp', 1 UNION ALL SELECT 'gaia', 2 UNION ALL SELECT 'lan', 1"
	same "plot_time_to_target: divided by the bsp run of the same setting" \
		"SELECT run_id, printf('%.9f', normalized_time) FROM plot_time_to_target WHERE run_id <= 3 ORDER BY run_id" \
		"SELECT s.run_id, printf('%.9f', s.time_to_target_s / (SELECT time_to_target_s FROM summary WHERE run_id = 1))
		 FROM summary s WHERE s.run_id <= 3 ORDER BY s.run_id"
	same "plot_time_to_target: the baseline is exactly 1" \
		"SELECT normalized_time FROM plot_time_to_target WHERE run_id = 1" "SELECT 1.0"
	same "plot_wan_by_kind: the kinds add up to summary.wan_bytes" \
		"SELECT run_id, printf('%.3f', sum(sent_bytes)) FROM plot_wan_by_kind GROUP BY run_id ORDER BY run_id" \
		"SELECT run_id, printf('%.3f', wan_bytes) FROM summary WHERE wan_bytes > 0 ORDER BY run_id"
	same "plot_wan_by_kind: message counts per kind" \
		"SELECT run_id, kind, messages FROM plot_wan_by_kind ORDER BY run_id, kind" \
		"SELECT DISTINCT w.run_id, w.kind, (SELECT sum(messages) FROM wan_bytes v WHERE v.run_id = w.run_id AND
		        v.kind = w.kind) FROM wan_bytes w ORDER BY w.run_id, w.kind"
	same "plot_wan_by_pair: the pairs add up to summary.wan_bytes" \
		"SELECT run_id, printf('%.3f', sum(sent_bytes)) FROM plot_wan_by_pair GROUP BY run_id ORDER BY run_id" \
		"SELECT run_id, printf('%.3f', wan_bytes) FROM summary WHERE wan_bytes > 0 ORDER BY run_id"
	same "plot_cost: machine + transfer = total" \
		"SELECT run_id, printf('%.12f', cost_machine_usd + cost_transfer_usd) FROM plot_cost ORDER BY run_id" \
		"SELECT run_id, printf('%.12f', cost_total_usd) FROM summary ORDER BY run_id"
	same "plot_filter_share: updates sent over all clocks = summary.filter_sent" \
		"SELECT run_id, sum(updates_sent) FROM plot_filter_share GROUP BY run_id ORDER BY run_id" \
		"SELECT run_id, filter_sent FROM summary WHERE run_id IN (SELECT run_id FROM filter_updates) ORDER BY run_id"
	same "plot_significance: updates below 1% over all clocks = summary.sig_below_1pct" \
		"SELECT run_id, updates_below, updates FROM plot_significance WHERE level = 0.01 ORDER BY run_id" \
		"SELECT run_id, sig_below_1pct, sig_updates FROM summary WHERE run_id IN (SELECT run_id FROM significance) ORDER BY run_id"
	same "plot_significance: shares grow with the level (a cumulative distribution)" \
		"SELECT count(*) FROM plot_significance a JOIN plot_significance b USING (run_id)
		 WHERE a.level < b.level AND a.updates_below > b.updates_below" \
		"SELECT 0"
	same "plot_filter_share: share = sent / produced per clock" \
		"SELECT run_id, clock, printf('%.9f', share_sent) FROM plot_filter_share ORDER BY run_id, clock" \
		"SELECT DISTINCT f.run_id, f.clock, printf('%.9f',
		        (SELECT 1.0 * total(updates_sent) / total(updates_produced) FROM filter_updates g
		         WHERE g.run_id = f.run_id AND g.clock = f.clock)) FROM filter_updates f ORDER BY f.run_id, f.clock"
	# Rate x interval / 8 over a link = the bytes of the transfers over it (the net run).
	same "plot_link_rate: rate integrates to the transferred bytes" \
		"SELECT src_region, dst_region, printf('%.0f', sum(rate_bps * (t1_s - t0_s) / 8)) FROM plot_link_rate
		 WHERE run_id = 5 AND src_region <> dst_region GROUP BY 1, 2 ORDER BY 1, 2" \
		"SELECT src_region, dst_region, printf('%.0f', sum(size_bytes)) FROM transfers WHERE run_id = 5
		 GROUP BY 1, 2 ORDER BY 1, 2"
else
	skipped "views against base tables (no sqlite3 program)"
fi

# ---- missing data: the figures without rows are named, the others still made ----
gs net_only plot "$DB" --run 5 --out "$TMP/netonly"
if [ "$(rc net_only)" = 0 ] && grep -q "figure 'convergence' not made: no training runs with clocks rows" "$TMP/net_only.err" &&
	grep -q "figure 'time-to-target' not made: .*BSP" "$TMP/net_only.err" &&
	grep -q "figure 'cost' not made: no training runs (table summary is empty" "$TMP/net_only.err" &&
	grep -q "figure 'filter' not made: .*filter_updates" "$TMP/net_only.err" &&
	grep -q "figure 'significance-distribution' not made: .*table significance" "$TMP/net_only.err" &&
	[ -s "$TMP/netonly/trace-replay-run5-net.png" ] && [ -s "$TMP/netonly/topology-rtt-vc.png" ] &&
	[ ! -e "$TMP/netonly/cost.png" ]; then
	ok "a net run only: missing figures named with their data, topology and trace still drawn"
else
	bad "a net run only: missing figures named" "$(cat "$TMP/net_only.err"; ls "$TMP/netonly")"
fi
gs compare_only plot "$DB" --run 1 --run 2 --run 3 --out "$TMP/cmponly"
grep -q "figure 'trace-replay' not made: no selected run used a bandwidth trace" "$TMP/compare_only.err" &&
	[ "$(rc compare_only)" = 0 ] && ok "runs without a trace: trace-replay named as missing" ||
	bad "runs without a trace: trace-replay named as missing" "$(cat "$TMP/compare_only.err")"

# ---- the topology file changed since the run: said clearly ----
mkdir "$TMP/topo"
{ cat "$TOPDIR/topology/vc.topo"; echo "# edited after the run"; } >"$TMP/topo/vc.topo"
env GAIASIM_TOPODIR="$TMP/topo" "$GAIASIM" plot "$DB" --run 1 --only topology --out "$TMP/changed" \
	>"$TMP/changed.out" 2>"$TMP/changed.err"
echo $? >"$TMP/changed.rc"
[ "$(rc changed)" = 0 ] && grep -q "topology file .*vc.topo has SHA-256 .* but run 1 recorded .*changed since the run" "$TMP/changed.err" &&
	ok "a changed topology file is reported with both hashes" ||
	bad "a changed topology file is reported" "$(cat "$TMP/changed.err")"

# ---- errors ----
gs nodb plot "$TMP/no-such.db" --out "$TMP/x"
[ "$(rc nodb)" = 1 ] && grep -q "no-such.db: no such results database" "$TMP/nodb.err" &&
	ok "missing database: exit 1 naming it" || bad "missing database: exit 1" "rc=$(rc nodb) $(cat "$TMP/nodb.err")"
echo "not a database" >"$TMP/text.db"
gs textdb plot "$TMP/text.db" --out "$TMP/x"
[ "$(rc textdb)" = 1 ] && grep -q "text.db: not an SQLite database" "$TMP/textdb.err" &&
	ok "a text file: exit 1, not an SQLite database" || bad "a text file: exit 1" "rc=$(rc textdb) $(cat "$TMP/textdb.err")"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$TMP/other.db" "CREATE TABLE runs (x); CREATE TABLE t (y);"
	gs otherdb plot "$TMP/other.db" --out "$TMP/x"
	[ "$(rc otherdb)" = 1 ] && grep -q "other.db: not a gaiasim results database" "$TMP/otherdb.err" &&
		ok "another SQLite database: exit 1, not a gaiasim results database" ||
		bad "another SQLite database: exit 1" "rc=$(rc otherdb) $(cat "$TMP/otherdb.err")"
else
	skipped "another SQLite database (no sqlite3 program)"
fi
gs norun plot "$DB" --run 99 --out "$TMP/x"
[ "$(rc norun)" = 1 ] && grep -q "no run matches" "$TMP/norun.err" && ok "--run of an absent run: exit 1" ||
	bad "--run of an absent run: exit 1" "$(cat "$TMP/norun.err")"
gs badfmt plot "$DB" --format gif
[ "$(rc badfmt)" = 2 ] && grep -q "gif" "$TMP/badfmt.err" && ok "--format gif: usage error" ||
	bad "--format gif: usage error" "$(cat "$TMP/badfmt.err")"
env PATH=/nonexistent "$GAIASIM" plot "$DB" --out "$TMP/x" >"$TMP/nognuplot.out" 2>"$TMP/nognuplot.err"
echo $? >"$TMP/nognuplot.rc"
[ "$(rc nognuplot)" = 1 ] && grep -q "gnuplot not found.*gnuplot-nox" "$TMP/nognuplot.err" &&
	ok "gnuplot absent: exit 1 naming the Debian package" ||
	bad "gnuplot absent: exit 1 naming the Debian package" "$(cat "$TMP/nognuplot.err")"
[ ! -e "$TMP/x" ] && ok "failed commands write no output folder" || bad "failed commands write no output folder"

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
