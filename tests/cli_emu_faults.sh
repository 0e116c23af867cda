#!/bin/sh
# The faults of an emulated run, end to end through `gaiasim emu run` and `emu node` on the
# tiny experiment (tests/data/emu/tiny.conf: two regions, one node each, 15 clocks of 100 ms),
# and clean stops (docs/emulation.md, "Faults", says which case checks which row). Properties:
#   - emu run / emu validate / a by-hand emu node stopped by SIGTERM / SIGINT / SIGHUP: exit
#     128 + N, one line naming the signal, no child process left (by pid), no temporary folder
#     left (TMPDIR is this test's own folder, so the set of gaiasim-emu-* in it is exact), no
#     run in the database, no results file;
#   - a relay that drops one connection (emu run --mesh-drop singapore,saopaulo,20000; the pair
#     carries about 80 kB in this run, so the drop is mid-run): non-zero exit, the mesh names
#     the pair and the bytes, a node names the dropped connection and the regions, no run;
#   - a peer that never comes up: a by-hand node alone stops after --connect-timeout 1 naming
#     the peer's node, region and address, exit 1, no results file; under emu run, a node that
#     never reports its listener (its topology file is a FIFO that nobody writes a second time,
#     so the node blocks reading it) stops the run after --start-timeout 1 naming the node;
#   - garbage on a by-hand node's listener from a stray connection: the node names the address
#     and the codec error, closes that connection and finishes; emu collect stores the run;
#   - a node killed and restarted by hand: its peer stops naming the dropped connection and
#     writes no results; the restarted node is not rejoined: it stops after --connect-timeout
#     naming its peer (no hang), and an `emu node` of emu run's control mode started by hand
#     with no controller exits 1 at once.
# Real time, 1-4 s per case.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/emu
CONF=$DATA/tiny.conf
TOPO=${TOP_SRCDIR:-.}/topology/ss.topo

. "${TOP_SRCDIR:-${srcdir:-.}}/tests/emu_common.sh"
emu_test_setup cli_emu_faults sqlite3 pgrep
mkdir "$TMP/tmp"
TMPDIR=$TMP/tmp
export TMPDIR
runs() { if [ -e "$1" ]; then q "$1" "SELECT count(*) FROM runs"; else echo 0; fi; }

# Wait (up to 10 s) until process $1 has at least $2 children; print their pids.
children() {
	i=0
	while [ $i -lt 100 ]; do
		k=$(pgrep -P "$1")
		[ "$(echo "$k" | grep -c .)" -ge "$2" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	echo $k
}
# 0 if none of the pids is alive.
all_gone() {
	for k in "$@"; do kill -0 "$k" 2>/dev/null && return 1; done
	return 0
}

# --- 1. emu run interrupted: SIGTERM once its 2 nodes and 2 meshes run ---
"$GAIASIM" emu run "$CONF" --db "$TMP/term.db" --timeout 50 >/dev/null 2>"$TMP/term.err" &
run=$!
kids=$(children $run 4)
sleep 0.5
kill -TERM $run
wait $run
st=$?
check "SIGTERM: emu run exits 128+15" "$([ $st = 143 ]; echo $?)" "exit $st" "$(cat "$TMP/term.err")"
check "SIGTERM: one line naming the signal" \
	"$([ "$(grep -c 'emu run: interrupted by signal 15' "$TMP/term.err")" = 1 ] && [ "$(grep -c . "$TMP/term.err")" = 1 ]; echo $?)" \
	"$(cat "$TMP/term.err")"
check "SIGTERM: the 4 children (nodes, meshes) are gone" \
	"$([ "$(echo $kids | wc -w)" = 4 ] && all_gone $kids; echo $?)" "children: $kids"
left=$(ls "$TMP/tmp")
check "SIGTERM: no temporary folder left in \$TMPDIR" "$([ -z "$left" ]; echo $?)" "$left"
check "SIGTERM: no run stored" "$([ "$(runs "$TMP/term.db")" = 0 ]; echo $?)"

# --- emu validate interrupted by SIGINT during its emulated half ---
"$GAIASIM" emu validate "$CONF" --timeout 50 >/dev/null 2>"$TMP/int.err" &
run=$!
kids=$(children $run 4)
kill -INT $run
wait $run
st=$?
check "SIGINT: emu validate exits 128+2, naming the signal, children and folder gone" \
	"$([ $st = 130 ] && grep -q 'emu validate: interrupted by signal 2' "$TMP/int.err" &&
	   all_gone $kids && [ -z "$(ls "$TMP/tmp")" ]; echo $?)" "exit $st" "$(cat "$TMP/int.err")"

