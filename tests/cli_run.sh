#!/bin/sh
# `gaiasim run` and `gaiasim compare` end to end: training reaches its target under every sync
# model, runs are deterministic, compare's table is self-consistent, bad configurations and
# command lines are rejected with FILE:LINE messages and non-zero exits, and a failed command
# leaves no run in the results database.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TESTDATA_DIR or
# srcdir locate tests/data). Prints PASS/FAIL per case and `TESTCASES: N passed, M failed`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/run
CONF=$DATA/small.conf
pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$CONF" ]; then
	echo "cli_run.sh: need $GAIASIM and $CONF" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-run.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }

# finite X: X is a plain decimal number (awk compares "-nan" <= t as true, so a NaN must be
# caught before any numeric comparison)
finite() { printf '%s\n' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$'; }

# field FILE KEY: value of a `key   value` line of run's output
field() { sed -n "s/^$2  *//p" "$1" | head -1; }

# run_gs NAME ARGS...: run gaiasim with a time limit, stdout to $TMP/NAME.out, stderr to .err
run_gs() {
	name=$1
	shift
	timeout 120 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }

# ---- training reaches its target under every model ----
run_gs init run "$CONF" --set stop.clocks=1
init=$(field "$TMP/init.out" initial_objective)
if [ "$(rc init)" = 0 ] && [ -n "$init" ]; then
	ok "run prints the initial objective ($init)"
else
	bad "run prints the initial objective" "$(cat "$TMP/init.err")"
fi
# The target is 70% of the initial objective: a property of training (the loss falls well
# below where it starts), not a number taken from a previous run's output.
target=$(awk -v x="$init" 'BEGIN { printf "%.6f", 0.7 * x }')
for model in bsp ssp:2 async gaia lan; do
	tag=$(echo "$model" | tr ':' '_')
	run_gs "t_$tag" run "$CONF" --set sync="$model" --set stop.target="$target" --set stop.clocks=400
	t=$(field "$TMP/t_$tag.out" time_to_target_s)
	f=$(field "$TMP/t_$tag.out" final_objective)
	if [ "$(rc "t_$tag")" = 0 ] && [ -n "$t" ] && [ "$t" != "not reached" ] &&
		finite "$f" && awk -v f="$f" -v t="$target" 'BEGIN { exit !(f <= t) }'; then
		ok "$model reaches objective $target (at $t s, final $f)"
	else
		bad "$model reaches objective $target" "time_to_target_s=$t final=$f $(cat "$TMP/t_$tag.err")"
	fi
done

# LAN places every machine in one region: no WAN bytes; the baseline and Gaia use the WAN.
run_gs lan run "$CONF" --set sync=lan
run_gs gaia run "$CONF" --set sync=gaia
[ "$(field "$TMP/lan.out" wan_bytes)" = 0 ] && ok "lan sends nothing over the WAN" ||
	bad "lan sends nothing over the WAN" "wan_bytes=$(field "$TMP/lan.out" wan_bytes)"
g=$(field "$TMP/gaia.out" wan_bytes)
finite "$g" && awk -v g="$g" 'BEGIN { exit !(g > 0) }' && ok "gaia sends over the WAN" || bad "gaia sends over the WAN" "wan_bytes=$g"

# A run of the same config and seed at the same simulated time is identical; a straggler
# region slows the run down.
run_gs gaia2 run "$CONF" --set sync=gaia
cmp -s "$TMP/gaia.out" "$TMP/gaia2.out" && ok "run is deterministic" || bad "run is deterministic" "$(diff "$TMP/gaia.out" "$TMP/gaia2.out")"
run_gs slow run "$CONF" --set sync=gaia --set straggler=virginia:3
a=$(field "$TMP/gaia.out" simulated_time_s)
b=$(field "$TMP/slow.out" simulated_time_s)
finite "$a" && finite "$b" && awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }' && ok "a straggler region slows the run ($a s -> $b s)" ||
	bad "a straggler region slows the run" "$a -> $b"
# One slow machine holds back its whole region under BSP inside the region (Gaia's default):
# the run takes as long as with the whole region slowed.
run_gs slow1 run "$CONF" --set sync=gaia --set straggler=virginia/1:3
[ "$(field "$TMP/slow1.out" simulated_time_s)" = "$b" ] && ok "one slow machine holds back its region" ||
	bad "one slow machine holds back its region" "$(field "$TMP/slow1.out" simulated_time_s) vs $b"
