#!/bin/sh
# `gaiasim emu run` and `emu validate` for the models with one global replica sharded over
# every region (bsp, ssp, async), on tests/data/emu/tiny-bsp.conf (two regions, one machine
# each: the model's two shards run in the two regions' processes; 6 clocks). Properties:
#   - an emulated bsp run stores one run, kind 'emu', with one clocks row (region 'global') per
#     evaluated clock: eval.every 1, so clocks 0..6;
#   - its bytes per directed pair and kind equal the simulated bsp run's (same messages, same
#     codec: docs/emulation.md);
#   - its objective at every clock equals the simulated run's: bit for bit with 8-byte values
#     on the wire (the codec then carries the doubles exactly, and under bsp a shard sums a
#     clock's two pushes, a + b = b + a exactly in IEEE arithmetic, and applies the sum when
#     the clock completes, as simulated); within 1e-6 relative with the default 4-byte values
#     (every value on the wire is rounded to float32, relative error <= 2^-24 = 6e-8 each;
#     1e-6 allows 16 such roundings' worth over the 6 clocks);
#   - emu validate on bsp: both pairs' bytes agree exactly, time to target within 30% (the
#     target is 15%; 30% leaves room for a loaded 2-core machine);
#   - ssp:2 and async run and finish, 7 evaluations each, every objective finite and below
#     the initial one, bytes per pair within 1% of the simulated run's;
#   - two nodes started by hand (emu node --peers) behind their own meshes and merged by emu
#     collect: bytes and objectives as for emu run;
#   - emu collect refuses a results file of the old format and one whose snapshot is cut
#     short, naming the file and the line.
# These cases run in real time (about 17 s in all).

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/emu
CONF=$DATA/tiny-bsp.conf

. "${TOP_SRCDIR:-${srcdir:-.}}/tests/emu_common.sh"
emu_test_setup cli_emu_global sqlite3
pairs="SELECT src_region || '>' || dst_region || ':' || kind || '=' || sent_bytes || '/' || messages FROM wan_bytes ORDER BY 1"
objs="SELECT clock || ' ' || printf('%.17g', objective) FROM clocks ORDER BY clock"

# Largest relative difference of the objectives at equal clocks of two "clock objective"
# lists; "missing" when the clocks differ.
max_rel() {
	printf '%s\n' "$1" >"$TMP/a.txt"
	printf '%s\n' "$2" >"$TMP/b.txt"
	paste -d ' ' "$TMP/a.txt" "$TMP/b.txt" | awk '
		$1 != $3 || NF != 4 { bad = 1 }
		{ d = ($2 - $4) / $4; if (d < 0) d = -d; if (d > m) m = d }
		END { if (bad || NR == 0) print "missing"; else printf "%.3g\n", m }'
}

# --- bsp: one run, one clocks row per evaluated clock ---
$TIMEOUT "$GAIASIM" emu run "$CONF" --db "$TMP/emu.db" --timeout 50 >"$TMP/emu.out" 2>"$TMP/emu.err"
check "bsp: emu run exits 0" $? "$(cat "$TMP/emu.err")"
check "bsp: one run, kind emu" "$([ "$(q "$TMP/emu.db" "SELECT count(*) || ',' || min(kind) FROM runs WHERE status = 'complete'")" = "1,emu" ]; echo $?)" \
	"$(q "$TMP/emu.db" "SELECT run_id, kind, status FROM runs")"
n=$(q "$TMP/emu.db" "SELECT count(*) || ',' || min(clock) || ',' || max(clock) || ',' || count(DISTINCT clock) || ',' || min(region) || ',' || max(region) FROM clocks")
check "bsp: clocks rows: the global model at clocks 0..6, once each" "$([ "$n" = "7,0,6,7,global,global" ]; echo $?)" "got $n"

# --- the simulated bsp run: equal bytes, equal objectives ---
"$GAIASIM" run "$CONF" --db "$TMP/sim.db" >"$TMP/sim.out" 2>&1
ss=$(q "$TMP/sim.db" "$pairs")
se=$(q "$TMP/emu.db" "$pairs")
check "bsp: bytes per pair and kind equal the simulated run's" "$([ -n "$ss" ] && [ "$se" = "$ss" ]; echo $?)" \
	"sim: $ss" "emu: $se"
