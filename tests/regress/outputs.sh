#!/usr/bin/env bash
# Behaviour regression check: run one gaiasim program over the shipped configurations and the
# test fixtures and write every output it produces (stdout CSVs and tables, and every row of
# every results table, minus the columns that are wall-clock or version by nature) into one
# folder, one file per output. Two such folders, from a program before and after a change,
# must be byte-identical when the change is meant not to alter behaviour:
#
#   tests/regress/outputs.sh OLD/gaiasim /tmp/before
#   tests/regress/outputs.sh NEW/gaiasim /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# or, in one step against a git revision (built in a temporary folder):
#
#   tests/regress/outputs.sh --against REV NEW/gaiasim
#
# --ignore-columns COL[,COL...] (first, before the other arguments) leaves those columns out of
# every table dump, e.g. columns a change adds on purpose (the tables are then dumped with their
# columns named explicitly rather than with SELECT *):
#
#   tests/regress/outputs.sh --ignore-columns test_metric,threshold --against REV NEW/gaiasim
#
# Needs sqlite3. Takes about a minute on 2 cores.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

ignore=
if [ "${1:-}" = "--ignore-columns" ]; then
	ignore=${2:?usage: outputs.sh --ignore-columns COL[,COL...] ...}
	shift 2
fi

if [ "${1:-}" = "--against" ]; then
	rev=${2:?usage: outputs.sh [--ignore-columns COLS] --against REV NEW_GAIASIM}
	new=${3:?usage: outputs.sh [--ignore-columns COLS] --against REV NEW_GAIASIM}
	work=$(mktemp -d /tmp/gaiasim-regress.XXXXXX)
	git -C "$top" worktree add -q --detach "$work/src" "$rev" || exit 1
	(cd "$work/src" && autoreconf -fi >/dev/null 2>&1 && mkdir -p "$work/build" &&
	 cd "$work/build" && "$work/src/configure" -q && make -j"$(nproc)" gaiasim >/dev/null 2>&1) ||
		{ echo "outputs.sh: cannot build $rev" >&2; exit 1; }
	"$0" ${ignore:+--ignore-columns "$ignore"} "$work/build/gaiasim" "$work/before" || exit 1
	"$0" ${ignore:+--ignore-columns "$ignore"} "$new" "$work/after" || exit 1
	git -C "$top" worktree remove --force "$work/src"
	if diff -r "$work/before" "$work/after" >"$work/diff.txt"; then
		echo "outputs identical to $rev ($(ls "$work/after" | wc -l) files${ignore:+, ignoring columns $ignore})"
		rm -rf "$work"
		exit 0
	fi
	head -40 "$work/diff.txt"
	echo "outputs differ from $rev: $work/diff.txt"
	exit 1
fi

prog=${1:?usage: outputs.sh GAIASIM OUTDIR}
out=${2:?usage: outputs.sh GAIASIM OUTDIR}
prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
command -v sqlite3 >/dev/null || { echo "outputs.sh: needs sqlite3" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
export GAIASIM_TOPODIR="$top/topology"
data="$top/tests/data"
cd "$out" || exit 1

# The columns of table $2 in database $1 (generated ones included), minus the ignored ones and
# the wall-clock ones (named *_utc), comma-separated in table order.
columns() {
	sqlite3 "$1" "SELECT name FROM pragma_table_xinfo('$2') WHERE hidden <> 1 AND name NOT LIKE '%_utc' ORDER BY cid" |
		awk -v ign=",$ignore," 'index(ign, "," $0 ",") == 0' | paste -sd, -
}

# Every table's rows, in a fixed order, without the nondeterministic columns.
dump_db() {
	local db=$1 name=$2
	sqlite3 -header -csv "$db" \
		"SELECT run_id, kind, label, config_text, seed, topology_name, topology_sha256,
		        trace_name, trace_sha256, sim_end_s, status FROM runs ORDER BY run_id" >"$name.runs.csv"
	for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'runs' ORDER BY name"); do
		cols=$(columns "$db" "$t")
		ncol=$(echo "$cols" | tr ',' '\n' | wc -l)
		sqlite3 -header -csv "$db" "SELECT $cols FROM $t ORDER BY $(seq -s, 1 "$((ncol < 5 ? ncol : 5))")" \
			>"$name.$t.csv"
	done
	rm -f "$db" "$db-wal" "$db-shm"
}

n=0
# gaiasim net over the network fixtures, with and without traces.
for x in basic share asym step rtt; do
	"$prog" net -t "$data/net/three.topo" -f "$data/net/xfers-$x.csv" -o "net-$x.csv" \
		--db "net-$x.db" >"net-$x.stdout" 2>&1
	dump_db "net-$x.db" "net-$x"
	n=$((n + 1))
done
for tr in step rtt stall down; do
	"$prog" net -t "$data/net/three.topo" -f "$data/net/xfers-basic.csv" \
		-T "$data/net/trace-$tr.csv" -o "net-trace-$tr.csv" --db "net-trace-$tr.db" \
		>"net-trace-$tr.stdout" 2>&1
	dump_db "net-trace-$tr.db" "net-trace-$tr"
done

# Training runs: the shipped configs and the test config, every sync model.
for conf in "$top"/workloads/mf-*.conf "$data/run/small.conf"; do
	base=$(basename "$conf" .conf)
	for fmt in table csv; do
		"$prog" compare "$conf" --sync bsp,ssp:3,async,gaia,lan --set stop.clocks=30 \
			--format "$fmt" --db "$base-$fmt.db" >"$base-compare.$fmt" 2>&1
		dump_db "$base-$fmt.db" "$base-compare-$fmt"
	done
	"$prog" run "$conf" --set stop.clocks=30 --set gaia.hubs=off --db "$base-run.db" \
		>"$base-run.stdout" 2>&1
	dump_db "$base-run.db" "$base-run"
done
# Gaia's options on the 11-region config: hubs, SSP inside, slack, the other schedules.
conf="$top/workloads/mf-ec2-11.conf"
i=0
for set in "gaia.hubs=on" "gaia.local=ssp:2 gaia.slack=2" "gaia.schedule=constant gaia.apply=significant" \
           "gaia.schedule=adaptive gaia.barrier=off" "gaia.schedule=lr gaia.flush_every=5" \
           "straggler=virginia:3"; do
	args=()
	for kv in $set; do args+=(--set "$kv"); done
	"$prog" run "$conf" --set stop.clocks=20 "${args[@]}" --db "opt-$i.db" >"opt-$i.stdout" 2>&1
	dump_db "opt-$i.db" "opt-$i"
	i=$((i + 1))
done
# Inputs that must fail, with their messages. The topology search path in a message names the
# folders the program looks in (which depend on where it was built); each is written as DIR so
# that two builds from different folders compare equal.
for bad in "$data"/run/bad-*.conf; do
	"$prog" run "$bad" 2>&1 | sed -E 's#/[^ ,]*/topology#DIR/topology#g' \
		>"$(basename "$bad" .conf).err"
	echo "exit ${PIPESTATUS[0]}" >>"$(basename "$bad" .conf).err"
done
ls | wc -l >/dev/null
exit 0
