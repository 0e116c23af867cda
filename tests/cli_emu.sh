#!/bin/sh
# `gaiasim emu mesh` end to end on loopback, and its command-line contract.
#
# tests/data/emu/two.topo: a->b 20 Mb/s, b->a 10 Mb/s, 40 ms RTT both ways (20 ms one way).
# The peer (tests/emu_peer.py, python3) is a sink/source/echo server and its clients. Expected
# values are worked by hand from the topology:
#   - a one-byte echo through pair a->b crosses a->b then b->a: 20 + 20 = 40 ms added; the
#     delay line never releases early, so the minimum is >= 40 ms (less 0.1 ms for clock
#     reading), and the median must be within 15 ms above it;
#   - 2.5 MB client->server through pair a->b is paced at 20 Mb/s (1 s), 1.25 MB
#     server->client at 10 Mb/s (1 s), two concurrent 1.25 MB uploads share the one 20 Mb/s
#     link (aggregate 20 Mb/s, not 40); rates within 25% (the brief's tolerance for a loaded
#     2-core machine; the shaper's own accuracy is in docs/emulation.md);
#   - with tests/data/emu/trace-up.csv (from time 0: a->b 40 Mb/s, RTT 20 ms): the echo adds
#     10 + 20 = 30 ms and uploads run at 40 Mb/s.
# These cases read the clock (the emulator's job is real time), with wide tolerances; they are
# skipped (exit 77) without python3.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/emu
PEER=${TOP_SRCDIR:-${srcdir:-.}}/tests/emu_peer.py
TOPO=$DATA/two.topo

pass=0
fail=0

if ! command -v python3 >/dev/null 2>&1; then
	echo "cli_emu.sh: python3 not found; skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
for f in "$GAIASIM" "$TOPO" "$PEER"; do
	if [ ! -e "$f" ]; then
		echo "cli_emu.sh: missing $f (set GAIASIM, TESTDATA_DIR, TOP_SRCDIR)" >&2
		echo "TESTCASES: 0 passed, 1 failed"
		exit 1
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-emu.XXXXXX") || exit 99
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
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

check() {
	name=$1
	st=$2
	shift 2
	if [ "$st" -eq 0 ]; then ok "$name"; else bad "$name" "$@"; fi
}

if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout 30"; else TIMEOUT=; fi

# in_range VALUE LO HI: status 0 when LO <= VALUE <= HI (decimal numbers).
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'
}

# The server, on a port of its own choosing.
python3 "$PEER" server "$TMP/server.port" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$TMP/server.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
SPORT=$(cat "$TMP/server.port" 2>/dev/null)
if [ -z "$SPORT" ]; then
	echo "cli_emu.sh: the python3 peer server did not start"
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi

