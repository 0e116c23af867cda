#!/bin/sh
# `gaiasim net` end to end, and the command-line contract of every subcommand.
#
# Scenario files are in tests/data/net/ (three.topo: a, b, c; a->b 100 Mb/s RTT 100 ms,
# b->a 20 Mb/s RTT 100 ms, a->c 40 Mb/s RTT 60 ms, c->a and b<->c 100 Mb/s, RTT 60 / 200 ms;
# egress(a) = ingress(a) = 120 Mb/s; LAN a, c 1 Gb/s RTT 0.2 ms, LAN b 50 Mb/s RTT 10 ms).
# Every expected time is worked out by hand next to its check: on an idle path
# finish = start + RTT/2 + 8 bytes / bottleneck; shared paths by max-min fair shares.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim there;
# TESTDATA_DIR or srcdir locate the data). Prints PASS/FAIL per case and a final
# `TESTCASES: N passed, M failed` line; exits 1 if any case failed. Cases that need the
# sqlite3 program are skipped (and counted as skipped, not passed) when it is missing.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/net
TOPO=$DATA/three.topo

pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ]; then
	echo "cli_net.sh: no gaiasim program at $GAIASIM (set GAIASIM)" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
if [ ! -r "$TOPO" ]; then
	echo "cli_net.sh: no test data at $DATA (set TESTDATA_DIR or srcdir)" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-net.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() {
	pass=$((pass + 1))
	echo "PASS: $1"
}

bad() {
	fail=$((fail + 1))
	echo "FAIL: $1"
	shift
	for why in "$@"; do
		echo "    $why"
	done
}

skipped() {
	skip=$((skip + 1))
	echo "SKIP: $1"
}

# check NAME CONDITION-STATUS [DETAIL...]: record a case from the status of the last test.
check() {
	name=$1
	st=$2
	shift 2
	if [ "$st" -eq 0 ]; then ok "$name"; else bad "$name" "$@"; fi
}

# A run that hangs (e.g. a bin of 0 ns ticking forever) fails its case after 30 s.
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout 30"
else
	TIMEOUT=
fi

# run ARGS...: run gaiasim; stdout in $TMP/out, stderr in $TMP/err, status in $rc.
run() {
	$TIMEOUT "$GAIASIM" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# field ID COLUMN FILE: the named column of the row with that id in a `gaiasim net` CSV.
field() {
	awk -F, -v id="$1" -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == id { print $(c[col]) }' "$3"
}

# near GOT WANT: 0 if two times in seconds agree within 3 ns (times are whole nanoseconds).
near() {
	awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= 3e-9) }'
}

# expect_time CSV ID COLUMN WANT NAME
expect_time() {
	got=$(field "$2" "$3" "$1")
	near "$got" "$4"
	check "$5: $3 of transfer $2 = $4" $? "got '$got'"
}

# ---------------------------------------------------------------------------------------
# Closed forms through the whole command (xfers-basic.csv: one transfer at a time).

run net -t "$TOPO" -f "$DATA/xfers-basic.csv"
check "basic: exit 0" "$rc" "status $rc: $(cat "$TMP/err")"
cp "$TMP/out" "$TMP/basic.csv"
B=$TMP/basic.csv
head -n 1 "$B" | grep -qx 'id,src,dst,bytes,start_s,first_byte_s,finish_s,duration_s,mean_rate_bps,topology,trace,seed,transfers'
check "basic: CSV header" $? "got '$(head -n 1 "$B")'"
# The last columns echo what ran: the topology's name, no trace, the seed, the transfer list.
[ "$(field 1 topology "$B")" = net3 ] && [ -z "$(field 1 trace "$B")" ] &&
	[ "$(field 1 seed "$B")" = 1 ] && [ "$(field 1 transfers "$B")" = "$DATA/xfers-basic.csv" ]
