#!/bin/sh
# `gaiasim emu run` and `gaiasim emu validate` end to end on the tiny experiment
# (tests/data/emu/tiny.conf: Gaia on the two-region S/S topology, one machine per region,
# 15 clocks of 100 ms compute), and the faults of an emulated run. Properties checked:
#   - an emulated run finishes and stores exactly one run, runs.kind = 'emu', with a summary
#     and one clocks row per replica and evaluated clock (2 replicas x 16 clocks: eval.every 1
#     plus clock 0);
#   - the bytes per directed region pair and message kind equal the simulated run's exactly:
#     the same messages are encoded by the same codec (docs/emulation.md explains why the
#     message sequence is the same);
#   - the emulated end time is within 30% of the simulated one (the validate target is 15%;
#     30% leaves room for a loaded 2-core machine);
#   - a node process killed mid-run: non-zero exit, a message naming the region's process and
#     the signal, and no run in the database;
#   - the mesh (the relays) killed mid-run: non-zero exit naming the mesh or the dropped
#     connection, no run stored;
#   - both WAN links at zero bandwidth for 1.5 s (a trace): the run stalls, resumes and
#     finishes; it ends later than without the outage, like the simulated run of the same trace.
#   - emu validate: the two directed pairs' bytes agree exactly, time to target within 30%;
#   - two nodes started by hand from peers files, each behind its own mesh, merged by emu
#     collect: the same bytes per pair as the simulated run; a missing region's file is refused.
# These cases run in real time (4-6 s each, about 30 s in all).

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/emu
CONF=$DATA/tiny.conf

. "${TOP_SRCDIR:-${srcdir:-.}}/tests/emu_common.sh"
emu_test_setup cli_emu_run sqlite3

# --- a run finishes and stores one emulated run ---
$TIMEOUT "$GAIASIM" emu run "$CONF" --db "$TMP/emu.db" --timeout 50 >"$TMP/emu.out" 2>"$TMP/emu.err"
st=$?
check "emu run exits 0" "$st" "$(cat "$TMP/emu.err")"
check "one run, kind emu" "$([ "$(q "$TMP/emu.db" "SELECT count(*) || ',' || min(kind) FROM runs WHERE status = 'complete'")" = "1,emu" ]; echo $?)" \
	"$(q "$TMP/emu.db" "SELECT run_id, kind, status FROM runs")"
n=$(q "$TMP/emu.db" "SELECT count(*) FROM clocks")
check "clocks rows: 2 replicas x 16 evaluations" "$([ "$n" = 32 ]; echo $?)" "got $n"
n=$(q "$TMP/emu.db" "SELECT count(*) FROM summary")
check "one summary row" "$([ "$n" = 1 ]; echo $?)" "got $n"

# --- the simulated run of the same configuration: equal bytes per pair and kind ---
"$GAIASIM" run "$CONF" --db "$TMP/sim.db" >"$TMP/sim.out" 2>&1
pairs="SELECT src_region || '>' || dst_region || ':' || kind || '=' || sent_bytes || '/' || messages FROM wan_bytes ORDER BY 1"
se=$(q "$TMP/emu.db" "$pairs")
ss=$(q "$TMP/sim.db" "$pairs")
check "WAN bytes per pair and kind equal the simulated run's" "$([ -n "$ss" ] && [ "$se" = "$ss" ]; echo $?)" \
	"sim: $ss" "emu: $se"
te=$(q "$TMP/emu.db" "SELECT sim_end_s FROM runs")
ts=$(q "$TMP/sim.db" "SELECT sim_end_s FROM runs")
lo=$(awk -v t="$ts" 'BEGIN { print t * 0.7 }')
hi=$(awk -v t="$ts" 'BEGIN { print t * 1.3 }')
in_range "$te" "$lo" "$hi"
check "emulated end time within 30% of the simulated one" $? "sim $ts s, emu $te s"

# --- a node killed mid-run ---
"$GAIASIM" emu run "$CONF" --db "$TMP/kill.db" --timeout 50 >"$TMP/kill.out" 2>"$TMP/kill.err" &
run=$!
node=$(child_matching "$run" "emu node .*--region=1")
sleep 1
[ -n "$node" ] && kill -9 "$node"
wait "$run"
st=$?
check "killed node: non-zero exit" "$([ "$st" -ne 0 ]; echo $?)"
grep -q "node process of region saopaulo (nodes 1-1) pid $node was killed by signal 9" "$TMP/kill.err"
check "killed node: the message names it and the signal" $? "$(cat "$TMP/kill.err")"
n=$(q "$TMP/kill.db" "SELECT count(*) FROM runs")
check "killed node: no run stored" "$([ "$n" = 0 ]; echo $?)" "got $n runs"

