#!/bin/sh
# `gaiasim plot`'s sensitivity figures end to end. A tiny sweep database is made with the
# program (compares on tests/data/run/small.conf, 10 clocks, labelled NAME/MODEL as
# `gaiasim reproduce` labels them): a significance-threshold sweep (gaia, lan; constant
# schedule; 0, 5% and 100%: at 100% only updates larger than the value itself cross the WAN),
# a second, smaller threshold sweep of another seed, a WAN bandwidth sweep (bsp, gaia, lan;
# x 1/16, 1, 4; with a held-out set), and slack sweeps (gaia.slack 1, 2; ssp:1, ssp:2 beside
# bsp, gaia and lan at slack 0). Then: each figure in PNG and SVG (PNG size from the IHDR
# chunk = the size plot/sensitivity.gp sets); the views plot_sweep_params and plot_sweep
# against independent sqlite3 queries and the --set values given here (the parameter parsed
# from config_text equals the value set; the setting is config_text without the swept, sync
# and sync_effective lines, recomputed with grep; time to target and final quality equal
# summary's); the not-reached marker and the held-out panel drawn exactly when the data has
# them; the note on the second sweep; the missing-data messages. Skipped (77) without gnuplot.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TESTDATA_DIR or
# srcdir locate tests/data). Prints PASS/FAIL per case and `TESTCASES: N passed, M failed`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
CONF=$DATA/run/small.conf
pass=0
fail=0
skip=0

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "cli_plot_sweep.sh: gnuplot not installed (Debian: gnuplot-nox): skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "cli_plot_sweep.sh: the sqlite3 program is needed for the independent queries: skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
if [ ! -x "$GAIASIM" ] || [ ! -r "$CONF" ]; then
	echo "cli_plot_sweep.sh: need $GAIASIM and $CONF" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-plot-sweep.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
# check LABEL CONDITION-STATUS [DETAIL]: PASS when the preceding command succeeded
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }

DB=$TMP/sweep.db
q() { sqlite3 -batch "$DB" "$1"; }
# same LABEL SQL1 SQL2: the two queries give the same, non-empty rows
same() {
	a=$(q "$2")
	b=$(q "$3")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "$1"; else bad "$1" "view: $a | base: $b"; fi
}

# cmp NAME SYNC SETS...: one compare labelled NAME (runs NAME/MODEL), 10 clocks
cmp() {
	name=$1
	sync=$2
	shift 2
	sets=""
	for s in "$@"; do sets="$sets --set $s"; done
	# shellcheck disable=SC2086
	timeout 120 "$GAIASIM" compare "$CONF" --sync "$sync" --label "$name" --set stop.clocks=10 $sets \
		--db "$DB" >"$TMP/$name.out" 2>"$TMP/$name.err" || { echo "compare $name failed:"; cat "$TMP/$name.err"; return 1; }
}

# ---- the sweep database ----
THRESHOLDS="0 0.05 1"
BWS="0.0625 1 4"
built=0
for t in $THRESHOLDS; do
	cmp "threshold-$t" gaia,lan gaia.schedule=constant gaia.threshold=$t || built=1
done
for t in 0.02 0.05; do
	cmp "thrseed-$t" gaia,lan gaia.schedule=constant gaia.threshold=$t seed=8 || built=1
done
for b in $BWS; do
	cmp "bw-$b" bsp,gaia,lan net.bw_scale=$b mf.test_fraction=0.1 || built=1
done
for s in 1 2; do
	cmp "slack-gaia-$s" gaia,lan gaia.slack=$s || built=1
done
cmp slack-ssp bsp,ssp:1,ssp:2,gaia,lan || built=1
if [ $built = 0 ]; then
	ok "sweep database: $(q 'SELECT count(*) FROM runs') runs from 11 compares"
else
	bad "sweep database"
	echo "TESTCASES: $pass passed, $fail failed"
	exit 1
fi

# ---- the parameters parsed from config_text equal the values set ----
good=0
for t in $THRESHOLDS; do
	n=$(q "SELECT count(*) FROM plot_sweep_params WHERE label LIKE 'threshold-$t/%' AND threshold = $t")
	[ "$n" = 2 ] || good=1