check "basic: rows echo topology, trace, seed and transfers" $? "$(sed -n 2p "$B")"
run net -t "$TOPO" -f "$DATA/xfers-basic.csv" -T "$DATA/trace-step.csv" --seed 9
[ "$(field 1 trace "$TMP/out")" = trace-step ] && [ "$(field 1 seed "$TMP/out")" = 9 ]
check "trace and seed echoed when given" $? "$(sed -n 2p "$TMP/out")"
# 1: a->b 1.25 MB = 10 Mbit at 100 Mb/s, one-way 50 ms: first byte 0.05, finish 0.15.
expect_time "$B" 1 first_byte_s 0.05 "WAN a->b"
expect_time "$B" 1 finish_s 0.15 "WAN a->b"
# 2: b->a 8 Mbit at 20 Mb/s sent at 1: 1 + 0.05 + 0.4 = 1.45.
expect_time "$B" 2 finish_s 1.45 "WAN b->a"
# 3: a->c 8 Mbit at 40 Mb/s sent at 2, one-way 30 ms: 2 + 0.03 + 0.2 = 2.23.
expect_time "$B" 3 finish_s 2.23 "WAN a->c"
# 4: b's LAN, 8 Mbit at 50 Mb/s sent at 3, one-way 5 ms: 3.005, 3 + 0.005 + 0.16 = 3.165.
expect_time "$B" 4 first_byte_s 3.005 "LAN b"
expect_time "$B" 4 finish_s 3.165 "LAN b"
# 5: a's LAN, 10 Mbit at 1 Gb/s sent at 4, one-way 0.1 ms: 4 + 0.0001 + 0.01 = 4.0101
#    (faster than a's 120 Mb/s egress: the LAN does not cross it).
expect_time "$B" 5 finish_s 4.0101 "LAN a"
# 6: zero bytes c->a at 5: done after the one-way 30 ms alone.
expect_time "$B" 6 finish_s 5.03 "zero bytes"
# 7: given by EC2 codes zone-c -> zone-b: 100 Mbit at 100 Mb/s sent at 6, one-way 100 ms: 7.1;
#    written with the regions' short names; duration = 7.1 - 6 = 1.1.
expect_time "$B" 7 finish_s 7.1 "EC2 codes"
expect_time "$B" 7 duration_s 1.1 "EC2 codes"
[ "$(field 7 src "$B"),$(field 7 dst "$B")" = "c,b" ]
check "EC2 codes: written as short names c,b" $? "got '$(field 7 src "$B"),$(field 7 dst "$B")'"
[ "$(wc -l <"$B")" -eq 8 ]
check "basic: one row per transfer" $? "$(wc -l <"$B") lines"

# ---------------------------------------------------------------------------------------
# Max-min shares at the net level.

# xfers-share.csv: a->b (80 Mbit) and a->c (16 Mbit) both move from 0.05. Links 100 and 40,
# egress(a) 120: a->c = 40 (its link), a->b = 120 - 40 = 80. a->c ends 0.05 + 0.4 = 0.45;
# a->b has moved 32 by then, the other 48 at 100: 0.93. b->a (8 Mbit at 20) meanwhile: 0.45.
run net -t "$TOPO" -f "$DATA/xfers-share.csv"
check "share: exit 0" "$rc" "$(cat "$TMP/err")"
cp "$TMP/out" "$TMP/share.csv"
expect_time "$TMP/share.csv" 2 finish_s 0.45 "shared egress"
expect_time "$TMP/share.csv" 1 finish_s 0.93 "shared egress"
expect_time "$TMP/share.csv" 3 finish_s 0.45 "reverse direction alongside"

# xfers-asym.csv: two a->b (5 and 10 Mbit) split 100 as 50/50: the first ends 0.05 + 0.1 =
# 0.15, the second has 5 left at 100: 0.2. b->a (8 Mbit) keeps its 20: 0.45.
run net -t "$TOPO" -f "$DATA/xfers-asym.csv"
check "asym: exit 0" "$rc" "$(cat "$TMP/err")"
cp "$TMP/out" "$TMP/asym.csv"
expect_time "$TMP/asym.csv" 1 finish_s 0.15 "asymmetric 50/50"
expect_time "$TMP/asym.csv" 2 finish_s 0.2 "asymmetric 50/50"
expect_time "$TMP/asym.csv" 3 finish_s 0.45 "asymmetric b->a 20"

