#!/bin/sh
# `gaiasim summary DB`: the paper-style table. A fixture database is built here from compares of
# bsp, gaia and lan on the small LDA and image-classification problems (separate files merged
# with `gaiasim merge`), plus a setting with no lan run and an unreachable target. Every cell
# of the CSV is checked against independent sqlite3 queries of the summary and runs tables
# (not the view the command reads): the latest run of each model per setting, its time to
# target, held-out metric and WAN bytes, the ratios computed here; a missing run prints '-',
# a target not reached 'n/r'. The table and md formats carry the metric's name in the header;
# bad input fails with a message naming the file.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim). Needs the
# sqlite3 program (skipped, exit 77, without it). Prints `TESTCASES: N passed, M failed`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
pass=0
fail=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$DATA/lda/small.conf" ] || [ ! -r "$DATA/ic/run.conf" ]; then
	echo "cli_summary.sh: need $GAIASIM and $DATA/{lda/small.conf,ic/run.conf}" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "cli_summary.sh: no sqlite3 program"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-summary.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
field() { sed -n "s/^$2  *//p" "$1" | head -1; }
run_gs() {
	name=$1
	shift
	timeout 300 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
q() { sqlite3 -batch -noheader "$DB" "$1"; }

# ---- the fixture ----
# LDA: target 70% of the initial objective (as tests/cli_lda.sh); IC: cross-entropy 0.5,
# about a third of the initial ln 4 = 1.39 for 4 classes. Then IC again, bsp and gaia only, 3
# clocks, target 0.001: a setting without lan whose target no run reaches.
run_gs init run "$DATA/lda/small.conf" --set stop.clocks=1
init=$(field "$TMP/init.out" initial_objective)
lt=$(awk -v x="$init" 'BEGIN { printf "%.6f", 0.7 * x }')
run_gs c1 compare "$DATA/lda/small.conf" --sync bsp,gaia,lan --set stop.clocks=30 \
	--set stop.target="$lt" --db "$TMP/a.db"
run_gs c2 compare "$DATA/ic/run.conf" --sync bsp,gaia,lan --set stop.clocks=20 \
	--set stop.target=0.5 --db "$TMP/b.db"
run_gs c3 compare "$DATA/ic/run.conf" --sync bsp,gaia --set stop.clocks=3 \
	--set stop.target=0.001 --db "$TMP/b.db"
run_gs merge merge "$TMP/all.db" "$TMP/a.db" "$TMP/b.db"
DB=$TMP/all.db
if [ "$(rc c1)" = 0 ] && [ "$(rc c2)" = 0 ] && [ "$(rc c3)" = 0 ] && [ "$(rc merge)" = 0 ] &&
	[ "$(q 'select count(*) from summary')" = 8 ]; then
	ok "fixture: 8 training runs of 3 settings in a merged database"
else
	bad "fixture" "$(cat "$TMP/c1.err" "$TMP/c2.err" "$TMP/c3.err" "$TMP/merge.err")"
fi

# ---- CSV against independent queries ----
run_gs csv summary "$DB" --format csv
H='workload,topology,trace,target_objective,test_metric_name,bsp_time_to_target_s,gaia_time_to_target_s,lan_time_to_target_s,gaia_speedup_vs_bsp,gaia_ratio_to_lan,bsp_test_metric,gaia_test_metric,lan_test_metric,bsp_wan_bytes,gaia_wan_bytes,lan_wan_bytes'
if [ "$(rc csv)" = 0 ] && [ "$(head -1 "$TMP/csv.out")" = "$H" ]; then
	ok "summary --format csv prints the header with units"
else
	bad "summary --format csv prints the header" "rc $(rc csv): $(head -1 "$TMP/csv.out") $(cat "$TMP/csv.err")"
fi
nset=$(q "select count(*) from (select distinct s.workload, r.topology_name, r.trace_name,
	s.target_objective from summary s join runs r using (run_id))")
if [ "$(($(wc -l <"$TMP/csv.out") - 1))" = "$nset" ] && [ "$nset" = 3 ]; then
	ok "one row per setting ($nset)"
else
	bad "one row per setting ($nset)" "$(cat "$TMP/csv.out")"
fi

# value of column COL of model M's latest run in a setting, '-' without a run, 'NULL' for NULL
want() { # workload target model column
	v=$(q "select coalesce(cast(s.$4 as text), 'NULL') from summary s join runs r using (run_id)
		where s.workload = '$1' and abs(s.target_objective - $2) <= 1e-9 * abs($2)
		and s.sync_model = '$3' order by s.run_id desc limit 1")
	echo "${v:--}"
}
# 1 if text a (the command's) matches b (the query's): both '-', a 'n/r' for a NULL time,
# 'n/a' for a NULL metric, or numbers within a relative 1e-8 (the CSV prints 9 digits).
same() {
	awk -v a="$1" -v b="$2" -v null="$3" 'BEGIN {
		if (b == "-" || a == "-") exit !(a == b)
		if (b == "NULL") exit !(a == null)
		d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
		exit !(d <= 1e-8 * m + 1e-12) }'
}
cells=0
mismatch=""
tail -n +2 "$TMP/csv.out" >"$TMP/rows"
while IFS=, read -r wl topo trace tgt tmname tb tg tl sp ra qb qg ql wb wg wlan; do
	for m in bsp gaia lan; do
		case $m in bsp) t=$tb qq=$qb w=$wb ;; gaia) t=$tg qq=$qg w=$wg ;; lan) t=$tl qq=$ql w=$wlan ;; esac
		for pair in "time_to_target_s:$t:n/r" "final_test_metric:$qq:n/a" "wan_bytes:$w:n/a"; do
			col=${pair%%:*}
			rest=${pair#*:}
			got=${rest%%:*}
			null=${rest#*:}
			exp=$(want "$wl" "$tgt" "$m" "$col")
			cells=$((cells + 1))
			same "$got" "$exp" "$null" || mismatch="$mismatch $wl/$tgt/$m/$col: $got vs $exp;"
		done
	done
	# ratios from the queried times
	eb=$(want "$wl" "$tgt" bsp time_to_target_s)
	eg=$(want "$wl" "$tgt" gaia time_to_target_s)
	el=$(want "$wl" "$tgt" lan time_to_target_s)
	for pair in "$sp:$eb:$eg" "$ra:$eg:$el"; do
		got=${pair%%:*}
		rest=${pair#*:}
		num=${rest%%:*}
		den=${rest#*:}
		cells=$((cells + 1))
		if [ "$num" = - ] || [ "$den" = - ]; then
			exp=-
		elif [ "$num" = NULL ] || [ "$den" = NULL ]; then
			exp=n/r
		else
			exp=$(awk -v a="$num" -v b="$den" 'BEGIN { if (b == 0) print "n/a"; else printf "%.12g", a / b }')
		fi
		case $exp in
		- | n/r | n/a) [ "$got" = "$exp" ] || mismatch="$mismatch $wl/$tgt ratio: $got vs $exp;" ;;
		*) same "$got" "$exp" x || mismatch="$mismatch $wl/$tgt ratio: $got vs $exp;" ;;
		esac
	done
	tm=$(q "select coalesce(test_metric_name, '-') from summary where workload = '$wl' limit 1")
	cells=$((cells + 1))
	[ "$tmname" = "$tm" ] || mismatch="$mismatch $wl metric name: $tmname vs $tm;"
done <"$TMP/rows"
if [ -z "$mismatch" ] && [ "$cells" -ge 36 ]; then
	ok "every cell agrees with sqlite3 ($cells cells)"
else
	bad "every cell agrees with sqlite3 ($cells cells)" "$mismatch"
fi

# The hand-known cells: the ic setting without lan shows '-', the unreachable target 'n/r'.
row=$(grep '^ic,vc,-,0.001,' "$TMP/csv.out")
if [ -n "$row" ] && echo "$row" | awk -F, '{ exit !($6 == "n/r" && $7 == "n/r" && $8 == "-" &&
	$9 == "n/r" && $10 == "-" && $13 == "-" && $16 == "-" && $11 != "-" && $14 > 0) }'; then
	ok "a missing lan run prints '-', an unreached target 'n/r'"
