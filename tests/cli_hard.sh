#!/bin/sh
# Hardening findings, end to end (docs/testing.md): each case failed before its fix.
#   1. simulated time overflow: an error naming worker, clock and quantity, exit 1, no abort,
#      nothing stored;
#   2. sizes: a run past limits.memory_gb is refused with how much and why, never an abort;
#   3. gaiasim net: bins jump over idle time, and a link's link_bytes rows sum to the bytes
#      the transfers on it moved, to the byte, at bins from 1e-9 s to 10 s;
#   4. end status: diverged (NaN objective: stopped, never counted as reaching the target,
#      stored with NULL objectives) and stalled (links down for good) exit 1 and are stored as
#      such; completed and target_reached exit 0;
#   5. compare records its comparison (failed when a run fails) and --resume skips the models
#      already complete in it.
# Reads GAIASIM (default ./gaiasim) and TESTDATA_DIR or srcdir; needs sqlite3 (else skip).

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
H=$(cd "$DATA/hard" && pwd)
RUNCONF=$DATA/run/small.conf
pass=0
fail=0
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "cli_hard.sh: sqlite3 not found"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-hard.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
gs() { # gs NAME ARGS...: run gaiasim (hang guard 120 s); NAME.out, NAME.err, NAME.rc
	n=$1
	shift
	timeout 120 "$GAIASIM" "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
	echo $? >"$TMP/$n.rc"
}
rc() { cat "$TMP/$1.rc"; }
q() { sqlite3 "$1" "$2" 2>/dev/null; }
field() { sed -n "s/^$2  *//p" "$1" | head -1; }
# topology and traces by absolute path, whatever the working directory
ON_TWO="--set topology=$H/two.topo"

# ---- 1. time overflow ----
gs ovf run "$H/overflow.conf" $ON_TWO --db "$TMP/ovf.db"
if [ "$(rc ovf)" = 1 ] && grep -q "simulated time overflow: worker 0 .* at clock [0-9]* would compute for" "$TMP/ovf.err" &&
   ! grep -qi "assert\|abort\|runtime error" "$TMP/ovf.err"; then
	ok "time overflow: exit 1, the message names worker, clock and compute time"
else
	bad "time overflow: exit 1 with a clear message" "rc=$(rc ovf) $(cat "$TMP/ovf.err")"
fi
n=$(q "$TMP/ovf.db" "SELECT count(*) FROM runs")
[ "${n:-0}" = 0 ] && ok "time overflow: nothing stored" || bad "time overflow: nothing stored" "$n runs"

# ---- 2. sizes ----
gs big run "$RUNCONF" --set mf.users=4294967293 --set stop.clocks=1
if [ "$(rc big)" = 1 ] && grep -q "would need about [0-9.]* GB .*4294967293 users.*limits.memory_gb" "$TMP/big.err"; then
	ok "mf.users=4294967293: refused with the size, the cause and the key"
else
	bad "mf.users=4294967293: refused" "rc=$(rc big) $(cat "$TMP/big.err")"
fi
gs wide run "$RUNCONF" --set topology=ec2-11 --set machines=1024 --set mf.users=20000 \
	--set mf.items=2000 --set mf.rank=16 --set stop.clocks=1
if [ "$(rc wide)" = 1 ] && grep -q "parameter server would need about .*11264 machines" "$TMP/wide.err"; then
	ok "machines=1024 on ec2-11: refused before allocating"
else
	bad "machines=1024 on ec2-11: refused" "rc=$(rc wide) $(head -c 300 "$TMP/wide.err")"
fi
gs tiny run "$RUNCONF" --set stop.clocks=1 --set limits.memory_gb=0.001
gs roomy run "$RUNCONF" --set stop.clocks=1 --set limits.memory_gb=1
if [ "$(rc tiny)" = 1 ] && grep -q "limits.memory_gb = 0.001" "$TMP/tiny.err" && [ "$(rc roomy)" = 0 ]; then
	ok "limits.memory_gb is the limit (0.001 refuses the small run, 1 admits it)"
else
	bad "limits.memory_gb is the limit" "tiny=$(rc tiny) roomy=$(rc roomy)"
fi

# ---- 3. net bins ----
# A 20-byte transfer stalled until a trace restores its link at 50000 s, then idle until
# 100000 s: with 1 us bins that was 1e11 ticks; now the idle time costs none.
gs idle net -t "$H/two.topo" -f "$H/xfers-idle.csv" -T "$H/trace-idle.csv" --bin 1e-6 --db "$TMP/idle.db"
s=$(q "$TMP/idle.db" "SELECT sum(carried_bytes) FROM link_bytes WHERE src_region = 'a' AND dst_region = 'b'")
if [ "$(rc idle)" = 0 ] && awk -v s="$s" 'BEGIN { exit !(s + 0 == s && s > 39.5 && s < 40.5) }'; then
	ok "net: a stalled transfer and idle time cost no bins (40 bytes in the rows)"
else
	bad "net: stalled/idle transfers finish" "rc=$(rc idle) sum=$s $(cat "$TMP/idle.err")"
