#!/bin/sh
# The reporting path, each figure derived here independently of the code that prints it
# (the survivors of the first mutation run, docs/testing.md):
#   - transfer cost = sum over stored wan_bytes rows of sent_bytes / 1e9 x the price of the
#     pair, the prices read from the topology file here (USD per GB = 1e9 bytes);
#   - compare's speedup_vs_bsp = t_bsp / t_model and ratio_to_lan = t_model / t_lan, from the
#     stored time_to_target_s;
#   - compare's derived target = last + (1 - f)(first - last) of the LAN trajectory, computed
#     from a stored LAN run's clocks rows (f = compare.target_fraction = 0.95);
#   - shares of updates: Gaia with threshold 0 sends every update (share 1); BSP's global model
#     is sharded by row over 4 machines, 2 in each region, so about half the pushed values
#     cross regions;
#   - the time to target is the time the LAST replica reached it, from the stored clocks rows.
# Reads GAIASIM and TESTDATA_DIR or srcdir; needs sqlite3 (else skip).

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}
CONF=$DATA/run/small.conf
TOPO=$DATA/../../topology/vc.topo
pass=0
fail=0
if ! command -v sqlite3 >/dev/null 2>&1 || [ ! -r "$TOPO" ]; then
	echo "cli_report.sh: need sqlite3 and $TOPO"
	echo "TESTCASES: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-report.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
q() { sqlite3 "$1" "$2"; }
field() { sed -n "s/^$2  *//p" "$1" | head -1; }
near() { awk -v a="$1" -v b="$2" -v e="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a + 0 == a && b + 0 == b && d <= e) }'; }

# ---- cost from the stored bytes and the topology's prices ----
"$GAIASIM" run "$CONF" --set stop.clocks=20 --db "$TMP/g.db" >"$TMP/g.out" 2>"$TMP/g.err"
awk '$1 == "price" { printf "INSERT INTO price VALUES (\x27%s\x27, \x27%s\x27, %s);\n", $2, $3, $4 }' "$TOPO" >"$TMP/price.sql"
cost=$(q "$TMP/g.db" "CREATE TEMP TABLE price (src, dst, usd_per_gb); $(cat "$TMP/price.sql")
	SELECT printf('%.9f', sum(w.sent_bytes / 1e9 * p.usd_per_gb)) FROM wan_bytes w JOIN price p ON p.src = w.src_region AND p.dst = w.dst_region")
stored=$(q "$TMP/g.db" "SELECT printf('%.9f', cost_transfer_usd) FROM summary")
printed=$(field "$TMP/g.out" cost_transfer_usd)
if [ -s "$TMP/price.sql" ] && near "$cost" "$stored" 1e-9 && near "$cost" "$printed" 1e-6; then
	ok "transfer cost = stored bytes x topology prices per GB ($cost USD)"
else
	bad "transfer cost from bytes and prices" "derived $cost, stored $stored, printed $printed"
fi

# ---- time to target: when the last replica reached it ----
"$GAIASIM" run "$CONF" --set stop.target=1.06 --db "$TMP/t.db" >"$TMP/t.out" 2>"$TMP/t.err"
want=$(q "$TMP/t.db" "SELECT printf('%.6f', max(sim_time_s)) FROM clocks WHERE clock = (
	SELECT min(clock) FROM (SELECT clock, max(objective) AS worst, count(*) AS n FROM clocks GROUP BY clock)
	WHERE worst <= 1.06 AND n = 2)")
got=$(field "$TMP/t.out" time_to_target_s)
first=$(q "$TMP/t.db" "SELECT printf('%.6f', min(sim_time_s)) FROM clocks WHERE clock = (SELECT min(clock) FROM clocks WHERE objective <= 1.06)")
if [ -n "$want" ] && near "$got" "$want" 1e-6 && [ "$want" != "$first" ]; then
	ok "time to target = the last replica's time at the first clock all reached it ($want s, first replica $first s)"
else
	bad "time to target = the last replica's time" "printed $got, derived $want (first replica $first)"
fi

# ---- compare: derived target, speedup and ratio ----
"$GAIASIM" run "$CONF" --set sync=lan --set stop.clocks=20 --db "$TMP/lan.db" >/dev/null 2>"$TMP/lan.err"
target=$(q "$TMP/lan.db" "SELECT printf('%.6f', l.o + 0.05 * (f.o - l.o)) FROM
	(SELECT avg(objective) AS o FROM clocks WHERE clock = (SELECT min(clock) FROM clocks)) f,
	(SELECT avg(objective) AS o FROM clocks WHERE clock = (SELECT max(clock) FROM clocks)) l")
"$GAIASIM" compare "$CONF" --sync bsp,gaia,lan --set stop.clocks=20 --format csv --db "$TMP/c.db" >"$TMP/c.out" 2>"$TMP/c.err"
printed=$(q "$TMP/c.db" "SELECT printf('%.6f', target_objective) FROM summary LIMIT 1")
near "$printed" "$target" 2e-6 && ok "compare's target from the stored LAN trajectory ($target)" ||
	bad "compare's target from the LAN trajectory" "derived $target, compare used $printed"
t() { q "$TMP/c.db" "SELECT time_to_target_s FROM summary WHERE sync_model = '$1'"; }
col() { awk -F, -v m="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i } NR > 1 && $1 == m { print $(h[c]) }' "$TMP/c.out"; }
tb=$(t bsp); tg=$(t gaia); tl=$(t lan)
sp=$(awk -v a="$tb" -v b="$tg" 'BEGIN { printf "%.2f", a / b }')
rl=$(awk -v a="$tg" -v b="$tl" 'BEGIN { printf "%.2f", a / b }')
[ "$(col gaia speedup_vs_bsp)" = "$sp" ] && [ "$(col gaia ratio_to_lan)" = "$rl" ] &&
	ok "speedup_vs_bsp = t_bsp / t_gaia ($sp), ratio_to_lan = t_gaia / t_lan ($rl)" ||
	bad "speedup and ratio from stored times" "printed $(col gaia speedup_vs_bsp) $(col gaia ratio_to_lan), derived $sp $rl"

# ---- shares of updates ----
"$GAIASIM" run "$CONF" --set stop.clocks=10 --set gaia.threshold=0 --set gaia.schedule=constant >"$TMP/s0.out" 2>"$TMP/s0.err"
"$GAIASIM" run "$CONF" --set stop.clocks=10 --set sync=bsp >"$TMP/sb.out" 2>"$TMP/sb.err"
s0=$(field "$TMP/s0.out" share_filter_sent)
sb=$(field "$TMP/sb.out" share_pushed_wan)
near "$s0" 1 0.00005 && ok "gaia with threshold 0 sends every update (share $s0)" ||
	bad "gaia with threshold 0: share 1" "share $s0 $(cat "$TMP/s0.err")"
near "$sb" 0.5 0.05 && ok "bsp: about half the pushed values cross regions (share $sb)" ||
	bad "bsp: share about 1/2" "share $sb"

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" = 0 ]