# --- the relays killed mid-run ---
"$GAIASIM" emu run "$CONF" --db "$TMP/mesh.db" --timeout 50 >"$TMP/mesh.out" 2>"$TMP/mesh.err" &
run=$!
mesh=$(child_matching "$run" "emu mesh")
sleep 1.5
[ -n "$mesh" ] && kill -9 "$mesh"
wait "$run"
st=$?
check "relays killed: non-zero exit" "$([ "$st" -ne 0 ]; echo $?)"
grep -Eq "mesh relaying to region .* was killed by signal 9|was dropped" "$TMP/mesh.err"
check "relays killed: the message names the mesh or the dropped connection" $? "$(cat "$TMP/mesh.err")"
n=$(q "$TMP/mesh.db" "SELECT count(*) FROM runs")
check "relays killed: no run stored" "$([ "$n" = 0 ]; echo $?)" "got $n runs"

# --- zero bandwidth for a window: stall, then resume ---
$TIMEOUT "$GAIASIM" emu run "$CONF" --set "trace=$DATA/ss-outage.csv" --db "$TMP/out.db" \
	--timeout 50 >"$TMP/out.out" 2>"$TMP/out.err"
st=$?
check "outage: the run finishes" "$st" "$(cat "$TMP/out.err")"
"$GAIASIM" run "$CONF" --set "trace=$DATA/ss-outage.csv" --db "$TMP/outsim.db" >/dev/null 2>&1
to=$(q "$TMP/out.db" "SELECT sim_end_s FROM runs")
tso=$(q "$TMP/outsim.db" "SELECT sim_end_s FROM runs")
awk -v a="$to" -v b="$te" 'BEGIN { exit !(a != "" && a > b + 0.5) }'
check "outage: the emulated run ends later than without it" $? "with $to s, without $te s"
lo=$(awk -v t="$tso" 'BEGIN { print t * 0.7 }')
hi=$(awk -v t="$tso" 'BEGIN { print t * 1.3 }')
in_range "$to" "$lo" "$hi"
check "outage: emulated end within 30% of the simulated run of the same trace" $? \
	"sim $tso s, emu $to s"

# --- emu validate: bytes per pair agree exactly; time to target within 30% ---
$TIMEOUT "$GAIASIM" emu validate "$CONF" --timeout 50 >"$TMP/val.out" 2>"$TMP/val.err"
st=$?
n=$(grep -c '^wan_bytes .* +0.00%$' "$TMP/val.out")
check "validate: both directed pairs' bytes agree exactly" "$([ "$n" = 2 ]; echo $?)" \
	"$(cat "$TMP/val.out" "$TMP/val.err")"
d=$(awk '/^time_to_target_s/ { sub("%", "", $4); print $4 }' "$TMP/val.out")
in_range "$d" -30 30
check "validate: time to target within 30%" $? "diff $d% (exit $st)"

# --- two nodes started by hand (emu node --peers), each behind its own mesh, then collect ---
if command -v python3 >/dev/null 2>&1 && [ -e "${TOP_SRCDIR:-.}/tests/emu_peer.py" ]; then
	emu_by_hand "$CONF" singapore 1 "$TMP/a.txt" "$TMP/b.txt"
	check "by hand: both nodes finish" "$([ $sa = 0 ] && [ $sb = 0 ]; echo $?)" \
		"$(cat "$TMP/na.err" "$TMP/nb.err")"
	"$GAIASIM" emu collect "$CONF" --db "$TMP/hand.db" "$TMP/a.txt" "$TMP/b.txt" >/dev/null 2>"$TMP/c.err"
	check "by hand: collect stores the run" $? "$(cat "$TMP/c.err")"
	sh_=$(q "$TMP/hand.db" "$pairs")
	check "by hand: bytes per pair and kind equal the simulated run's" \
		"$([ -n "$ss" ] && [ "$sh_" = "$ss" ]; echo $?)" "sim: $ss" "hand: $sh_"
	"$GAIASIM" emu collect "$CONF" --db "$TMP/hand2.db" "$TMP/a.txt" >/dev/null 2>"$TMP/c2.err"
	st=$?
	check "collect without a region's file is refused, naming it" \
		"$([ $st -ne 0 ] && grep -q 'no results file for region saopaulo' "$TMP/c2.err"; echo $?)" \
		"$(cat "$TMP/c2.err")"
fi

# --- bad input ---
# a model with one replica over every region now runs (tests/cli_emu_global.sh checks it)
$TIMEOUT "$GAIASIM" emu run "$CONF" --set sync=bsp --set stop.clocks=2 --db "$TMP/bsp.db" \
	--timeout 50 >/dev/null 2>"$TMP/bsp.err"
st=$?
n=$(q "$TMP/bsp.db" "SELECT count(*) || ',' || min(region) FROM clocks")
check "a model with one replica over every region runs: the global model at clocks 0..2" \
	"$([ "$st" -eq 0 ] && [ "$n" = "3,global" ]; echo $?)" "exit $st, clocks rows $n" "$(cat "$TMP/bsp.err")"
"$GAIASIM" emu run "$CONF" --time-scale 0 >/dev/null 2>"$TMP/ts.err"
check "--time-scale 0 is a usage error (2)" "$([ $? -eq 2 ]; echo $?)" "$(cat "$TMP/ts.err")"

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