fi
# Bytes per link from the transfer list (a->b: 20+1234567+3+77777; b->a: 999+1).
for bin in 1e-9 1e-6 1e-3 1 10; do
	gs "sum$bin" net -t "$H/two.topo" -f "$H/xfers-sum.csv" --bin "$bin" --db "$TMP/sum$bin.db"
	ab=$(q "$TMP/sum$bin.db" "SELECT sum(carried_bytes) FROM link_bytes WHERE src_region = 'a' AND dst_region = 'b'")
	ba=$(q "$TMP/sum$bin.db" "SELECT sum(carried_bytes) FROM link_bytes WHERE src_region = 'b' AND dst_region = 'a'")
	over=$(q "$TMP/sum$bin.db" "SELECT count(*) FROM link_bytes x JOIN link_bytes y USING (run_id, src_region, dst_region) WHERE x.t0_s < y.t0_s AND y.t0_s < x.t1_s")
	if [ "$(rc "sum$bin")" = 0 ] && [ "$over" = 0 ] &&
	   awk -v a="$ab" -v b="$ba" 'BEGIN { exit !(a + 0 == a && b + 0 == b && (a - 1312367) ^ 2 < 0.25 && (b - 1000) ^ 2 < 0.25) }'; then
		ok "net --bin $bin: each link's rows sum to its bytes (a->b $ab, b->a $ba), no overlap"
	else
		bad "net --bin $bin: rows sum to the bytes moved" "rc=$(rc "sum$bin") a->b=$ab (1312367) b->a=$ba (1000) overlaps=$over"
	fi
done

# ---- 4. end status ----
gs div run "$H/diverge.conf" $ON_TWO --set stop.target=0.5 --db "$TMP/div.db"
if [ "$(rc div)" = 1 ] && [ "$(field "$TMP/div.out" status)" = diverged ] &&
   [ "$(field "$TMP/div.out" time_to_target_s)" = "not reached" ]; then
	ok "diverging run: status diverged, exit 1, the NaN never reaches the target"
else
	bad "diverging run: status diverged" "rc=$(rc div) $(cat "$TMP/div.out" "$TMP/div.err")"
fi
row=$(q "$TMP/div.db" "SELECT s.end_status, s.final_objective IS NULL, s.time_to_target_s IS NULL, r.status FROM summary s JOIN runs r USING (run_id)")
[ "$row" = "diverged|1|1|complete" ] && ok "diverging run stored: end_status diverged, NaN as NULL" ||
	bad "diverging run stored" "row '$row'"
last=$(q "$TMP/div.db" "SELECT max(clock) FROM clocks")
first_nan=$(q "$TMP/div.db" "SELECT min(clock) FROM clocks WHERE objective IS NULL")
# eval.every = 1: the run stops at the first NaN, workers at most one clock further.
if [ -n "$first_nan" ] && [ "$last" -le $((first_nan + 1)) ] 2>/dev/null; then
	ok "diverging run stops at once (first NaN at clock $first_nan, last clock $last of 40)"
else
	bad "diverging run stops at once" "first NaN $first_nan, last $last"
fi
gs stall run "$H/stall.conf" $ON_TWO --set "trace=$H/down.csv" --db "$TMP/stall.db"
if [ "$(rc stall)" = 1 ] && [ "$(field "$TMP/stall.out" status)" = stalled ] &&
   [ "$(q "$TMP/stall.db" "SELECT end_status FROM summary")" = stalled ]; then
	ok "links down for good: status stalled, exit 1, stored as stalled"
else
	bad "links down for good: stalled" "rc=$(rc stall) $(cat "$TMP/stall.out" "$TMP/stall.err")"
fi
gs done run "$RUNCONF" --set stop.clocks=3
gs tl run "$RUNCONF" --set stop.clocks=1000 --set stop.time_s=0.5
if [ "$(rc done)" = 0 ] && [ "$(field "$TMP/done.out" status)" = completed ] &&
   [ "$(rc tl)" = 0 ] && [ "$(field "$TMP/tl.out" status)" = time_limit ]; then
	ok "completed and time_limit runs exit 0 with their status"
else
	bad "completed / time_limit" "done=$(rc done) $(field "$TMP/done.out" status) tl=$(rc tl) $(field "$TMP/tl.out" status)"
fi

# ---- 5. compare records its comparison, and resumes ----
gs cf compare "$RUNCONF" --sync bsp,ssp:-1 --set stop.clocks=10 --db "$TMP/cf.db"
row=$(q "$TMP/cf.db" "SELECT c.status, c.models, count(r.run_id) FROM comparisons c LEFT JOIN runs r USING (comparison_id)")
[ "$(rc cf)" = 1 ] && [ "$row" = "failed|bsp,ssp:-1|1" ] && ok "a failed comparison is recorded as failed with its one run" ||
	bad "a failed comparison is recorded" "rc=$(rc cf) row '$row'"
gs c1 compare "$RUNCONF" --sync bsp,gaia --set stop.clocks=10 --db "$TMP/c.db" --format csv
# An interruption after bsp: gaia's run never committed, the comparison still 'running'.
q "$TMP/c.db" "UPDATE comparisons SET status = 'running'; DELETE FROM runs WHERE label = 'gaia'" >/dev/null
gs c2 compare "$RUNCONF" --sync bsp,gaia --set stop.clocks=10 --db "$TMP/c.db" --format csv --resume
row=$(q "$TMP/c.db" "SELECT (SELECT status FROM comparisons), (SELECT count(*) FROM comparisons), (SELECT group_concat(label) FROM (SELECT label FROM runs WHERE comparison_id = 1 ORDER BY run_id))")
if [ "$(rc c2)" = 0 ] && [ "$row" = "complete|1|bsp,gaia" ] && grep -q "bsp: already complete" "$TMP/c2.err" &&
   cmp -s "$TMP/c1.out" "$TMP/c2.out"; then
	ok "compare --resume runs only the missing model and prints the same table"
else
	bad "compare --resume" "rc=$(rc c2) row '$row' $(diff "$TMP/c1.out" "$TMP/c2.out" | head -5)"
fi

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" = 0 ]