# start_mesh ARGS...: start the mesh on two free ports ($BASE, $BASE+1); waits for its
# three CSV lines in $TMP/mesh.out; pid in $MESH.
start_mesh() {
	BASE=$(python3 "$PEER" freeport 2)
	: >"$TMP/mesh.out" # empty now, so the wait below never sees an earlier run's lines
	"$GAIASIM" emu mesh -t "$TOPO" --to "127.0.0.1:$SPORT" --base-port "$BASE" "$@" \
		>"$TMP/mesh.out" 2>"$TMP/mesh.err" &
	MESH=$!
	PIDS="$PIDS $MESH"
	i=0
	while [ "$(wc -l <"$TMP/mesh.out")" -lt 3 ] && [ $i -lt 100 ]; do
		kill -0 "$MESH" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

# stop_mesh SIGNAL: send it and wait; exit status in $mrc.
stop_mesh() {
	kill "-$1" "$MESH"
	wait "$MESH"
	mrc=$?
}

# --- the port list, then traffic through the shaped pairs ---
start_mesh
printf 'src,dst,port\na,b,%d\nb,a,%d\n' "$BASE" $((BASE + 1)) >"$TMP/expect.csv"
cmp -s "$TMP/expect.csv" "$TMP/mesh.out"
check "CSV header and one line per directed pair, ports base+index (a->b, b->a)" $? \
	"got: $(tr '\n' ' ' <"$TMP/mesh.out")" "stderr: $(cat "$TMP/mesh.err")"

set -- $($TIMEOUT python3 "$PEER" ping "$BASE" 20)
# (upper bound wide for a loaded 2-core machine running a sanitizer build; the tight figures
# are the benchmark's, docs/emulation.md)
in_range "$2" 39.9 1e9 && in_range "$1" 39.9 70
check "echo through a->b adds 20 + 20 ms (min >= 40, median <= 70 ms)" $? "median $1 ms, min $2 ms"

r=$($TIMEOUT python3 "$PEER" upload "$BASE" 2500000 1)
in_range "$r" 15e6 25e6
check "2.5 MB client->server through a->b at 20 Mb/s +-25%" $? "measured $r bits/s"

r=$($TIMEOUT python3 "$PEER" download "$BASE" 1250000)
in_range "$r" 7.5e6 12.5e6
check "1.25 MB server->client through a->b crosses b->a: 10 Mb/s +-25%" $? "measured $r bits/s"

r=$($TIMEOUT python3 "$PEER" upload "$BASE" 1250000 2)
in_range "$r" 15e6 25e6
check "two concurrent uploads share a->b: aggregate 20 Mb/s +-25%, not 2 x 20" $? \
	"measured $r bits/s"

r=$($TIMEOUT python3 "$PEER" upload $((BASE + 1)) 1250000 1)
in_range "$r" 7.5e6 12.5e6
check "1.25 MB client->server through pair b->a at 10 Mb/s +-25%" $? "measured $r bits/s"

stop_mesh TERM
test "$mrc" -eq 0
check "SIGTERM: clean exit 0" $? "status $mrc; stderr: $(cat "$TMP/mesh.err")"

# --- a trace step at time 0 ---
start_mesh -T "$DATA/trace-up.csv"
set -- $($TIMEOUT python3 "$PEER" ping "$BASE" 20)
in_range "$2" 29.9 1e9 && in_range "$1" 29.9 45
check "trace: a->b RTT 20 ms: echo adds 10 + 20 ms (min >= 30, median <= 45 ms)" $? \
	"median $1 ms, min $2 ms"
r=$($TIMEOUT python3 "$PEER" upload "$BASE" 2500000 1)
in_range "$r" 30e6 50e6
check "trace: a->b at 40 Mb/s +-25%" $? "measured $r bits/s"
stop_mesh INT
test "$mrc" -eq 0
check "SIGINT: clean exit 0" $? "status $mrc; stderr: $(cat "$TMP/mesh.err")"

# --- pair order on three regions (tests/data/net/three.topo: a, b, c) ---
B3=$(python3 "$PEER" freeport 6)
: >"$TMP/three.out"
"$GAIASIM" emu mesh -t "$DATA/../net/three.topo" --to "127.0.0.1:$SPORT" --base-port "$B3" \
	>"$TMP/three.out" 2>"$TMP/three.err" &
MESH=$!
PIDS="$PIDS $MESH"
i=0
while [ "$(wc -l <"$TMP/three.out")" -lt 7 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf 'src,dst,port\na,b,%d\na,c,%d\nb,a,%d\nb,c,%d\nc,a,%d\nc,b,%d\n' "$B3" $((B3 + 1)) \
	$((B3 + 2)) $((B3 + 3)) $((B3 + 4)) $((B3 + 5)) >"$TMP/expect3.csv"
cmp -s "$TMP/expect3.csv" "$TMP/three.out"
check "three regions: pairs in src-major order on base+0..5" $? \
	"got: $(tr '\n' ' ' <"$TMP/three.out")" "stderr: $(cat "$TMP/three.err")"
stop_mesh TERM

# --- bad input: a clear message naming the value, non-zero exit, no listener left ---
# expect_fail NAME WANT_STATUS PATTERN ARGS...: gaiasim ARGS exits WANT_STATUS (or any
# non-zero if "nz") and its stderr contains PATTERN.
expect_fail() {
	name=$1 want=$2 pat=$3
	shift 3
	$TIMEOUT "$GAIASIM" "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
	if [ "$want" = nz ]; then test "$st" -ne 0; else test "$st" -eq "$want"; fi &&
		grep -q -- "$pat" "$TMP/err"
	check "$name" $? "status $st; stderr: $(cat "$TMP/err")"
}

expect_fail "missing topology file named" 1 "$TMP/none.topo" \
	emu mesh -t "$TMP/none.topo" --to "127.0.0.1:$SPORT"
printf 'topology x\nregion a ra A\nregion b rb B\nlink a b 10Q 5\n' >"$TMP/bad.topo"
expect_fail "bad topology line named FILE:LINE" 1 "bad.topo:4" \
	emu mesh -t "$TMP/bad.topo" --to "127.0.0.1:$SPORT"
printf 'time_s,src,dst,bandwidth_bps\n0,a,zz,5\n' >"$TMP/bad.csv"
expect_fail "bad trace line named FILE:LINE" 1 "bad.csv:2" \
	emu mesh -t "$TOPO" -T "$TMP/bad.csv" --to "127.0.0.1:$SPORT"

BUSY=$(python3 "$PEER" freeport 2)
python3 "$PEER" listen $((BUSY + 1)) >"$TMP/busy.out" &
LPID=$!
PIDS="$PIDS $LPID"
i=0
while [ ! -s "$TMP/busy.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
expect_fail "port in use: error names the port and the pair" 1 \
	"port $((BUSY + 1)) for pair b->a" \
	emu mesh -t "$TOPO" --to "127.0.0.1:$SPORT" --base-port "$BUSY"
kill "$LPID" 2>/dev/null

expect_fail "--to without a port" 2 "--to 'localhost'" emu mesh -t "$TOPO" --to localhost
expect_fail "--to port 0" 2 "port '0'" emu mesh -t "$TOPO" --to 127.0.0.1:0
expect_fail "--to port not a number" 2 "port 'http'" emu mesh -t "$TOPO" --to 127.0.0.1:http
expect_fail "--to unresolvable host" 2 "no-such-host.invalid" \
	emu mesh -t "$TOPO" --to no-such-host.invalid:80
expect_fail "--to missing" 2 "--to HOST:PORT are required" emu mesh -t "$TOPO"
expect_fail "--base-port out of range" 2 "--base-port '70000'" \
	emu mesh -t "$TOPO" --to "127.0.0.1:$SPORT" --base-port 70000
expect_fail "last port above 65535" 1 "port 65536 for pair b->a" \
	emu mesh -t "$TOPO" --to "127.0.0.1:$SPORT" --base-port 65535
expect_fail "--listen not an address" 1 "--listen 'nowhere'" \
	emu mesh -t "$TOPO" --to "127.0.0.1:$SPORT" --listen nowhere
printf 'topology one\nregion a ra A\nmachines * 1 10G\nlan * 10G 0.2\n' >"$TMP/one.topo"
expect_fail "one-region topology: nothing to relay" 1 "has 1 region" \
	emu mesh -t "$TMP/one.topo" --to "127.0.0.1:$SPORT"
expect_fail "unknown emu command" 2 "unknown command 'grid'" emu grid

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