# A different seed changes the data and so the result.
run_gs seed2 run "$CONF" --set sync=gaia --set seed=8
cmp -s "$TMP/gaia.out" "$TMP/seed2.out" && bad "a different seed changes the run" || ok "a different seed changes the run"

# A rating file in MovieLens '::' form replaces the generator; the config's generator keys are
# then accepted (validated) but unused.
run_gs file run "$CONF" --set mf.data="$DATA/../mf/ratings.dat" --set stop.clocks=5
[ "$(rc file)" = 0 ] && [ "$(field "$TMP/file.out" clocks)" = 5 ] && ok "run trains on a rating file" ||
	bad "run trains on a rating file" "$(cat "$TMP/file.err")"

# ---- compare ----
run_gs cmp compare "$CONF" --sync bsp,gaia,lan --format csv --db "$TMP/cmp.db"
if [ "$(rc cmp)" = 0 ] && head -1 "$TMP/cmp.out" | grep -q '^sync,time_to_target_s,speedup_vs_bsp,ratio_to_lan,wan_bytes,'; then
	ok "compare prints a CSV with units in the header"
else
	bad "compare prints a CSV with units in the header" "$(cat "$TMP/cmp.err")"
fi
awk -F, '$1 == "bsp" { exit !($3 == "1.00") }' "$TMP/cmp.out" && ok "bsp's speedup over itself is 1.00" || bad "bsp's speedup over itself is 1.00"
awk -F, '$1 == "lan" { exit !($4 == "1.00") }' "$TMP/cmp.out" && ok "lan's ratio to itself is 1.00" || bad "lan's ratio to itself is 1.00"
# speedup_vs_bsp x time = bsp's time, for every model (same target)
if awk -F, 'NR > 1 && $1 == "bsp" { tb = $2 } NR > 1 { t[$1] = $2; s[$1] = $3 }
	END { for (m in t) if (t[m] != "" && s[m] != "" && (s[m] * t[m] - tb) / tb > 0.01) exit 1 }' "$TMP/cmp.out"; then
	ok "speedups agree with the times"
else
	bad "speedups agree with the times" "$(cat "$TMP/cmp.out")"
fi
# The three shares, each named for what it counts (docs/sync-models.md): the CSV's columns 6-8
# are share_pushed_wan, share_filter_sent, share_below_1pct. Properties: gaia and lan push only
# inside a region (0), the filter's share exists for gaia only, every share is in [0, 1].
if head -1 "$TMP/cmp.out" | grep -q '^sync,[a-z_]*,[a-z_]*,[a-z_]*,wan_bytes,share_pushed_wan,share_filter_sent,share_below_1pct,' &&
	awk -F, 'NR > 1 { if ($1 != "bsp" && $6 != "0.0000") exit 1
		if (($1 == "gaia") != ($7 != "")) exit 1
		for (i = 6; i <= 8; i++) if ($i != "" && ($i < 0 || $i > 1)) exit 1
		if ($8 == "") exit 1 }' "$TMP/cmp.out"; then
	ok "compare's shares: pushed across regions, filter sent (gaia only), below 1%"
else
	bad "compare's shares" "$(cat "$TMP/cmp.out")"
fi
run_gs shares run "$CONF" --set sync=gaia --set stop.clocks=3
if [ "$(field "$TMP/shares.out" share_pushed_wan)" = 0.0000 ] && [ -n "$(field "$TMP/shares.out" share_filter_sent)" ] &&
	[ "$(field "$TMP/shares.out" share_filter_sent)" != - ] && [ -n "$(field "$TMP/shares.out" share_below_1pct)" ] &&
	! grep -q share_updates_wan "$TMP/shares.out"; then
	ok "run prints share_pushed_wan, share_filter_sent and share_below_1pct"
else
	bad "run prints the three shares" "$(cat "$TMP/shares.out" "$TMP/shares.err")"