m=$(max_rel "$(q "$TMP/sim.db" "$objs")" "$(q "$TMP/emu.db" "$objs")")
in_range "$m" 0 1e-6
check "bsp, 4-byte values: objective at every clock within 1e-6 of the simulated one" $? "max relative difference $m"

$TIMEOUT "$GAIASIM" emu run "$CONF" --set wire.value_bytes=8 --db "$TMP/emu8.db" --timeout 50 \
	>/dev/null 2>"$TMP/emu8.err"
check "bsp, 8-byte values: emu run exits 0" $? "$(cat "$TMP/emu8.err")"
"$GAIASIM" run "$CONF" --set wire.value_bytes=8 --db "$TMP/sim8.db" >/dev/null 2>&1
o8s=$(q "$TMP/sim8.db" "$objs")
o8e=$(q "$TMP/emu8.db" "$objs")
check "bsp, 8-byte values: objective at every clock equals the simulated one exactly" \
	"$([ -n "$o8s" ] && [ "$o8s" = "$o8e" ]; echo $?)" "sim: $o8s" "emu: $o8e"
f8s=$(q "$TMP/sim8.db" "SELECT printf('%.17g', final_objective) FROM summary")
f8e=$(q "$TMP/emu8.db" "SELECT printf('%.17g', final_objective) FROM summary")
check "bsp, 8-byte values: final objective (assembled from the final rows) equal" \
	"$([ -n "$f8s" ] && [ "$f8s" = "$f8e" ]; echo $?)" "sim $f8s, emu $f8e"

# --- emu validate on bsp ---
$TIMEOUT "$GAIASIM" emu validate "$CONF" --timeout 50 >"$TMP/val.out" 2>"$TMP/val.err"
st=$?
n=$(grep -c '^wan_bytes .* +0.00%$' "$TMP/val.out")
check "bsp validate: both directed pairs' bytes agree exactly" "$([ "$n" = 2 ]; echo $?)" \
	"$(cat "$TMP/val.out" "$TMP/val.err")"
d=$(awk '/^time_to_target_s/ { sub("%", "", $4); print $4 }' "$TMP/val.out")
in_range "$d" -30 30
check "bsp validate: time to target within 30%" $? "diff $d% (exit $st)"

