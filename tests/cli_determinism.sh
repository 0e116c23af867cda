#!/bin/sh
# Determinism of every workload: the same config and seed give byte-identical outputs. For mf,
# lda and ic (small seeded problems of tests/data) under gaia and bsp, two runs into two fresh
# databases must print the same bytes and store the same rows in every table (the runs row
# without started_at_utc and wall_s, the only columns that depend on when and how fast a run
# went, docs/results-schema.md); a different seed must change the output (so the comparison
# can fail).
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim). Needs the
# sqlite3 program for the stored rows (those cases are skipped without it). Prints
# `TESTCASES: N passed, M failed[, K skipped]`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$DATA/run/small.conf" ]; then
	echo "cli_determinism.sh: need $GAIASIM and $DATA" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-determinism.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
run_gs() {
	name=$1
	shift
	timeout 300 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
# Every stored row of a database, the runs row without its two time-dependent columns.
dump() {
	db=$1
	sqlite3 -batch "$db" "select kind, label, program_version, seed, config_text, topology_name,
		topology_sha256, trace_name, trace_sha256, sim_end_s, status from runs order by run_id"
	for t in $(sqlite3 -batch "$db" "select name from sqlite_master where type = 'table'
		and name not in ('runs', 'sqlite_sequence') order by name"); do
		echo "== $t"
		sqlite3 -batch "$db" "select * from $t order by 1, 2, 3, 4"
	done
}

for spec in "mf run/small.conf" "lda lda/small.conf" "ic ic/run.conf"; do
	wl=${spec%% *}
	conf=$DATA/${spec#* }
	for model in gaia bsp; do
		tag=${wl}_$model
		for k in 1 2; do
			run_gs "${tag}_$k" run "$conf" --set sync="$model" --set stop.clocks=10 \
				--set eval.every=5 --db "$TMP/$tag-$k.db"
		done
		if [ "$(rc "${tag}_1")" = 0 ] && [ "$(rc "${tag}_2")" = 0 ] && [ -s "$TMP/${tag}_1.out" ] &&
			cmp -s "$TMP/${tag}_1.out" "$TMP/${tag}_2.out"; then
			ok "$wl $model: same config and seed, byte-identical output"
		else
			bad "$wl $model: same config and seed, byte-identical output" \
				"$(diff "$TMP/${tag}_1.out" "$TMP/${tag}_2.out" | head -5; cat "$TMP/${tag}_1.err")"
		fi
		if ! command -v sqlite3 >/dev/null 2>&1; then
			skip=$((skip + 1))
			echo "SKIP: $wl $model stored rows (no sqlite3 program)"
			continue
		fi
		dump "$TMP/$tag-1.db" >"$TMP/$tag-1.rows"
		dump "$TMP/$tag-2.db" >"$TMP/$tag-2.rows"
		n=$(grep -cv '^== ' "$TMP/$tag-1.rows")
		if [ "$n" -gt 10 ] && cmp -s "$TMP/$tag-1.rows" "$TMP/$tag-2.rows"; then
			ok "$wl $model: the same $n stored rows"
		else
			bad "$wl $model: the same stored rows ($n)" "$(diff "$TMP/$tag-1.rows" "$TMP/$tag-2.rows" | head -5)"
		fi
	done
	run_gs "${wl}_seed" run "$conf" --set sync=gaia --set stop.clocks=10 --set eval.every=5 --set seed=12345
	if [ "$(rc "${wl}_seed")" = 0 ] && ! cmp -s "$TMP/${wl}_gaia_1.out" "$TMP/${wl}_seed.out"; then
		ok "$wl: another seed changes the output"
	else
		bad "$wl: another seed changes the output" "$(cat "$TMP/${wl}_seed.err")"
	fi
done

if [ "$skip" -gt 0 ]; then
	echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
else
	echo "TESTCASES: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
