# tests/emu_common.sh: what the emulated-run scenario tests (cli_emu_run.sh, cli_emu_faults.sh,
# cli_emu_global.sh) share, sourced by each: the pass/fail bookkeeping that ends in the
# `TESTCASES: N passed, M failed` line CI counts, a range check, an sqlite3 query helper, and
# emu_test_setup, which skips (exit 77) when a tool is missing and makes the test's temporary
# folder (removed on exit) and the `timeout 60` guard for runs that could hang.

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "PASS: $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $1"
	shift
	for why in "$@"; do echo "    $why"; done
}
# check NAME STATUS [DETAIL...]: a case passes when STATUS is 0; DETAIL lines explain a failure.
check() {
	name=$1
	st=$2
	shift 2
	if [ "$st" -eq 0 ]; then ok "$name"; else bad "$name" "$@"; fi
}
# in_range V LO HI: 0 when V is a number in [LO, HI].
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'
}
q() { sqlite3 "$1" "$2"; }

# emu_by_hand CONF ID_A ID_B RESULTS_A RESULTS_B: the two-host walk-through of
# docs/emulation.md on loopback, for the two-region topology ss: regions singapore (ID_A) and
# saopaulo (ID_B; a name or an index) each run `emu node --peers` behind a mesh of their own
# that relays to them; waits for both nodes, stops the meshes. Sets sa and sb to the nodes'
# exit statuses; their stderr goes to $TMP/na.err and $TMP/nb.err. Needs python3 (free ports).
emu_by_hand() {
	B=$(python3 "${TOP_SRCDIR:-.}/tests/emu_peer.py" freeport 6)
	PA=$B PB=$((B + 1)) MA=$((B + 2)) MB=$((B + 4))
	printf 'singapore 127.0.0.1 %s\nsaopaulo 127.0.0.1 %s\n' "$PA" "$MB" >"$TMP/peers-a"
	printf 'saopaulo 127.0.0.1 %s\nsingapore 127.0.0.1 %s\n' "$PB" $((MA + 1)) >"$TMP/peers-b"
	"$GAIASIM" emu node "$1" --id "$2" --peers "$TMP/peers-a" --results "$4" \
		--linger 1 2>"$TMP/na.err" &
	na=$!
	"$GAIASIM" emu node "$1" --id "$3" --peers "$TMP/peers-b" --results "$5" \
		--linger 1 2>"$TMP/nb.err" &
	nb=$!
	"$GAIASIM" emu mesh -t ss --base-port "$MA" --to "127.0.0.1:$PA" >/dev/null 2>&1 &
	ma=$!
	"$GAIASIM" emu mesh -t ss --base-port "$MB" --to "127.0.0.1:$PB" >/dev/null 2>&1 &
	mb=$!
	wait "$na"
	sa=$?
	wait "$nb"
	sb=$?
	kill "$ma" "$mb" 2>/dev/null
	wait "$ma" "$mb" 2>/dev/null
}

# child_matching PID PATTERN: wait (up to 10 s) for a child of PID whose command line matches
# PATTERN (pgrep -f); print its pid, or nothing.
child_matching() {
	i=0
	k=
	while [ -z "$k" ] && [ $i -lt 100 ]; do
		sleep 0.1
		k=$(pgrep -P "$1" -f "$2" | head -n 1)
		i=$((i + 1))
	done
	echo $k
}

# emu_test_setup NAME TOOL...: skip unless every TOOL is on PATH; then TMP (a fresh folder,
# removed on exit; an interrupt exits 1) and TIMEOUT ("timeout 60" when available).
emu_test_setup() {
	name=$1
	shift
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "$name.sh: $tool not found; skipped"
			echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
			exit 77
		fi
	done
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-$name.XXXXXX") || exit 99
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 1' INT TERM HUP
	if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout 60"; else TIMEOUT=; fi
}