else
	bad "a missing lan run prints '-', an unreached target 'n/r'" "$row"
fi
# lan keeps every worker in one region: no WAN bytes, and it is the fastest of the three.
if awk -F, 'NR > 1 && $8 != "-" { if ($16 != 0 || $10 + 0 < 1) bad = 1; n++ }
	END { exit !(n == 2 && !bad) }' "$TMP/csv.out"; then
	ok "lan sends no WAN bytes and gaia is no faster than lan"
else
	bad "lan sends no WAN bytes and gaia is no faster than lan" "$(cat "$TMP/csv.out")"
fi

# ---- table and md: the metric's name in the headers, the same numbers ----
run_gs table summary "$DB"
run_gs md summary "$DB" --format md
if [ "$(rc table)" = 0 ] && grep -q '^== lda (held-out metric: perplexity)' "$TMP/table.out" &&
	grep -q 'bsp_perplexity  *gaia_perplexity  *lan_perplexity' "$TMP/table.out" &&
	grep -q 'bsp_test_accuracy  *gaia_test_accuracy' "$TMP/table.out" &&
	[ "$(grep -c '^lda  *vc ' "$TMP/table.out")" = 1 ] && [ "$(grep -c '^ic  *vc ' "$TMP/table.out")" = 2 ]; then
	ok "table: one block per workload, the held-out metric named in the header"
else
	bad "table: one block per workload" "$(cat "$TMP/table.out" "$TMP/table.err")"
fi
if [ "$(rc md)" = 0 ] && grep -q '^| workload | topology | trace | target_objective | bsp_time_to_target_s |' "$TMP/md.out" &&
	grep -q '| bsp_perplexity | gaia_perplexity | lan_perplexity |' "$TMP/md.out" &&
	[ "$(grep -c '^| ic | vc |' "$TMP/md.out")" = 2 ]; then
	ok "md: a Markdown table per workload"
else
	bad "md: a Markdown table per workload" "$(cat "$TMP/md.out" "$TMP/md.err")"
fi

# ---- bad input ----
printf 'not a database\n' >"$TMP/junk.db"
run_gs junk summary "$TMP/junk.db"
run_gs missing summary "$TMP/none.db"
run_gs fmt summary "$DB" --format xml
if [ "$(rc junk)" = 1 ] && grep -q "$TMP/junk.db" "$TMP/junk.err" && [ "$(rc missing)" = 1 ] &&
	grep -q "$TMP/none.db" "$TMP/missing.err" && [ ! -e "$TMP/none.db" ] && [ "$(rc fmt)" = 2 ]; then
	ok "a non-database or missing file is named (exit 1, nothing created); a bad format is a usage error (2)"
else
	bad "bad input" "junk $(rc junk) missing $(rc missing) fmt $(rc fmt): $(cat "$TMP/junk.err" "$TMP/missing.err")"
fi

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