# ---------------------------------------------------------------------------------------
# Traces (-T).

# 80 Mbit a->b sent at 0 moves from 0.05 at 100: without a trace 0.05 + 0.8 = 0.85.
run net -t "$TOPO" -f "$DATA/xfers-step.csv"
expect_time "$TMP/out" 1 finish_s 0.85 "no trace"
# trace-step.csv: 50 Mb/s from 0.45 (40 Mbit moved): the other 40 take 0.8 s -> 1.25.
run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$DATA/trace-step.csv"
check "trace step: exit 0" "$rc" "$(cat "$TMP/err")"
expect_time "$TMP/out" 1 finish_s 1.25 "trace step"
# trace-stall.csv: down at 0.25 (20 Mbit moved), up at 1.25: 60 Mbit at 100 -> 1.85.
run net -t "$TOPO" -f "$DATA/xfers-step.csv" --trace "$DATA/trace-stall.csv"
expect_time "$TMP/out" 1 finish_s 1.85 "trace link down and up"
# trace-rtt.csv: a->b RTT 300 ms from 1 s. Sent at 0.9: first byte 0.95, finish 1.05 (keeps
# its 50 ms). Sent at 2: 2.15, 2.25. b's LAN 25 Mb/s from 0: 8 Mbit at 0 -> 0.005 + 0.32 =
# 0.325; its RTT 20 ms from 3: sent at 3.5 -> 3.51 + 0.32 = 3.83.
run net -t "$TOPO" -f "$DATA/xfers-rtt.csv" -T "$DATA/trace-rtt.csv"
check "trace rtt: exit 0" "$rc" "$(cat "$TMP/err")"
cp "$TMP/out" "$TMP/rtt.csv"
expect_time "$TMP/rtt.csv" 1 first_byte_s 0.95 "RTT change: sent before"
expect_time "$TMP/rtt.csv" 1 finish_s 1.05 "RTT change: sent before"
expect_time "$TMP/rtt.csv" 2 first_byte_s 2.15 "RTT change: sent after"
expect_time "$TMP/rtt.csv" 2 finish_s 2.25 "RTT change: sent after"
expect_time "$TMP/rtt.csv" 3 finish_s 0.325 "LAN bandwidth trace"
expect_time "$TMP/rtt.csv" 4 finish_s 3.83 "LAN RTT trace"

# ---------------------------------------------------------------------------------------
# The largest values the topology parser accepts (docs/topology-format.md: 1 Pbit/s, RTT one
# day) run: two machines of 1 Pbit/s NICs, a 1 Pbit/s link with a one-day RTT. 1e15 bytes =
# 8e15 bits at 1e15 bits/s take 8 s after the one-way latency of 43200 s.
cat >"$TMP/limits.topo" <<'TOPO'
topology limits
region a za A
region b zb B
machines * 2 1e15
lan * 1e15 86400000
link a b 1e15 86400000
link b a 1e15 86400000
TOPO
printf 'id,start_s,src,dst,bytes\n1,0,a,b,1e15\n' >"$TMP/limits.csv"
run net -t "$TMP/limits.topo" -f "$TMP/limits.csv"
check "largest accepted bandwidth and RTT run: exit 0" "$rc" "status $rc: $(cat "$TMP/err")"
expect_time "$TMP/out" 1 finish_s 43208 "largest accepted bandwidth and RTT"

# ---------------------------------------------------------------------------------------
# Output file and determinism.

run net -t "$TOPO" -f "$DATA/xfers-basic.csv" -o "$TMP/basic-o.csv"
[ "$rc" -eq 0 ] && [ ! -s "$TMP/out" ] && cmp -s "$TMP/basic-o.csv" "$B"
check "-o writes the same CSV as stdout, and nothing to stdout" $?

for i in 1 2; do
	$TIMEOUT "$GAIASIM" net -t "$TOPO" -f "$DATA/xfers-share.csv" -T "$DATA/trace-stall.csv" \
		--bin 0.01 --seed 7 -o "$TMP/det$i.csv" 2>"$TMP/err"
	echo $? >"$TMP/det$i.rc"
