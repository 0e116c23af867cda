#!/bin/sh
# `gaiasim plot`'s emulated-vs-simulated figure end to end (view plot_emu_pairs,
# plot/emu_vs_sim.gp). `gaiasim emu validate` stores nothing, so the database is made with
# `gaiasim emu run` and `gaiasim run` of the tiny experiment (tests/data/emu/tiny.conf; the
# emulated runs at --time-scale 4, about 1 s each):
#   run 1  emu, tiny.conf
#   run 2  run, tiny.conf                       (pairs with 1 and 4)
#   run 3  run, tiny.conf with seed = 12        (another seed: no pair)
#   run 4  emu, tiny.conf with emu.compute = sleep (an emulation-only key: pairs with 2)
#   run 5  run, tiny.conf with stop.clocks = 14 (another configuration: no pair)
# Checked: the view's pairs equal the hand-derived ones and those of an independent rule
# computed here with sqlite3, grep and sort (config_text without emu.* lines, as a sorted set,
# plus seed and topology hash); one figure per pair in PNG (size 1040 x 460 from the IHDR
# chunk) and SVG; the end-time difference printed in the figure equals the one computed from
# runs.sim_end_s; plot --list shows the figure available with its view; a database without
# emulated runs, and one whose emulated run has no simulated twin, say what is missing.
# Skipped (77) without gnuplot or sqlite3.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
CONF=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/emu/tiny.conf
pass=0
fail=0
for tool in gnuplot sqlite3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "cli_plot_emu.sh: $tool not installed: skipped"
		echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
		exit 77
	fi
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-plot-emu.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout 60"; else TIMEOUT=; fi

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }
DB=$TMP/emu.db
q() { sqlite3 -batch "$DB" "$1"; }

# ---- the database ----
made=0
$TIMEOUT "$GAIASIM" emu run "$CONF" --time-scale 4 --timeout 50 --db "$DB" >"$TMP/1.out" 2>&1 || made=1
"$GAIASIM" run "$CONF" --db "$DB" >"$TMP/2.out" 2>&1 || made=1
"$GAIASIM" run "$CONF" --set seed=12 --db "$DB" >"$TMP/3.out" 2>&1 || made=1
$TIMEOUT "$GAIASIM" emu run "$CONF" --set emu.compute=sleep --time-scale 4 --timeout 50 --db "$DB" \
	>"$TMP/4.out" 2>&1 || made=1
"$GAIASIM" run "$CONF" --set stop.clocks=14 --db "$DB" >"$TMP/5.out" 2>&1 || made=1
kinds=$(q "SELECT group_concat(kind, ',') FROM (SELECT kind FROM runs ORDER BY run_id)")
check "database: runs 1-5 stored (emu, run, run, emu, run)" \
	"$([ $made = 0 ] && [ "$kinds" = "emu,run,run,emu,run" ]; echo $?)" "kinds '$kinds'; $(cat "$TMP"/*.out | tail -5)"

# ---- the pairing: the view, by hand, and by an independent rule ----
view=$(q "SELECT emu_run_id || '-' || sim_run_id FROM plot_emu_pairs ORDER BY emu_run_id, sim_run_id" | tr '\n' ' ')
check "plot_emu_pairs pairs emu run 1 and 4 with run 2 only" "$([ "$view" = "1-2 4-2 " ]; echo $?)" "view: '$view'"
# key of a run: seed, topology name and hash, trace hash, and its config_text lines without the
# emu.* ones, sorted (the set of lines)
key() {
	q "SELECT seed || ' ' || topology_name || ' ' || topology_sha256 || ' ' || coalesce(trace_sha256, '-')
	   FROM runs WHERE run_id = $1"
	q "SELECT config_text FROM runs WHERE run_id = $1" | grep -v '^emu\.' | grep -v '^$' | LC_ALL=C sort
}
indep=
for e in $(q "SELECT run_id FROM runs WHERE kind = 'emu' ORDER BY run_id"); do
	key "$e" >"$TMP/key.e"
	for s in $(q "SELECT run_id FROM runs WHERE kind IN ('run', 'compare') ORDER BY run_id"); do
		key "$s" >"$TMP/key.s"
		cmp -s "$TMP/key.e" "$TMP/key.s" && indep="$indep$e-$s "
	done