done
check "plot_sweep_params.threshold = the --set gaia.threshold of each compare (gaia and lan)" $good
good=0
for b in $BWS; do
	n=$(q "SELECT count(*) FROM plot_sweep_params WHERE label LIKE 'bw-$b/%' AND bw_scale = $b")
	[ "$n" = 3 ] || good=1
done
check "plot_sweep_params.bw_scale = the --set net.bw_scale of each compare (bsp, gaia, lan)" $good
same "plot_sweep_params.bw_scale is 1 where net.bw_scale was not set (no line in config_text)" \
	"SELECT count(*) FROM plot_sweep_params WHERE bw_scale = 1 AND label NOT LIKE 'bw-%'" \
	"SELECT count(*) FROM runs WHERE instr(config_text, 'net.bw_scale') = 0"
same "plot_sweep_params.gaia_slack = the --set gaia.slack (0, the default, elsewhere)" \
	"SELECT label, gaia_slack FROM plot_sweep_params WHERE label LIKE 'slack-%' ORDER BY run_id" \
	"SELECT label, CASE WHEN label LIKE 'slack-gaia-1/%' THEN 1 WHEN label LIKE 'slack-gaia-2/%' THEN 2
	        ELSE 0 END FROM runs WHERE label LIKE 'slack-%' ORDER BY run_id"
same "plot_sweep_params.ssp_slack = S of ssp:S (the label's model), NULL for other models" \
	"SELECT label, ssp_slack FROM plot_sweep_params WHERE ssp_slack IS NOT NULL ORDER BY run_id" \
	"SELECT 'slack-ssp/ssp:1', 1 UNION ALL SELECT 'slack-ssp/ssp:2', 2"
same "plot_sweep_params.schedule = the --set gaia.schedule, else small.conf's default (lr)" \
	"SELECT DISTINCT CASE WHEN label LIKE 'thr%' THEN 'c' ELSE 'o' END, schedule FROM plot_sweep_params ORDER BY 1" \
	"SELECT 'c', 'constant' UNION ALL SELECT 'o', 'lr'"

# ---- settings: config_text without the swept, sync and sync_effective lines ----
# setting_of RUN KEY: recomputed with grep from config_text (blank lines dropped on both sides)
setting_of() {
	q "SELECT config_text FROM runs WHERE run_id = $1" | grep -v -e "^$2 = " -e '^sync = ' -e '^sync_effective = ' |
		grep -v '^$'
}
view_setting() {
	q "SELECT setting_$2 FROM plot_sweep_params WHERE run_id = $1" | grep -v '^$'
}
good=0
for run in 1 7 12 15 20 25 28; do
	[ "$(setting_of $run gaia.threshold)" = "$(view_setting $run threshold)" ] || good=1
	[ "$(setting_of $run net.bw_scale)" = "$(view_setting $run bandwidth)" ] || good=1
	[ "$(setting_of $run gaia.slack)" = "$(view_setting $run slack)" ] || good=1
done
check "setting_KEY = config_text without the KEY, sync and sync_effective lines (grep)" $good
same "one threshold setting per seed: the two sweeps differ (seed), each sweep's runs share one" \
	"SELECT substr(label, 1, 3), count(DISTINCT setting_threshold) FROM plot_sweep_params
	 WHERE label LIKE 'thr%' GROUP BY 1 ORDER BY 1" \
	"SELECT 'thr', 2"
same "the bandwidth sweep's runs (all models) share one setting, the slack sweeps' runs another" \
	"SELECT count(DISTINCT setting_bandwidth) FROM plot_sweep_params WHERE label LIKE 'bw-%' UNION ALL
	 SELECT count(DISTINCT setting_slack) FROM plot_sweep_params WHERE label LIKE 'slack-%'" \
	"SELECT 1 UNION ALL SELECT 1"

# ---- plot_sweep: membership, x, and the numbers from summary ----
same "plot_sweep threshold: gaia (swept) and lan rows, x = gaia.threshold" \
	"SELECT run_id, series, swept, x FROM plot_sweep WHERE sweep = 'threshold' ORDER BY run_id" \
	"SELECT run_id, sync_model, sync_model = 'gaia', CAST(substr(config_text,
	        instr(config_text, 'gaia.threshold = ') + 17, 12) AS REAL)
	 FROM runs JOIN summary USING (run_id) WHERE sync_model IN ('gaia', 'lan') ORDER BY run_id"