# --- 2. a relay drops one connection ---
$TIMEOUT "$GAIASIM" emu run "$CONF" --db "$TMP/drop.db" --timeout 50 \
	--mesh-drop singapore,saopaulo,20000 >/dev/null 2>"$TMP/drop.err"
st=$?
check "dropped connection: non-zero exit" "$([ $st -ne 0 ]; echo $?)" "$(cat "$TMP/drop.err")"
grep -q "fault injected (--drop): closed a connection of pair singapore->saopaulo (port [0-9]*) after [0-9]* bytes" "$TMP/drop.err"
check "dropped connection: the mesh names the pair" $? "$(cat "$TMP/drop.err")"
grep -q "node 0 (region singapore): the connection to node 1 (region saopaulo) (lane [01], via 127.0.0.1:[0-9]*) was dropped" "$TMP/drop.err"
check "dropped connection: the sending node names it and the regions" $? "$(cat "$TMP/drop.err")"
check "dropped connection: no run stored, no temporary folder" \
	"$([ "$(runs "$TMP/drop.db")" = 0 ] && [ -z "$(ls "$TMP/tmp")" ]; echo $?)"
"$GAIASIM" emu run "$CONF" --mesh-drop singapore,nowhere,5 >/dev/null 2>"$TMP/drop2.err"
check "a bad --mesh-drop names the value and the region" \
	"$([ $? -ne 0 ] && grep -q "mesh-drop 'singapore,nowhere,5': 'nowhere' is not a region" "$TMP/drop2.err"; echo $?)" \
	"$(cat "$TMP/drop2.err")"

# --- 3b. under emu run: a node that never reports its listener ---
mkfifo "$TMP/fifo.topo"
sed "s|^topology = .*|topology = $TMP/fifo.topo|" "$CONF" >"$TMP/fifo.conf"
cat "$TOPO" >"$TMP/fifo.topo" & # read once, by emu run itself; the nodes then block on it
writer=$!
$TIMEOUT "$GAIASIM" emu run "$TMP/fifo.conf" --db "$TMP/fifo.db" --start-timeout 1 \
	>/dev/null 2>"$TMP/fifo.err"
st=$?
kill $writer 2>/dev/null
check "node never up under emu run: exit 1 after --start-timeout, naming both nodes (both block)" \
	"$([ $st = 1 ] && [ "$(grep -c "node process of region [a-z]* (nodes [0-9]-[0-9]) pid [0-9]* did not open its listener within 1 s" "$TMP/fifo.err")" = 2 ]; echo $?)" \
	"exit $st" "$(cat "$TMP/fifo.err")"
check "node never up under emu run: no run stored, no temporary folder" \
	"$([ "$(runs "$TMP/fifo.db")" = 0 ] && [ -z "$(ls "$TMP/tmp")" ]; echo $?)"