# --- ssp:2 and async: run, finish, sane objectives, bytes within 1% ---
for s in ssp:2 async; do
	db=$TMP/$(echo "$s" | tr -d :).db
	$TIMEOUT "$GAIASIM" emu run "$CONF" --set "sync=$s" --db "$db" --timeout 50 >/dev/null 2>"$TMP/s.err"
	check "$s: emu run exits 0" $? "$(cat "$TMP/s.err")"
	n=$(q "$db" "SELECT count(*) FROM clocks WHERE region = 'global'")
	check "$s: 7 evaluations of the global model" "$([ "$n" = 7 ]; echo $?)" "got $n"
	n=$(q "$db" "SELECT count(*) FROM clocks c, clocks z WHERE z.clock = 0 AND c.clock > 0 AND NOT (c.objective < z.objective)")
	f=$(q "$db" "SELECT s.final_objective < c.objective FROM summary s, clocks c WHERE c.clock = 0")
	check "$s: every later objective below the initial one, final too" \
		"$([ "$n" = 0 ] && [ "$f" = 1 ]; echo $?)" "$(q "$db" "$objs")"
	"$GAIASIM" run "$CONF" --set "sync=$s" --db "$db.sim" >/dev/null 2>&1
	w=$(sqlite3 "$db" "ATTACH '$db.sim' AS s;
		SELECT count(*) FROM (SELECT src_region, dst_region, sum(sent_bytes) b FROM main.wan_bytes GROUP BY 1, 2) e
		JOIN (SELECT src_region, dst_region, sum(sent_bytes) b FROM s.wan_bytes GROUP BY 1, 2) m
		USING (src_region, dst_region) WHERE abs(e.b - m.b) <= 0.01 * m.b")
	check "$s: bytes of both directed pairs within 1% of the simulated run's" "$([ "$w" = 2 ]; echo $?)" \
		"$(q "$db" "$pairs")" "$(q "$db.sim" "$pairs")"
done

# --- bsp with two nodes started by hand (emu node --peers), each behind its own mesh ---
if command -v python3 >/dev/null 2>&1 && [ -e "${TOP_SRCDIR:-.}/tests/emu_peer.py" ]; then
	emu_by_hand "$CONF" singapore saopaulo "$TMP/na.txt" "$TMP/nb.txt"
	check "bsp by hand: both nodes finish" "$([ $sa = 0 ] && [ $sb = 0 ]; echo $?)" \
		"$(cat "$TMP/na.err" "$TMP/nb.err")"
	"$GAIASIM" emu collect "$CONF" --db "$TMP/hand.db" "$TMP/na.txt" "$TMP/nb.txt" >/dev/null 2>"$TMP/c.err"
	check "bsp by hand: collect stores the run" $? "$(cat "$TMP/c.err")"
	sh_=$(q "$TMP/hand.db" "$pairs")
	check "bsp by hand: bytes per pair and kind equal the simulated run's" \
		"$([ -n "$ss" ] && [ "$sh_" = "$ss" ]; echo $?)" "sim: $ss" "hand: $sh_"
	m=$(max_rel "$(q "$TMP/sim.db" "$objs")" "$(q "$TMP/hand.db" "$objs")")
	in_range "$m" 0 1e-6
	check "bsp by hand: objective at every clock within 1e-6 of the simulated one" $? \
		"max relative difference $m"
	"$GAIASIM" emu collect "$CONF" --db "$TMP/hand2.db" "$TMP/na.txt" "$TMP/na.txt" >/dev/null 2>"$TMP/c2.err"
	check "bsp by hand: the same region's file twice is refused" "$([ $? -ne 0 ]; echo $?)" \
		"$(cat "$TMP/c2.err")"
fi

# --- emu collect: old or cut-short results files are refused naming file and line ---
printf 'gaiasim-emu-results 1\nregion 0\nend\n' >"$TMP/old.txt"
"$GAIASIM" emu collect "$CONF" "$TMP/old.txt" >/dev/null 2>"$TMP/old.err"
st=$?
check "collect: a version-1 results file is refused naming file, line and versions" \
	"$([ $st -ne 0 ] && grep -q "old.txt:1: .*'gaiasim-emu-results 1'.*'gaiasim-emu-results 2'" "$TMP/old.err"; echo $?)" \
	"$(cat "$TMP/old.err")"
printf 'gaiasim-emu-results 2\nregion 0\nreplica 0 -1\ngsnap 0 2 0 0 0 5\ngv 1 2\nend\n' >"$TMP/cut.txt"
"$GAIASIM" emu collect "$CONF" "$TMP/cut.txt" >/dev/null 2>"$TMP/cut.err"
st=$?
check "collect: a snapshot cut short is refused naming file and line" \
	"$([ $st -ne 0 ] && grep -q "cut.txt:6: the snapshot of line 4 ends after 2 of its 5 values" "$TMP/cut.err"; echo $?)" \
	"$(cat "$TMP/cut.err")"

# tiny-bsp's model: 400 users + 200 items = 600 rows of rank 4 + a bias = 5 values: 3,000 values
printf 'gaiasim-emu-results 2\nregion 0\nreplica 0 -1\ngsnap 0 2 0 0 0 3001\nend\n' >"$TMP/big.txt"
"$GAIASIM" emu collect "$CONF" "$TMP/big.txt" >/dev/null 2>"$TMP/big.err"
st=$?
check "collect: a snapshot larger than the model is refused naming file, line and sizes" \
	"$([ $st -ne 0 ] && grep -q "big.txt:4: snapshot of 3001 values, but the model has 3000" "$TMP/big.err"; echo $?)" \
	"$(cat "$TMP/big.err")"

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