same "plot_sweep bandwidth: bsp, gaia and lan rows of every run" \
	"SELECT count(*) FROM plot_sweep WHERE sweep = 'bandwidth'" \
	"SELECT count(*) FROM summary WHERE sync_model IN ('bsp', 'gaia', 'lan')"
same "plot_sweep slack: ssp:S rows as series ssp with x = S" \
	"SELECT series, printf('%g', x), swept FROM plot_sweep WHERE sweep = 'slack' AND label LIKE '%ssp:%' ORDER BY x" \
	"SELECT 'ssp', '1', 1 UNION ALL SELECT 'ssp', '2', 1"
same "plot_sweep: time to target, target and final quality are summary's" \
	"SELECT count(*) FROM plot_sweep p JOIN summary s USING (run_id) WHERE p.time_to_target_s IS s.time_to_target_s
	 AND p.final_objective = s.final_objective AND p.final_test_metric IS s.final_test_metric
	 AND p.target_objective IS s.target_objective" \
	"SELECT count(*) FROM plot_sweep"
same "the threshold sweep of seed 7 has 3 values of gaia.threshold, the one of seed 8 two" \
	"SELECT count(DISTINCT x) FROM plot_sweep WHERE sweep = 'threshold' AND swept GROUP BY setting
	 HAVING count(DISTINCT x) >= 2 ORDER BY 1" \
	"SELECT 2 UNION ALL SELECT 3"

# ---- the figures, PNG and SVG ----
png_size() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || return
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
	                                       $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
# The bandwidth sweep has a held-out metric (mf.test_fraction): a third panel.
FIGS="sensitivity-threshold-mf-vc 640 760
sensitivity-bandwidth-mf-vc 640 1040
sensitivity-slack-mf-vc 640 760"
for fmt in png svg; do
	for fig in threshold bandwidth slack; do
		timeout 120 "$GAIASIM" plot "$DB" --out "$TMP/$fmt" --format $fmt --only "sensitivity-$fig" \
			>"$TMP/$fmt-$fig.out" 2>"$TMP/$fmt-$fig.err"
		check "plot --only sensitivity-$fig --format $fmt exits 0" $? "$(cat "$TMP/$fmt-$fig.err")"
	done
	[ "$(ls "$TMP/$fmt" | wc -l)" = 3 ] && ok "$fmt: 3 files" || bad "$fmt: 3 files" "$(ls "$TMP/$fmt")"
	echo "$FIGS" | while read -r name w h; do
		f=$TMP/$fmt/$name.$fmt
		if [ "$fmt" = png ]; then
			[ "$(png_size "$f")" = "$w $h" ] && echo "PASS: png $name is ${w}x$h" ||
				echo "FAIL: png $name is ${w}x$h    (got '$(png_size "$f")')"
		else
			grep -q "<svg" "$f" && grep -q "width=\"$w\"" "$f" && grep -q "height=\"$h\"" "$f" &&
				echo "PASS: svg $name is an SVG of ${w}x$h" || echo "FAIL: svg $name is an SVG of ${w}x$h"
		fi
	done >"$TMP/files_$fmt.log"
	cat "$TMP/files_$fmt.log"
	pass=$((pass + $(grep -c '^PASS' "$TMP/files_$fmt.log")))
	fail=$((fail + $(grep -c '^FAIL' "$TMP/files_$fmt.log")))
done

# ---- not-reached marker, held-out panel, axis labels: drawn exactly when the data has them ----
SVG=$TMP/svg
# not_reached SWEEP: runs of the drawn (seed 7) sweep that did not reach their target
not_reached() {
	q "SELECT count(*) FROM plot_sweep WHERE sweep = '$1' AND time_to_target_s IS NULL AND
	   setting = (SELECT setting FROM plot_sweep WHERE sweep = '$1' AND swept AND label NOT LIKE 'thrseed%'
	              GROUP BY setting ORDER BY count(DISTINCT x) DESC LIMIT 1)"
}
good=0
for fig in threshold bandwidth slack; do
	n=$(not_reached $fig)
	if [ "$n" -gt 0 ]; then
		grep -q "not reached (at the top)" "$SVG/sensitivity-$fig-mf-vc.svg" || good=1
	else
		grep -q "not reached" "$SVG/sensitivity-$fig-mf-vc.svg" && good=1
	fi
	echo "    $fig: $n run(s) not reached"