# --- by hand (emu node --peers); nodes reach each other's listeners directly, no meshes ---
if command -v python3 >/dev/null 2>&1 && [ -e "${TOP_SRCDIR:-.}/tests/emu_peer.py" ]; then
	B=$(python3 "${TOP_SRCDIR:-.}/tests/emu_peer.py" freeport 3)
	PA=$B PB=$((B + 1)) PX=$((B + 2))
	printf 'singapore 127.0.0.1 %s\nsaopaulo 127.0.0.1 %s\n' "$PA" "$PB" >"$TMP/peers"
	node() { # node REGION RESULTS ERR [options]: started in the background
		r=$1 res=$2 err=$3
		shift 3
		"$GAIASIM" emu node "$CONF" --id "$r" --peers "$TMP/peers" --results "$res" \
			--listen 127.0.0.1 --linger 1 "$@" 2>"$err" &
	}

	# 3. a peer that never comes up (nobody listens on PX)
	printf 'singapore 127.0.0.1 %s\nsaopaulo 127.0.0.1 %s\n' "$PA" "$PX" >"$TMP/peers-x"
	$TIMEOUT "$GAIASIM" emu node "$CONF" --id singapore --peers "$TMP/peers-x" \
		--results "$TMP/x.txt" --listen 127.0.0.1 --connect-timeout 1 2>"$TMP/x.err"
	st=$?
	grep -q "node 1 (region saopaulo) never came up: node 0 (region singapore) cannot connect to it at 127.0.0.1:$PX after" "$TMP/x.err"
	check "peer never up: exit 1 naming the peer's node, region and address" \
		"$([ $? = 0 ] && [ $st = 1 ]; echo $?)" "exit $st" "$(cat "$TMP/x.err")"
	check "peer never up: no results file" "$([ ! -e "$TMP/x.txt" ]; echo $?)"

	# 4. garbage from a stray connection on node A's listener
	node singapore "$TMP/ga.txt" "$TMP/ga.err"
	na=$!
	node saopaulo "$TMP/gb.txt" "$TMP/gb.err"
	nb=$!
	sleep 0.5
	python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 100); s.recv(1); s.close()' "$PA"
	wait $na
	sa=$?
	wait $nb
	sb=$?
	grep -q "garbage from the peer at 127.0.0.1:[0-9]* (no valid frame yet): .*; closed that connection, the run goes on" "$TMP/ga.err"
	check "garbage: the node names the address and the codec error" $? "$(cat "$TMP/ga.err")"
	check "garbage: both nodes finish" "$([ $sa = 0 ] && [ $sb = 0 ]; echo $?)" \
		"exit $sa $sb" "$(cat "$TMP/ga.err" "$TMP/gb.err")"
	"$GAIASIM" emu collect "$CONF" --db "$TMP/g.db" "$TMP/ga.txt" "$TMP/gb.txt" >/dev/null 2>"$TMP/gc.err"
	check "garbage: emu collect stores the run" \
		"$([ $? = 0 ] && [ "$(runs "$TMP/g.db")" = 1 ]; echo $?)" "$(cat "$TMP/gc.err")"

	# 5. node B killed mid-run, then started again
	node singapore "$TMP/ka.txt" "$TMP/ka.err"
	na=$!
	node saopaulo "$TMP/kb.txt" "$TMP/kb.err"
	nb=$!
	sleep 0.7
	kill -9 $nb
	wait $nb 2>/dev/null
	wait $na
	sa=$?
	grep -q "node 0 (region singapore): the connection to node 1 (region saopaulo) (lane [01], via 127.0.0.1:$PB) was dropped" "$TMP/ka.err"
	check "killed peer: the other node exits 1 naming the dropped connection" \
		"$([ $? = 0 ] && [ $sa = 1 ]; echo $?)" "exit $sa" "$(cat "$TMP/ka.err")"
	check "killed peer: no results file from either node" \
		"$([ ! -e "$TMP/ka.txt" ] && [ ! -e "$TMP/kb.txt" ]; echo $?)"
	$TIMEOUT "$GAIASIM" emu node "$CONF" --id saopaulo --peers "$TMP/peers" \
		--results "$TMP/kb.txt" --listen 127.0.0.1 --connect-timeout 1 2>"$TMP/kb2.err"
	st=$?
	grep -q "node 0 (region singapore) never came up: node 1 (region saopaulo) cannot connect to it at 127.0.0.1:$PA" "$TMP/kb2.err"
	check "restarted node: not rejoined, exits 1 naming its peer (no hang)" \
		"$([ $? = 0 ] && [ $st = 1 ] && [ ! -e "$TMP/kb.txt" ]; echo $?)" "exit $st" "$(cat "$TMP/kb2.err")"

	# a by-hand node stopped by SIGHUP before it finished
	node singapore "$TMP/ha.txt" "$TMP/ha.err"
	na=$!
	sleep 0.5
	kill -HUP $na
	wait $na
	st=$?
	check "SIGHUP: emu node exits 128+1, naming its region and the signal, no results file" \
		"$([ $st = 129 ] && grep -q 'emu node 0 (singapore): interrupted by signal 1' "$TMP/ha.err" && [ ! -e "$TMP/ha.txt" ]; echo $?)" \
		"exit $st" "$(cat "$TMP/ha.err")"
fi

# an emu node of emu run's control mode started by hand (no controller on stdin): exits 1
$TIMEOUT "$GAIASIM" emu node "$CONF" --region 1 --results "$TMP/c.txt" </dev/null >/dev/null 2>"$TMP/c.err"
st=$?
check "control-mode node without a controller: exit 1 at once, naming its region" \
	"$([ $st = 1 ] && grep -q 'emu node (region 1): control pipe closed before start' "$TMP/c.err" && [ ! -e "$TMP/c.txt" ]; echo $?)" \
	"exit $st" "$(cat "$TMP/c.err")"

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