done
check "plot_emu_pairs equals the pairs of an independent sqlite3/grep/sort rule" \
	"$([ "$view" = "$indep" ]; echo $?)" "view '$view', independent '$indep'"
diffs=$(q "SELECT printf('%.12f %.12f', v.rel_diff_end_time, e.sim_end_s / s.sim_end_s - 1)
           FROM plot_emu_pairs v JOIN runs e ON e.run_id = v.emu_run_id JOIN runs s ON s.run_id = v.sim_run_id
           WHERE v.emu_run_id = 1")
check "rel_diff_end_time = emulated / simulated end - 1" \
	"$(echo "$diffs" | awk 'NF == 2 { n++; if ($1 != $2) bad = 1 } END { exit !(n == 1 && !bad) }'; echo $?)" "$diffs"

# ---- the figures ----
png_size() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || return
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
	                                       $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
for fmt in png svg; do
	"$GAIASIM" plot "$DB" --only emulated-vs-simulated --format $fmt --out "$TMP/$fmt" >"$TMP/$fmt.out" 2>"$TMP/$fmt.err"
	st=$?
	files=$(cd "$TMP/$fmt" 2>/dev/null && ls | tr '\n' ' ')
	check "$fmt: exit 0, one file per pair" \
		"$([ $st = 0 ] && [ "$files" = "emulated-vs-simulated-run1-run2.$fmt emulated-vs-simulated-run4-run2.$fmt " ]; echo $?)" \
		"status $st, files '$files': $(cat "$TMP/$fmt.err")"
done
good=0
for f in "$TMP"/png/*.png; do [ "$(png_size "$f")" = "1040 460" ] || good=1; done
check "png: 1040 x 460 (IHDR)" $good "$(for f in "$TMP"/png/*.png; do png_size "$f"; done)"
f=$TMP/svg/emulated-vs-simulated-run1-run2.svg
check "svg: an SVG of 1040 x 460" "$(grep -q 'width="1040"' "$f" && grep -q 'height="460"' "$f"; echo $?)"
want=$(q "SELECT printf('end time %+.2f%%', 100.0 * (e.sim_end_s / s.sim_end_s - 1)) FROM runs e, runs s
          WHERE e.run_id = 1 AND s.run_id = 2")
check "svg: the title prints the end-time difference ($want)" "$(grep -q -- "$want" "$f"; echo $?)"
check "svg: both runs in the key" \
	"$(grep -q 'simulated (run 2)' "$f" && grep -q 'emulated (run 1)' "$f"; echo $?)"
"$GAIASIM" plot "$DB" --only emulated-vs-simulated --run 4 --run 3 --out "$TMP/sel" >/dev/null 2>"$TMP/sel.err"
check "--run 4 --run 3: no pair among the selected runs, says so" \
	"$(grep -q "figure 'emulated-vs-simulated' not made: no simulated run .* emulated run(s) 4" "$TMP/sel.err"; echo $?)" \
	"$(cat "$TMP/sel.err")"

# ---- --list and the missing-data messages ----
"$GAIASIM" plot --list >"$TMP/list.out"
check "plot --list: available, view plot_emu_pairs" \
	"$(grep -q '^emulated-vs-simulated  *available  *plot_emu_pairs' "$TMP/list.out"; echo $?)" "$(cat "$TMP/list.out")"
SIMDB=$TMP/sim.db
"$GAIASIM" run "$CONF" --db "$SIMDB" >/dev/null 2>&1
"$GAIASIM" plot "$SIMDB" --only emulated-vs-simulated --out "$TMP/none" >/dev/null 2>"$TMP/none.err"
st=$?
check "no emulated runs: exit 1, the message names what is missing and the view" \
	"$([ $st = 1 ] && grep -q "figure 'emulated-vs-simulated' not made: no emulated runs (runs.kind = 'emu'.*(view plot_emu_pairs" "$TMP/none.err" && [ ! -e "$TMP/none/"*.png ]; echo $?)" \
	"status $st: $(cat "$TMP/none.err")"

echo "TESTCASES: $pass passed, $fail failed"
[ $fail = 0 ]
