#!/bin/sh
# `gaiasim reproduce` end to end with a tiny experiment matrix (--matrix) on
# tests/data/run/small.conf: interrupted (SIGTERM once the first experiment's database exists)
# and resumed, the final results.db holds every run of the matrix exactly once; a third call
# reruns nothing; REPORT.md's numbers equal the database's, queried here with sqlite3 (and its
# agree/disagree sentences follow from them); the job list (--jobs), run by plain sh (or GNU
# parallel when installed) and merged with `gaiasim merge`, gives the same runs as reproduce;
# bad matrix files are errors naming FILE:LINE; net.bw_scale rejects bad values.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim). Prints PASS/FAIL
# per case and `TESTCASES: N passed, M failed`. Skipped (77) when sqlite3 is not installed.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
CONF=$DATA/run/small.conf
pass=0
fail=0

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "cli_reproduce.sh: sqlite3 not installed (Debian: sqlite3): skipped"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-repro.XXXXXX") || exit 99
case $CONF in /*) ;; *) CONF=$PWD/$CONF ;; esac
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
gs() {
	name=$1
	shift
	timeout 300 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
q() { sqlite3 -batch "$1" "$2"; }
sums() { cksum "$1"/runs/*.db | sort; }

# The matrix: 10 runs in 4 experiments; the later ones take long enough (300 clocks) for the
# interruption to land while the matrix is being run.
M=$TMP/matrix.txt
cat >"$M" <<EOF
# tiny matrix for tests/cli_reproduce.sh
@quick seed=11
main-a          $CONF  bsp,gaia,lan  stop.clocks=10   +quick
motivation-a    $CONF  bsp,lan       stop.clocks=300
threshold-0.01  $CONF  gaia,lan      stop.clocks=300  gaia.schedule=constant gaia.threshold=0.01
bw-0.5          $CONF  bsp,gaia,lan  stop.clocks=300  net.bw_scale=0.5   # WAN at half speed
EOF
LABELS="bw-0.5/bsp bw-0.5/gaia bw-0.5/lan main-a/bsp main-a/gaia main-a/lan motivation-a/bsp motivation-a/lan threshold-0.01/gaia threshold-0.01/lan"
OUT=$TMP/out

# ---- interrupted, then resumed ----
"$GAIASIM" reproduce --matrix "$M" --out "$OUT" -j 1 >"$TMP/r1.out" 2>"$TMP/r1.err" &
pid=$!
i=0
while [ ! -e "$OUT/runs/main-a.db" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
wait $pid
r1=$?
check "interrupted after the first database existed: non-zero exit, no REPORT.md" \
	"$([ $r1 -ne 0 ] && echo nz) $(ls "$OUT/REPORT.md" 2>/dev/null)" "nz "
gs r2 reproduce --matrix "$M" --out "$OUT" -j 2
check "resumed: exit 0" "$(rc r2)" 0
[ "$(rc r2)" = 0 ] || cat "$TMP/r2.err"
R=$OUT/results.db
check "results.db: 10 runs, 10 distinct identities" \
	"$(q "$R" "SELECT count(*) || ' ' || (SELECT count(*) FROM (SELECT DISTINCT kind, label, config_text, seed, program_version, topology_sha256, trace_sha256 FROM runs)) FROM runs")" "10 10"
check "results.db: each run of the matrix exactly once" \
	"$(q "$R" "SELECT group_concat(label, ' ') FROM (SELECT label FROM runs GROUP BY label HAVING count(*) = 1 ORDER BY label)")" "$LABELS"
check "results.db: as many clocks rows as the experiments' databases together" \
	"$(q "$R" "SELECT count(*) FROM clocks")" \
	"$(for f in "$OUT"/runs/*.db; do q "$f" "SELECT count(*) FROM clocks"; done | awk '{ s += $1 } END { print s }')"
check "net.bw_scale=0.5 is in the bw-0.5 runs' configuration" \
	"$(q "$R" "SELECT count(*) FROM runs WHERE label LIKE 'bw-0.5/%' AND instr(config_text, 'net.bw_scale = 0.5') > 0")" 3
before=$(sums "$OUT")
gs r3 reproduce --matrix "$M" --out "$OUT"
check "a third call: exit 0, no experiment rerun (databases unchanged)" "$(rc r3) $(sums "$OUT")" "0 $before"
check "a third call: results.db rebuilt with the same 10 runs" "$(q "$R" "SELECT count(*) FROM runs")" 10

# ---- REPORT.md against the database ----
REP=$OUT/REPORT.md
# t LABEL: time to target of the run LABEL
t() { q "$R" "SELECT s.time_to_target_s FROM summary s JOIN runs r USING (run_id) WHERE r.label = '$1'"; }
slow=$(awk -v a="$(t motivation-a/bsp)" -v b="$(t motivation-a/lan)" 'BEGIN { print a / b }')
speed=$(awk -v a="$(t main-a/bsp)" -v b="$(t main-a/gaia)" 'BEGIN { print a / b }')
tolan=$(awk -v a="$(t main-a/gaia)" -v b="$(t main-a/lan)" 'BEGIN { print a / b }')
insig=$(q "$R" "SELECT CAST(s.sig_below_1pct AS REAL) / s.sig_updates FROM summary s JOIN runs r USING (run_id) WHERE r.label = 'threshold-0.01/gaia'")
# claim ROW-START DB-VALUE SCALE LO HI: the report's value (column 4) equals DB-VALUE within
# rounding, and its sentence says Agrees exactly when LO <= value <= HI
claim() {
	cell=$(grep "^| $1" "$REP" | awk -F'|' '{ print $4 }' | tr -d ' x%')
	within=$(awk -v c="$cell" -v v="$2" -v k="$3" 'BEGIN { d = c - v * k; if (d < 0) d = -d; print (d <= 0.0051 * k) ? "yes" : "no" }')
	check "REPORT: '$1' = $2 (database)" "$within" yes
	want=$(awk -v v="$2" -v lo="$4" -v hi="$5" 'BEGIN { print (v >= lo && v <= hi) ? "Agrees" : "Disagrees" }')
	check "REPORT: '$1' sentence: $want" "$(grep "^- \*\*$1" "$REP" | grep -o 'Agrees\|Disagrees')" "$want"
}
claim "Slowdown of the baseline" "$slow" 1 1 53.7
claim "Gaia's speedup" "$speed" 1 1.8 53.5
claim "Gaia's time relative to LAN" "$tolan" 1 0.94 1.40
claim "Updates that change" "$insig" 100 0.95 1
# every run row of the tables: time to target as in the database
good=1
rowsn=0
for l in $LABELS; do
	e=${l%%/*} m=${l#*/}
	cell=$(grep "^| $e | $m |" "$REP" | awk -F'|' '{ print $4 }' | tr -d ' ')
	v=$(t "$l")
	rowsn=$((rowsn + $(grep -c "^| $e | $m |" "$REP")))
	[ "$(awk -v c="$cell" -v v="$v" 'BEGIN { d = c - v; if (d < 0) d = -d; print (d <= 0.00051) }')" = 1 ] ||
		{ good=0; bad "REPORT: $l time to target" "report '$cell', database '$v'"; }