fi
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$TMP/cmp.db" "select count(*) from runs where kind = 'compare' and status = 'complete'")
	[ "$n" = 3 ] && ok "compare stores one run per model" || bad "compare stores one run per model" "runs=$n"
	n=$(sqlite3 "$TMP/cmp.db" "select count(*) from summary s join runs r using (run_id) where r.label = 'lan' and s.wan_bytes = 0")
	[ "$n" = 1 ] && ok "the stored lan summary has no WAN bytes" || bad "the stored lan summary has no WAN bytes"
	n=$(sqlite3 "$TMP/cmp.db" "select count(*) from wan_bytes w join runs r using (run_id) where r.label = 'gaia' and w.kind in ('mirror', 'mirror_clock')")
	[ "$n" -gt 0 ] && ok "gaia's mirror traffic is stored by kind" || bad "gaia's mirror traffic is stored by kind" "rows=$n"
	n=$(sqlite3 "$TMP/cmp.db" "select count(*) from summary s join runs r using (run_id) where
		(r.label = 'gaia') = (s.filter_sent is not null) and s.sig_updates > 0 and s.values_pushed > 0")
	[ "$n" = 3 ] && ok "summary: filter counts for gaia only, significance and pushes for all" ||
		bad "summary: filter counts for gaia only" "rows=$n"
	n=$(sqlite3 "$TMP/cmp.db" "select count(*) from clocks c join runs r using (run_id) where r.label = 'gaia' and c.region in ('virginia', 'california')")
	[ "$n" -gt 0 ] && ok "gaia's objective is stored per region" || bad "gaia's objective is stored per region"
	# a failing command adds nothing
	before=$(sqlite3 "$TMP/cmp.db" "select count(*) from runs")
	run_gs failing run "$CONF" --set mf.rank=0 --db "$TMP/cmp.db"
	after=$(sqlite3 "$TMP/cmp.db" "select count(*) from runs")
	[ "$(rc failing)" != 0 ] && [ "$before" = "$after" ] && ok "a failed run adds no run to the database" ||
		bad "a failed run adds no run to the database" "rc=$(rc failing) runs $before -> $after"
else
	skipped "database checks (no sqlite3 program)"
fi

# ---- bad configurations: exit 1, message names FILE:LINE and the value ----
expect_err() { # NAME PATTERN ARGS...
	name=$1
	pat=$2
	shift 2
	run_gs "$name" "$@"
	if [ "$(rc "$name")" = 1 ] && grep -q -- "$pat" "$TMP/$name.err"; then
		ok "$name: $(head -1 "$TMP/$name.err")"
	else
		bad "$name (exit $(rc "$name"), wanted 1 and /$pat/)" "$(cat "$TMP/$name.err")"
	fi
}
expect_err "missing config" "no-such.conf" run "$DATA/no-such.conf"
# Setup errors name the key at fault: hubs on a topology without groups (vc has none).
printf 'gaia.hubs = on\n' | cat "$CONF" - >"$TMP/hubs-vc.conf"
hline=$(grep -n '^gaia.hubs = on' "$TMP/hubs-vc.conf" | cut -d: -f1)
expect_err "hubs without groups name gaia.hubs's line" "hubs-vc.conf:$hline: gaia.hubs:.*'vc' has none" run "$TMP/hubs-vc.conf"
# A bad model argument names where the spec came from: the config's line, or --sync.
sed 's/^sync = .*/sync = ssp:-1/' "$CONF" >"$TMP/ssp-bad.conf"
line=$(grep -n '^sync = ssp:-1' "$TMP/ssp-bad.conf" | cut -d: -f1)
expect_err "bad model argument in the config names its line" "ssp-bad.conf:$line: sync:.*got '-1'" run "$TMP/ssp-bad.conf"
expect_err "bad model argument in --sync names the command line" "command line.*sync:.*got '-2'" compare "$CONF" --sync bsp,ssp:-2
expect_err "malformed line" "bad-line.conf:2:" run "$DATA/bad-line.conf"
expect_err "unknown key" "bad-key.conf:2:.*mf.rnak" run "$DATA/bad-key.conf"
expect_err "bad value" "bad-value.conf:2:.*eight" run "$DATA/bad-value.conf"
expect_err "unknown sync model" "bad-sync.conf:2:.*paxos" run "$DATA/bad-sync.conf"
expect_err "unknown topology" "bad-topo.conf:1:.*no-such-topology" run "$DATA/bad-topo.conf"
expect_err "ssp without a bound" "ssp" run "$CONF" --set sync=ssp
expect_err "sqrt_epoch without clocks per epoch" "command line.*gaia.clocks_per_epoch" run "$CONF" --set gaia.schedule=sqrt_epoch
expect_err "bad --set value" "command line.*mf.rank" run "$CONF" --set mf.rank=-3
expect_err "malformed --set" "nokey" run "$CONF" --set nokey
expect_err "bad gaia.slack" "gaia.slack" run "$CONF" --set gaia.slack=-1
expect_err "target on a held-out metric without held-out data" "command line.*stop.target_on.*held-out" run "$CONF" --set stop.target_on=test
expect_err "bad stop.target_on" "stop.target_on.*sideways" run "$CONF" --set stop.target_on=sideways
expect_err "straggler beyond the machines" "straggler.*virginia/5:2" run "$CONF" --set straggler=virginia/5:2
expect_err "compare with a bad model" "paxos" compare "$CONF" --sync bsp,paxos
expect_err "unwritable database" "no-such-dir/x.db" compare "$CONF" --sync bsp --db "$TMP/no-such-dir/x.db"
# wire.* must be widths the wire format encodes (docs/wire-format.md)
{ cat "$CONF"; echo "wire.value_bytes = 6"; } >"$TMP/wire-vb.conf"
expect_err "wire.value_bytes not 4 or 8" "wire-vb.conf:$(($(wc -l <"$CONF") + 1)):.*wire.value_bytes.*'6'" run "$TMP/wire-vb.conf"
expect_err "wire.index_bytes not 4" "wire.index_bytes.*'2'" run "$CONF" --set wire.index_bytes=2
expect_err "wire.header_bytes below 64" "wire.header_bytes.*'63'" run "$CONF" --set wire.header_bytes=63
printf '1::2::abc\n' >"$TMP/bad.dat"
expect_err "bad rating file" "bad.dat:1:.*abc" run "$CONF" --set mf.data="$TMP/bad.dat"

# ---- bad command lines: exit 2 with a usage line ----
expect_usage() { # NAME ARGS...
	name=$1
	shift
	run_gs "$name" "$@"
	if [ "$(rc "$name")" = 2 ] && grep -q "usage:" "$TMP/$name.err"; then
		ok "usage: $name"
	else
		bad "usage: $name (exit $(rc "$name"))" "$(cat "$TMP/$name.err")"
	fi
}
expect_usage "run without config" run
expect_usage "run with two configs" run "$CONF" "$CONF"
expect_usage "run unknown option" run "$CONF" --bogus
expect_usage "run --db :memory:" run "$CONF" --db :memory:
expect_usage "compare --db ''" compare "$CONF" --sync bsp --db ""
expect_usage "run --set without value" run "$CONF" --set
expect_usage "compare without --sync" compare "$CONF"
expect_usage "compare bad format" compare "$CONF" --sync bsp --format xml
expect_usage "compare empty model" compare "$CONF" --sync bsp,,gaia
# The significance distribution after compare's table: shares in [0, 1], not decreasing with
# the level (an update below 0.5% is below 1% too), and its <1% column equals share_below_1pct.
run_gs sig compare "$CONF" --sync bsp,gaia --set stop.clocks=5 -q
if [ "$(rc sig)" = 0 ] && awk '
	/^sync .*share_below_1pct/ { for (i = 1; i <= NF; i++) if ($i == "share_below_1pct") c = i; intable = 1; next }
	/^significance:/ { intable = 0; insig = 1; next }
	intable && NF > 5 { b1[$1] = $c; next }
	insig && $1 == "sync" { next }
	insig && NF == 8 {
		n++
		for (i = 2; i <= 8; i++) { if ($i < 0 || $i > 1 || (i > 2 && $i + 0 < $(i - 1) + 0)) bad = 1 }
		if ($6 != b1[$1]) bad = 1
	}
	END { exit !(n == 2 && !bad) }' "$TMP/sig.out"; then
	ok "compare prints the significance distribution: monotone in the level, <1% = share_below_1pct"
else
	bad "significance distribution" "$(tail -5 "$TMP/sig.out")"
fi
# output that cannot be written is an error
for cmd in run compare; do
	if [ -w /dev/full ]; then
		if [ "$cmd" = run ]; then args="run $CONF --set stop.clocks=2"; else args="compare $CONF --sync bsp --set stop.clocks=2"; fi
		# shellcheck disable=SC2086
		timeout 120 "$GAIASIM" $args >/dev/full 2>"$TMP/full.err"
		r=$?
		if [ "$r" -ne 0 ] && grep -q "write error" "$TMP/full.err"; then ok "$cmd: stdout on a full device exits non-zero"; else bad "$cmd: stdout on a full device (exit $r)" "$(cat "$TMP/full.err")"; fi
	else
		skipped "$cmd: stdout on a full device (no /dev/full)"
	fi
done
run_gs help run --help
[ "$(rc help)" = 0 ] && grep -q "usage:" "$TMP/help.out" && ok "run --help" || bad "run --help"

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