done
[ "$(cat "$TMP/det1.rc")" = 0 ] && [ "$(cat "$TMP/det2.rc")" = 0 ] && [ -s "$TMP/det1.csv" ] &&
	cmp -s "$TMP/det1.csv" "$TMP/det2.csv"
check "determinism: two runs give byte-identical CSV" $?

# ---------------------------------------------------------------------------------------
# --db: rows, link byte totals, reproducibility, atomic failure.

if command -v sqlite3 >/dev/null 2>&1; then
	have_sqlite=1
else
	have_sqlite=0
fi

q() {
	sqlite3 -batch "$@"
}

if [ "$have_sqlite" -eq 1 ]; then
	DB=$TMP/runs.db
	run net -t "$TOPO" -f "$DATA/xfers-basic.csv" --db "$DB"
	check "db: basic run exit 0" "$rc" "$(cat "$TMP/err")"
	[ "$(q "$DB" 'SELECT count(*) FROM runs')" = 1 ] &&
		[ "$(q "$DB" "SELECT kind || ',' || status || ',' || topology_name FROM runs")" = "net,complete,net3" ]
	check "db: one complete run of kind net" $? "$(q "$DB" 'SELECT * FROM runs' 2>&1)"
	want_sha=$(sha256sum "$TOPO" | cut -d' ' -f1)
	[ "$(q "$DB" 'SELECT topology_sha256 FROM runs')" = "$want_sha" ] &&
		[ "$(q "$DB" "SELECT trace_name IS NULL AND trace_sha256 IS NULL FROM runs")" = 1 ]
	check "db: topology SHA-256 of the file's bytes, no trace" $?
	# Inputs read from pipes are hashed as read, not by reopening the (drained) pipe.
	DBP=$TMP/pipe.db
	mkfifo "$TMP/topo.fifo" "$TMP/xfers.fifo" "$TMP/trace.fifo"
	cat "$TOPO" >"$TMP/topo.fifo" &
	cat "$DATA/xfers-step.csv" >"$TMP/xfers.fifo" &
	cat "$DATA/trace-step.csv" >"$TMP/trace.fifo" &
	timeout 60 "$GAIASIM" net -t "$TMP/topo.fifo" -f "$TMP/xfers.fifo" -T "$TMP/trace.fifo" \
		--db "$DBP" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	wait
	want_tr=$(sha256sum "$DATA/trace-step.csv" | cut -d' ' -f1)
	want_x=$(sha256sum "$DATA/xfers-step.csv" | cut -d' ' -f1)
	[ "$rc" -eq 0 ] && [ "$(q "$DBP" 'SELECT topology_sha256 FROM runs')" = "$want_sha" ] &&
		[ "$(q "$DBP" 'SELECT trace_sha256 FROM runs')" = "$want_tr" ] &&
		q "$DBP" 'SELECT config_text FROM runs' | grep -qx "transfers_sha256 = $want_x"
	check "db: topology, trace and transfers read from pipes hashed as read" $? \
		"status $rc: $(cat "$TMP/err"); $(q "$DBP" 'SELECT topology_sha256, trace_sha256 FROM runs' 2>&1)"
	[ "$(q "$DB" 'SELECT count(*) FROM transfers')" = 7 ]
	check "db: one transfers row per transfer" $?
	# Transfer 2 (b->a, 1 MB at 1 s) as worked out above.
	[ "$(q "$DB" "SELECT src_region || ',' || dst_region || ',' || size_bytes FROM transfers WHERE transfer_id = 2")" = "b,a,1000000.0" ]
	check "db: transfer row fields" $? "$(q "$DB" 'SELECT * FROM transfers WHERE transfer_id = 2')"
	near "$(q "$DB" 'SELECT finish_s FROM transfers WHERE transfer_id = 2')" 1.45
	check "db: transfer finish_s 1.45" $?
	# Link bytes per pair equal the bytes of the transfers on that pair (pairs with no
	# transfer carry nothing; a zero-byte transfer leaves its pair empty).
	bad_pairs=$(q "$DB" "
		WITH t AS (SELECT src_region s, dst_region d, sum(size_bytes) b FROM transfers GROUP BY 1, 2),
		     l AS (SELECT src_region s, dst_region d, sum(carried_bytes) b FROM link_bytes GROUP BY 1, 2)
		SELECT t.s || '->' || t.d || ' ' || t.b || ' vs ' || coalesce(l.b, 0) FROM t LEFT JOIN l USING (s, d)
		WHERE abs(t.b - coalesce(l.b, 0)) > 1e-6 * t.b + 1e-6
		UNION ALL
		SELECT l.s || '->' || l.d || ' carried ' || l.b || ' without transfers' FROM l LEFT JOIN t USING (s, d)
		WHERE t.s IS NULL")
	[ -z "$bad_pairs" ] && [ "$(q "$DB" 'SELECT count(DISTINCT src_region || dst_region) FROM link_bytes')" = 6 ]
	check "db: per-link byte totals equal transfer sizes" $? "$bad_pairs"
	# By hand: c->b carried 12.5 MB, b's LAN 1 MB, c->a nothing (zero-byte transfer).
	[ "$(q "$DB" "SELECT round(sum(carried_bytes), 3) FROM link_bytes WHERE src_region = 'c' AND dst_region = 'b'")" = 12500000.0 ] &&
		[ "$(q "$DB" "SELECT round(sum(carried_bytes), 3) FROM link_bytes WHERE src_region = 'b' AND dst_region = 'b'")" = 1000000.0 ] &&
		[ "$(q "$DB" "SELECT count(*) FROM link_bytes WHERE src_region = 'c' AND dst_region = 'a'")" = 0 ]
	check "db: link totals by hand (c->b 12.5 MB, LAN b 1 MB, c->a none)" $?
	# Bins are at most --bin (1 s) long and never overlap on one link.
	overlaps=$(q "$DB" "SELECT count(*) FROM link_bytes x JOIN link_bytes y
		ON x.run_id = y.run_id AND x.src_region = y.src_region AND x.dst_region = y.dst_region
		AND x.t0_s < y.t0_s AND y.t0_s < x.t1_s")
	[ "$overlaps" = 0 ] && [ "$(q "$DB" 'SELECT count(*) FROM link_bytes WHERE t1_s - t0_s > 1 + 1e-9')" = 0 ]
	check "db: link bins at most 1 s and disjoint" $?

	# Reproducibility: the same inputs and seed twice give the same rows, apart from
	# run_id, started_at_utc and wall_s.
	DB2=$TMP/det.db
	for i in 1 2; do
		$TIMEOUT "$GAIASIM" net -t "$TOPO" -f "$DATA/xfers-share.csv" -T "$DATA/trace-stall.csv" \
			--bin 0.01 --seed 7 --db "$DB2" >/dev/null 2>&1
	done
	runcols="kind, label, program_version, seed, config_text, topology_name, topology_sha256, trace_name, trace_sha256, sim_end_s, status"
	same=1
	for sql in "SELECT $runcols FROM runs WHERE run_id = RUN" \
		"SELECT transfer_id, src_region, dst_region, size_bytes, start_s, first_byte_s, finish_s FROM transfers WHERE run_id = RUN ORDER BY transfer_id" \
		"SELECT src_region, dst_region, t0_s, t1_s, carried_bytes FROM link_bytes WHERE run_id = RUN ORDER BY src_region, dst_region, t0_s"; do
		q "$DB2" "$(echo "$sql" | sed 's/RUN/1/')" >"$TMP/r1"
		q "$DB2" "$(echo "$sql" | sed 's/RUN/2/')" >"$TMP/r2"
		if [ ! -s "$TMP/r1" ] || ! cmp -s "$TMP/r1" "$TMP/r2"; then
			same=0
		fi
	done
	[ "$same" -eq 1 ] && [ "$(q "$DB2" 'SELECT count(*) FROM runs')" = 2 ]
	check "determinism: two runs write the same DB rows" $?
	[ "$(q "$DB2" 'SELECT DISTINCT trace_name FROM runs')" = trace-stall ] &&
		[ "$(q "$DB2" 'SELECT DISTINCT trace_sha256 FROM runs')" = "$(sha256sum "$DATA/trace-stall.csv" | cut -d' ' -f1)" ]
	check "db: trace name and SHA-256 recorded" $?

	# A run that fails (a->b down for good, trace-down.csv) exits 1 and adds nothing.
	before=$(q "$DB" 'SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM transfers), (SELECT count(*) FROM link_bytes)')
	run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$DATA/trace-down.csv" --db "$DB" -o "$TMP/fail.csv"
	after=$(q "$DB" 'SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM transfers), (SELECT count(*) FROM link_bytes)')
	[ "$rc" -eq 1 ] && grep -q 'transfer 1 (line 3, a -> b) never finishes' "$TMP/err"
	check "failing run: exit 1 naming the stalled transfer" $? "status $rc: $(cat "$TMP/err")"
	[ "$before" = "$after" ] && [ ! -e "$TMP/fail.csv" ]
	check "failing run: no rows added to the DB, no output file" $? "before $before, after $after"
	run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$DATA/trace-down.csv" --db "$TMP/fresh.db"
	[ "$rc" -eq 1 ] && { [ ! -e "$TMP/fresh.db" ] || [ "$(q "$TMP/fresh.db" 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)" = 0 ]; }
	check "failing run: a fresh --db gets no run" $?
elif [ -n "${CI:-}" ]; then
	check "db tests need the sqlite3 program (CI installs it)" 1 "sqlite3 not found"
else
	for c in "db: rows, link totals, reproducibility" "failing run leaves no run in the DB"; do
		skipped "$c (no sqlite3 program)"
	done
fi

# ---------------------------------------------------------------------------------------
# Input errors: exit 1, no CSV on stdout, and FILE:LINE in the message.

# bad_input NAME LINE CONTENT...: write the file, run, expect `FILE:LINE:` on stderr.
bad_input() {
	name=$1
	line=$2
	shift 2
	f=$TMP/bad.csv
	printf '%s\n' "$@" >"$f"
	run net -t "$TOPO" -f "$f"
	[ "$rc" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF "$f:$line: " "$TMP/err"
	check "bad transfers: $name" $? "status $rc, stderr: $(cat "$TMP/err")"
}

H=id,start_s,src,dst,bytes
bad_input "missing column" 2 "$H" "1,0,a,b"
bad_input "extra column" 2 "$H" "1,0,a,b,5,6"
bad_input "header with 4 columns" 1 "id,start_s,src,dst" "1,0,a,b"
bad_input "wrong header name" 1 "id,start,src,dst,bytes" "1,0,a,b,5"
bad_input "header columns out of order" 1 "id,start_s,dst,src,bytes" "1,0,a,b,5"
bad_input "unknown src region" 2 "$H" "1,0,mars,b,5"
bad_input "unknown dst region" 3 "# a comment line counts" "$H" "1,0,a,venus,5"
bad_input "negative bytes" 2 "$H" "1,0,a,b,-5"
bad_input "non-numeric bytes" 2 "$H" "1,0,a,b,5MB"
bad_input "empty bytes" 2 "$H" "1,0,a,b,"
bad_input "bytes inf" 2 "$H" "1,0,a,b,inf"
bad_input "negative start" 2 "$H" "1,-1,a,b,5"
bad_input "non-numeric start" 2 "$H" "1,later,a,b,5"
bad_input "non-integer id" 2 "$H" "1.5,0,a,b,5"
bad_input "duplicate id" 4 "$H" "1,0,a,b,5" "2,0,a,b,5" "1,1,b,a,5"
grep -q 'first on line 2' "$TMP/err"
check "bad transfers: duplicate id names the first line" $? "$(cat "$TMP/err")"

: >"$TMP/empty.csv"
run net -t "$TOPO" -f "$TMP/empty.csv"
[ "$rc" -eq 1 ] && grep -qF "$TMP/empty.csv:1: " "$TMP/err"
check "bad transfers: empty file" $? "status $rc, stderr: $(cat "$TMP/err")"

{
	echo "$H"
	printf '1,0,a,b,'
	head -c 10000000 /dev/zero | tr '\0' 'x'
	echo
} >"$TMP/long.csv"
run net -t "$TOPO" -f "$TMP/long.csv"
[ "$rc" -eq 1 ] && grep -qF "$TMP/long.csv:2: " "$TMP/err" && [ "$(wc -c <"$TMP/err")" -lt 4096 ]
check "bad transfers: a 10 MB line (short message)" $? "status $rc, $(wc -c <"$TMP/err") bytes of stderr"

run net -t "$TOPO" -f "$TMP/does-not-exist.csv"
[ "$rc" -eq 1 ] && grep -qF "$TMP/does-not-exist.csv" "$TMP/err"
check "bad transfers: file does not exist" $? "status $rc, stderr: $(cat "$TMP/err")"

# A topology without the b->a link: reported at b's region line (3).
printf 'topology broken\nregion a za A\nregion b zb B\nmachines * 1 10G\nlan * 1G 0.2\nlink a b 100M 100\n' \
	>"$TMP/bad.topo"
run net -t "$TMP/bad.topo" -f "$DATA/xfers-step.csv"
[ "$rc" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF "$TMP/bad.topo:3: " "$TMP/err"
check "bad topology: FILE:LINE" $? "status $rc, stderr: $(cat "$TMP/err")"
run net -t no-such-topology -f "$DATA/xfers-step.csv"
[ "$rc" -eq 1 ] && grep -q "no-such-topology" "$TMP/err"
check "bad topology: unknown name" $? "status $rc, stderr: $(cat "$TMP/err")"

# A trace naming an unknown region on line 3, and one going back in time on line 3.
printf 'time_s,src,dst,bandwidth_bps\n0,a,b,1e8\n1,a,mars,5\n' >"$TMP/bad-trace.csv"
run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$TMP/bad-trace.csv"
[ "$rc" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF "$TMP/bad-trace.csv:3: " "$TMP/err"
check "bad trace: unknown region at FILE:LINE" $? "status $rc, stderr: $(cat "$TMP/err")"
printf 'time_s,src,dst,bandwidth_bps\n5,a,b,1e8\n1,a,b,5\n' >"$TMP/bad-trace.csv"
run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$TMP/bad-trace.csv"
[ "$rc" -eq 1 ] && grep -qF "$TMP/bad-trace.csv:3: " "$TMP/err"
check "bad trace: time going backwards at FILE:LINE" $? "status $rc, stderr: $(cat "$TMP/err")"
run net -t "$TOPO" -f "$DATA/xfers-step.csv" -T "$TMP/no-trace.csv"
[ "$rc" -eq 1 ] && grep -qF "$TMP/no-trace.csv" "$TMP/err"
check "bad trace: file does not exist" $? "status $rc, stderr: $(cat "$TMP/err")"

# ---------------------------------------------------------------------------------------
# Output that cannot be written is an error, never exit 0: stdout on a full device, and -o on
# a file that cannot grow (a file-size limit: writes fail with EFBIG), which must leave no
# partial CSV behind.

full_stdout() {
	name=$1
	shift
	"$GAIASIM" "$@" >/dev/full 2>"$TMP/err"
	rc=$?
	[ "$rc" -ne 0 ] && grep -q "write error" "$TMP/err"
	check "stdout on a full device: $name exits non-zero with a message" $? "status $rc, stderr: $(head -c 300 "$TMP/err")"
}
if [ -w /dev/full ]; then
	full_stdout "net" net -t "$TOPO" -f "$DATA/xfers-basic.csv"
	full_stdout "topo show" topo show "$TOPO"
	full_stdout "topo check" topo check "$TOPO"
	full_stdout "trace check" trace check -t "$TOPO" "$DATA/trace-step.csv"
	full_stdout "trace gen" trace gen -t "$TOPO" --duration 10 --seed 1
	full_stdout "help" help
	full_stdout "version" version
else
	skipped "stdout on a full device (no /dev/full)"
fi
awk 'BEGIN { print "id,start_s,src,dst,bytes"; for (i = 1; i <= 400; i++) printf "%d,%d,a,b,1000\n", i, i }' >"$TMP/many.csv"
(trap '' XFSZ; ulimit -f 4; exec "$GAIASIM" net -t "$TOPO" -f "$TMP/many.csv" -o "$TMP/big.csv") 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "write error" "$TMP/err" && [ ! -e "$TMP/big.csv" ] &&
	[ -z "$(ls "$TMP" | grep 'big.csv.tmp')" ]
check "-o on a file that cannot grow: exit 1, no partial CSV, no temporary left" $? \
	"status $rc, stderr: $(head -c 300 "$TMP/err"); $(ls "$TMP")"

# ---------------------------------------------------------------------------------------
# Bad command lines: exit 2, a usage message on stderr, nothing on stdout.

usage_error() {
	name=$1
	shift
	run "$@"
	[ "$rc" -eq 2 ] && [ ! -s "$TMP/out" ] && grep -q 'usage:' "$TMP/err"
	check "usage: $name" $? "status $rc, stderr: $(head -c 300 "$TMP/err")"
}

F=$DATA/xfers-step.csv
usage_error "no arguments"
usage_error "unknown subcommand" frobnicate
usage_error "net without arguments" net
usage_error "net without -t" net -f "$F"
usage_error "net without -f" net -t "$TOPO"
usage_error "net -t without value" net -t
usage_error "net unknown long option" net -t "$TOPO" -f "$F" --frobnicate
usage_error "net unknown short option" net -t "$TOPO" -f "$F" -x
usage_error "net --bin abc" net -t "$TOPO" -f "$F" --bin abc
usage_error "net --bin without value" net -t "$TOPO" -f "$F" --bin
usage_error "net --bin 0" net -t "$TOPO" -f "$F" --bin 0
usage_error "net --db :memory: (results would vanish)" net -t "$TOPO" -f "$F" --db :memory:
usage_error "net --db ''" net -t "$TOPO" -f "$F" --db ""
usage_error "net --db file: URI" net -t "$TOPO" -f "$F" --db "file:x.db?mode=memory"
usage_error "net --bin -1" net -t "$TOPO" -f "$F" --bin -1
usage_error "net --bin below 1 ns" net -t "$TOPO" -f "$F" --bin 1e-10
usage_error "net --bin beyond the horizon" net -t "$TOPO" -f "$F" --bin 1e10
usage_error "net --seed x" net -t "$TOPO" -f "$F" --seed x
usage_error "net --seed -1" net -t "$TOPO" -f "$F" --seed -1
usage_error "net stray argument" net -t "$TOPO" -f "$F" stray
usage_error "topo without subcommand" topo
usage_error "topo unknown subcommand" topo frobnicate
usage_error "topo show without argument" topo show
usage_error "topo check with two files" topo check "$TOPO" "$TOPO"
usage_error "trace without subcommand" trace
usage_error "trace unknown subcommand" trace frobnicate
usage_error "trace gen without options" trace gen
usage_error "trace gen non-numeric duration" trace gen -t "$TOPO" --duration x --seed 1
usage_error "trace check without file" trace check -t "$TOPO"

# --help: exit 0, usage on stdout.
for args in "--help" "help" "net --help" "net -h" "topo --help" "trace --help"; do
	# shellcheck disable=SC2086 # split on purpose
	run $args
	[ "$rc" -eq 0 ] && grep -q 'usage' "$TMP/out"
	check "help: gaiasim $args exits 0" $? "status $rc"
done

# A `--bin` within range works (1 ms bins, the step transfer of above: still 0.85 s).
run net -t "$TOPO" -f "$F" --bin 0.001
expect_time "$TMP/out" 1 finish_s 0.85 "--bin 0.001"

echo
[ "$skip" -gt 0 ] && echo "($skip case(s) skipped)"
echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
