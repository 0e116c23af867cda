#!/bin/sh
# `gaiasim merge OUT.db IN.db...` end to end. Inputs are made with the program itself (compares
# of tests/data/run/small.conf with different seeds, and a `gaiasim net` run so that the
# transfers and link_bytes tables hold rows too). The properties are checked with the sqlite3
# tool, independently of the program: per table, rows after = rows before + rows of every input
# (no run lost, none duplicated); every input row reappears under its run's new run_id (child
# rows follow their run); the output's own runs keep their ids; a duplicate run, a schema
# version mismatch, a damaged file, a non-gaiasim file and a missing file are refused whole
# (exit 1, the output unchanged, or not created); incomplete runs are skipped with a note.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim). Prints PASS/FAIL
# per case and `TESTCASES: N passed, M failed`. Skipped (77) when sqlite3 is not installed.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
CONF=$DATA/run/small.conf
pass=0
fail=0

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "cli_merge.sh: sqlite3 not installed (Debian: sqlite3): skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-merge.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }

# gs NAME ARGS...: run gaiasim, stdout/stderr/status to $TMP/NAME.{out,err,rc}
gs() {
	name=$1
	shift
	timeout 120 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
q() { sqlite3 -batch "$1" "$2"; }

# tables of a database (sqlite3's view, not the program's)
tables() { q "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"; }
# "table rows" lines for every table
counts() { for t in $(tables "$1"); do echo "$t $(q "$1" "SELECT count(*) FROM \"$t\"")"; done; }
# rows of table $2 in database $1 (0 when it has no such table)
rows() { n=$(q "$1" "SELECT count(*) FROM sqlite_master WHERE name = '$2'"); [ "$n" = 1 ] && q "$1" "SELECT count(*) FROM \"$2\"" || echo 0; }

# ---- inputs ----
A=$TMP/a.db B=$TMP/b.db C=$TMP/c.db OUT=$TMP/out.db
gs a compare "$CONF" --sync bsp,gaia,lan --set stop.clocks=10 --db "$A"
gs b compare "$CONF" --sync bsp,lan --set stop.clocks=10 --set seed=8 --db "$B"
printf 'id,start_s,src,dst,bytes\n1,0,virginia,california,20000000\n2,0.5,california,virginia,10000000\n' >"$TMP/x.csv"
gs bn net -t vc -f "$TMP/x.csv" --bin 0.25 --db "$B"
gs c compare "$CONF" --sync gaia --set stop.clocks=10 --set seed=10 --db "$C"
gs o run "$CONF" --set stop.clocks=10 --set seed=9 --db "$OUT"
if [ "$(rc a)$(rc b)$(rc bn)$(rc c)$(rc o)" != 00000 ]; then
	bad "fixture databases" "$(cat "$TMP"/*.err)"
	echo "TESTCASES: $pass passed, $fail failed"
	exit 1
fi
ok "fixtures: a.db 3 runs, b.db 3 runs (one net), c.db 1 run, out.db 1 run"
check "fixture: b.db has transfers and link_bytes rows" \
	"$([ "$(rows "$B" transfers)" -gt 0 ] && [ "$(rows "$B" link_bytes)" -gt 0 ] && echo yes)" yes

# ---- a merge: no run lost, none duplicated ----
cp "$OUT" "$TMP/out-before.db"
out_run=$(q "$OUT" "SELECT run_id FROM runs")
out_clocks=$(q "$OUT" "SELECT count(*) FROM clocks WHERE run_id = $out_run")
gs m1 merge "$OUT" "$A" "$B"
check "merge a b into out: exit 0" "$(rc m1)" 0
good=1
for t in $(tables "$OUT"); do
	want=$(( $(rows "$TMP/out-before.db" "$t") + $(rows "$A" "$t") + $(rows "$B" "$t") ))
	got=$(rows "$OUT" "$t")
	[ "$got" = "$want" ] || { good=0; bad "table $t after the merge" "got $got rows, want $want"; }
done
[ $good = 1 ] && ok "every table: rows after = rows before + rows of each input"
check "7 runs, 7 distinct identities" \
	"$(q "$OUT" "SELECT count(*) || ' ' || (SELECT count(*) FROM (SELECT DISTINCT kind, label, config_text, seed, program_version, topology_sha256, trace_sha256 FROM runs)) FROM runs")" "7 7"
check "the output's own run keeps its id and its rows" \
	"$(q "$OUT" "SELECT count(*) FROM clocks WHERE run_id = $out_run")" "$out_clocks"
check "merged runs get new ids after the output's (2..7)" \
	"$(q "$OUT" "SELECT group_concat(run_id, ',') FROM (SELECT run_id FROM runs ORDER BY run_id)")" "1,2,3,4,5,6,7"

# Child rows follow their run: every row of every input table, with its run identified by
# (kind, label, config_text, seed) instead of run_id, is in the output, and vice versa.
follow() { # follow INPUT TABLE -> number of rows of INPUT's TABLE missing from OUT
	cols=$(q "$1" "SELECT group_concat('x.\"' || name || '\"', ', ') FROM pragma_table_info('$2') WHERE name <> 'run_id'")
	key="r.kind, r.label, r.config_text, r.seed"
	[ "$2" = runs ] && cols="x.status"
	sqlite3 -batch "$OUT" "ATTACH '$1' AS i;
		SELECT count(*) FROM (SELECT $key, $cols FROM i.\"$2\" x JOIN i.runs r USING (run_id)
		EXCEPT SELECT $key, $cols FROM main.\"$2\" x JOIN main.runs r USING (run_id));"
}
good=1
for db in "$A" "$B"; do
	for t in $(tables "$db"); do
		[ "$(q "$db" "SELECT count(*) FROM pragma_table_info('$t') WHERE name = 'run_id'")" = 1 ] || continue
		n=$(follow "$db" "$t")
		[ "$n" = 0 ] || { good=0; bad "rows of $t from $(basename "$db") under their new run_id" "$n rows missing"; }
	done
done
[ $good = 1 ] && ok "every input row is in the output under its run's new run_id"
check "b's net run: transfers follow run 3 -> 7" \
	"$(q "$OUT" "SELECT count(*) FROM transfers WHERE run_id = 7")" "$(q "$B" "SELECT count(*) FROM transfers WHERE run_id = 3")"

# ---- refusals: whole, nothing written ----
snap() { counts "$OUT" | tr '\n' ' '; }
before=$(snap)
gs dup merge "$OUT" "$C" "$A"
check "a duplicate run: exit 1" "$(rc dup)" 1
check "a duplicate run: the output is unchanged (c's new run not added either)" "$(snap)" "$before"
check "a duplicate run: the message names it" "$(grep -c "already in" "$TMP/dup.err")" 1

cp "$A" "$TMP/v.db"
q "$TMP/v.db" "PRAGMA user_version = 999"
gs ver merge "$OUT" "$C" "$TMP/v.db"
check "schema version 999: exit 1" "$(rc ver)" 1
check "schema version 999: the output is unchanged" "$(snap)" "$before"
check "schema version 999: the message says so" "$(grep -c "schema version 999" "$TMP/ver.err")" 1

cp "$C" "$TMP/k.db"
pages=$(q "$TMP/k.db" "PRAGMA page_count")
psize=$(q "$TMP/k.db" "PRAGMA page_size")
# overwrite the last page (a table's b-tree page) with 0xff bytes: not a valid page
head -c "$psize" /dev/zero | tr '\000' '\377' |
	dd of="$TMP/k.db" bs="$psize" seek=$((pages - 1)) conv=notrunc 2>/dev/null
gs cor merge "$OUT" "$TMP/k.db"
check "a damaged input: exit 1" "$(rc cor)" 1
check "a damaged input: the output is unchanged" "$(snap)" "$before"
check "a damaged input: named as damaged" "$(grep -c "k.db: damaged\|k.db: .*malformed\|k.db: not a results database" "$TMP/cor.err")" 1

echo "not a database" >"$TMP/text.db"
gs txt merge "$OUT" "$C" "$TMP/text.db"
check "a text file: exit 1, output unchanged" "$(rc txt) $(snap)" "1 $before"
q "$TMP/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
gs oth merge "$OUT" "$TMP/other.db"
check "an SQLite file of another program: exit 1, named" "$(rc oth) $(grep -c "not a gaiasim results database" "$TMP/oth.err")" "1 1"
gs mis merge "$OUT" "$C" "$TMP/missing.db"
check "a missing input: exit 1, output unchanged" "$(rc mis) $(snap)" "1 $before"
check "a missing input is not created" "$(ls "$TMP/missing.db" 2>/dev/null)" ""
gs new merge "$TMP/new.db" "$A" "$A"
check "the same run twice among the inputs: exit 1" "$(rc new)" 1
check "a refused merge leaves no new output file" "$(ls "$TMP"/new.db* 2>/dev/null)" ""
gs self merge "$OUT" "$OUT"
check "merging the output into itself: exit 1, unchanged" "$(rc self) $(snap)" "1 $before"

# ---- incomplete runs: skipped with a note ----
cp "$C" "$TMP/i.db"
q "$TMP/i.db" "INSERT INTO runs (kind, label, started_at_utc, program_version, seed, config_text, topology_name, topology_sha256, status)
	VALUES ('run', 'half', '2026-01-01T00:00:00Z', 'gaiasim 0.1.0', 1, 'x = 1', 'vc', '$(printf '%064d' 0)', 'running')"
gs inc merge "$OUT" "$TMP/i.db"
check "an incomplete run: exit 0" "$(rc inc)" 0
check "an incomplete run: a note" "$(grep -c "not complete.*skipped" "$TMP/inc.err")" 1
check "an incomplete run is left out, the complete one merged" \
	"$(q "$OUT" "SELECT count(*) FROM runs WHERE label = 'half'") $(q "$OUT" "SELECT count(*) FROM runs")" "0 8"

# ---- command line ----
gs u0 merge
gs u1 merge "$OUT"
gs u2 merge --frob "$OUT" "$A"
check "usage errors exit 2" "$(rc u0)$(rc u1)$(rc u2)" 222

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