done
[ $good = 1 ] && ok "REPORT: every run's time to target equals the database's"
check "REPORT: one table row per run" "$rowsn" 10
check "figures drawn when gnuplot is installed" \
	"$(if command -v gnuplot >/dev/null 2>&1; then ls "$OUT/figures" | grep -c 'time-to-target'; else echo 1; fi)" 1

# ---- the job list ----
J=$TMP/jobs
gs jl reproduce --matrix "$M" --out "$J" --jobs "$TMP/jobs.txt"
check "--jobs: exit 0, one line per experiment, nothing run" \
	"$(rc jl) $(wc -l <"$TMP/jobs.txt" | tr -d ' ') $(ls "$J/runs" | grep -c '\.db$')" "0 4 0"
if command -v parallel >/dev/null 2>&1; then
	parallel --will-cite -j 2 <"$TMP/jobs.txt" >"$TMP/par.out" 2>&1
	how="GNU parallel"
else
	sh "$TMP/jobs.txt" >"$TMP/par.out" 2>&1
	how="sh"
fi
check "the job list runs with $how" "$?" 0
gs jm merge "$J/results.db" "$J"/runs/*.db
check "gaiasim merge of the job list's databases: exit 0" "$(rc jm)" 0
dump() { q "$1" "SELECT r.kind, r.label, r.config_text, r.seed, r.program_version, r.topology_sha256, s.time_to_target_s, s.final_objective, s.wan_bytes FROM runs r JOIN summary s USING (run_id) ORDER BY r.label"; }
dump "$R" >"$TMP/d1"
dump "$J/results.db" >"$TMP/d2"
check "the job list gives the same runs and results as reproduce" "$(cmp -s "$TMP/d1" "$TMP/d2" && echo same)" same
before=$(sums "$J")
gs jr reproduce --matrix "$M" --out "$J"
check "reproduce after the job list: exit 0, nothing rerun, REPORT.md written" \
	"$(rc jr) $(sums "$J") $(ls "$J/REPORT.md")" "0 $before $J/REPORT.md"

# ---- --quick ----
gs qk reproduce --quick --matrix "$M" --out "$TMP/q" --jobs "$TMP/q.txt"
check "--quick: only +quick experiments, with the @quick overrides" \
	"$(rc qk) $(wc -l <"$TMP/q.txt" | tr -d ' ') $(grep -c "'main-a'.*'seed=11'" "$TMP/q.txt")" "0 1 1"

# ---- bad matrices and values ----
badm() { # badm NAME LINE-TEXT NEEDLE
	printf 'main-a %s bsp,lan\n%s\n' "$CONF" "$2" >"$TMP/$1.txt"
	gs "$1" reproduce --matrix "$TMP/$1.txt" --out "$TMP/b" --jobs "$TMP/b.txt"
	check "bad matrix ($1): exit 1, message names $1.txt:2" \
		"$(rc "$1") $(grep -c "$1.txt:2: .*$3" "$TMP/$1.err")" "1 1"
}
badm model "x $CONF bsp,frob" "unknown or empty model"
badm dupname "main-a $CONF gaia" "given twice"
badm noconf "x nothere.conf gaia" "cannot be read"
badm token "x $CONF gaia stop.clocks" "expected KEY=VALUE"
badm fields "x $CONF" "expected 'NAME CONFIG"
gs bw0 run "$CONF" --set net.bw_scale=0
check "net.bw_scale=0: exit 1, named" "$(rc bw0) $(grep -c 'net.bw_scale' "$TMP/bw0.err")" "1 1"
gs tg trace gen -t vc --duration 60 --seed 3 --step 2 -o "$TMP/tr.csv"
gs bwt run "$CONF" --set net.bw_scale=2 --set trace="$TMP/tr.csv"
check "net.bw_scale with a trace: exit 1, says the trace sets the bandwidths" \
	"$(rc tg) $(rc bwt) $(grep -c 'net.bw_scale.*trace' "$TMP/bwt.err")" "0 1 1"
gs u1 reproduce -j 0
gs u2 reproduce --frob
check "usage errors exit 2" "$(rc u1)$(rc u2)" 22

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