done
check "the not-reached marker is in the key exactly when a run of the sweep did not reach" $good
[ "$(not_reached threshold)" -gt 0 ]
check "the fixture has a not-reached run (gaia at threshold 100%)" $?
good=0
grep -q "final test_rmse (held-out)" "$SVG/sensitivity-bandwidth-mf-vc.svg" || good=1
grep -q "held-out" "$SVG/sensitivity-threshold-mf-vc.svg" && good=1
[ "$(q "SELECT count(*) FROM summary WHERE test_metric_name = 'test_rmse' AND run_id IN
        (SELECT run_id FROM runs WHERE label LIKE 'bw-%')")" = 9 ] || good=1
check "the held-out panel only where the runs have a held-out metric (bandwidth: test_rmse)" $good
good=0
for fig in threshold bandwidth slack; do
	grep -q "time to target (s, simulated)" "$SVG/sensitivity-$fig-mf-vc.svg" || good=1
	grep -q "final objective (loss)" "$SVG/sensitivity-$fig-mf-vc.svg" || good=1
done
grep -q "significance threshold (% of the parameter" "$SVG/sensitivity-threshold-mf-vc.svg" || good=1
grep -q "WAN bandwidth (x the topology" "$SVG/sensitivity-bandwidth-mf-vc.svg" || good=1
grep -q ">1/16<" "$SVG/sensitivity-bandwidth-mf-vc.svg" || good=1
grep -q "slack (clocks)" "$SVG/sensitivity-slack-mf-vc.svg" || good=1
check "axes named with units; the bandwidth axis labelled 1/16 .. 4" $good

# ---- the other threshold sweep (seed 8): said, not drawn ----
grep -q "note: figure 'sensitivity-threshold': 1 more sweep(s) of the significance threshold" "$TMP/png-threshold.err"
check "a second threshold sweep of the same workload and topology is named in a note" $? "$(cat "$TMP/png-threshold.err")"

# ---- missing data: no sweep among the selected runs ----
runs=$(q "SELECT group_concat('--run ' || run_id, ' ') FROM runs WHERE label LIKE 'bw-1/%'")
# shellcheck disable=SC2086
timeout 120 "$GAIASIM" plot "$DB" $runs --out "$TMP/nosweep" >"$TMP/nosweep.out" 2>"$TMP/nosweep.err"
rc=$?
good=0
[ $rc = 0 ] || good=1
for fig in threshold bandwidth slack; do
	grep -q "figure 'sensitivity-$fig' not made: no sweep of the .* (view plot_sweep, plot_sweep_params)" \
		"$TMP/nosweep.err" || good=1
	[ ! -e "$TMP/nosweep/sensitivity-$fig-mf-vc.png" ] || good=1
done
[ -s "$TMP/nosweep/cost.png" ] || good=1
check "one compare only: each sensitivity figure named as missing its sweep, the others made" $good \
	"rc=$rc $(cat "$TMP/nosweep.err")"

# One value in each swept series (gaia at slack 0, ssp:1) is no sweep, however many x in all.
runs=$(q "SELECT group_concat('--run ' || run_id, ' ') FROM runs WHERE label IN ('slack-ssp/gaia', 'slack-ssp/ssp:1')")
# shellcheck disable=SC2086
timeout 120 "$GAIASIM" plot "$DB" $runs --only sensitivity-slack --out "$TMP/oneeach" >"$TMP/oneeach.out" 2>"$TMP/oneeach.err"
rc=$?
[ $rc = 1 ] && grep -q "figure 'sensitivity-slack' not made: no sweep" "$TMP/oneeach.err" && [ ! -e "$TMP/oneeach/sensitivity-slack-mf-vc.png" ]
check "gaia at one slack and ssp at another: no slack sweep (two values needed in one series)" $? \
	"rc=$rc $(cat "$TMP/oneeach.err")"

# ---- plot --list ----
"$GAIASIM" plot --list >"$TMP/list.out"
good=$?
for fig in threshold bandwidth slack; do
	grep -q "^sensitivity-$fig  *available  *plot_sweep, plot_sweep_params " "$TMP/list.out" || good=1
done
check "plot --list: the three sensitivity figures available, with their views" $good "$(cat "$TMP/list.out")"

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
