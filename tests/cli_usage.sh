#!/bin/sh
# Everyday use of the gaiasim program: an install into a temporary prefix finds its data by
# name from another folder, help lists every option and key, mistyped commands and options get
# a suggestion, `--opt=value` and `-` (standard input) work, traces that miss a run's time span
# warn, progress reports follow the terminal, a stored config_text runs again to the same
# result, and JSON output parses.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TESTDATA_DIR
# locates tests/data, TOP_SRCDIR the sources). Prints PASS/FAIL per case and
# `TESTCASES: N passed, M failed, K skipped`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
TOP=${TOP_SRCDIR:-${srcdir:-.}}
DATA=${TESTDATA_DIR:-$TOP/tests/data}
CONF=$DATA/run/small.conf
BUILD=$PWD
pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$CONF" ]; then
	echo "cli_usage.sh: need $GAIASIM and $CONF" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-usage.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }

# run_gs NAME ARGS...: run gaiasim with a time limit, stdout to $TMP/NAME.out, stderr to .err
run_gs() {
	name=$1
	shift
	timeout 120 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }

# ---- install: the installed program finds its data by name, without the source tree ----
if [ -f "$BUILD/Makefile" ] && ${MAKE:-make} -C "$BUILD" install DESTDIR="$TMP/stage" \
	>"$TMP/install.log" 2>&1; then
	inst=$(find "$TMP/stage" -path '*/bin/gaiasim' -type f | head -1)
	share=${inst%/bin/gaiasim}/share
	mkdir -p "$TMP/elsewhere"
	# Every GAIASIM_* variable unset, run from another folder; the installed program lies
	# outside the build tree, so the compiled-in source folder is not consulted.
	(cd "$TMP/elsewhere" && env -u GAIASIM_TOPODIR -u GAIASIM_TRACEDIR -u GAIASIM_CONFDIR \
		-u GAIASIM_PLOTDIR -u GAIASIM_MATRIX -u TOP_SRCDIR "$inst" topo show ec2-11) \
		>"$TMP/inst_topo.out" 2>&1
	if grep -q "^file $share/gaiasim/topology/ec2-11.topo" "$TMP/inst_topo.out"; then
		ok "installed gaiasim finds topology ec2-11 in its own share folder"
	else
		bad "installed gaiasim finds topology ec2-11" "$(head -3 "$TMP/inst_topo.out")"
	fi
	(cd "$TMP/elsewhere" && env -u GAIASIM_TOPODIR -u GAIASIM_TRACEDIR -u GAIASIM_CONFDIR \
		"$inst" trace check -t ec2-11 skyplane-64conn-2022) >"$TMP/inst_trace.out" 2>&1
	if grep -q "^file $share/gaiasim/traces/skyplane-64conn-2022.csv" "$TMP/inst_trace.out"; then
		ok "installed gaiasim finds trace skyplane-64conn-2022 by name"
	else
		bad "installed gaiasim finds a trace by name" "$(head -3 "$TMP/inst_trace.out")"
	fi
	for f in man/man1/gaiasim.1 gaiasim/workloads/mf-ec2-11.conf gaiasim/workloads/paper/matrix.txt \
		doc/gaiasim/LICENSE doc/gaiasim/docs/config-format.md gaiasim/plot/common.gp; do
		if [ -s "$share/$f" ]; then ok "installed $f"; else bad "installed $f"; fi
	done
	(cd "$TMP/elsewhere" && env -u GAIASIM_TOPODIR -u GAIASIM_CONFDIR "$inst" topo show nosuch) \
		>"$TMP/inst_none.out" 2>&1
	if grep -q "no nosuch.topo in .*$share/gaiasim/topology" "$TMP/inst_none.out" &&
		! grep -q "$TOP/topology" "$TMP/inst_none.out"; then
		ok "an unknown topology names the folders tried, without the source tree"
	else
		bad "unknown topology message" "$(cat "$TMP/inst_none.out")"
	fi
else
	skipped "make install into a staging folder (no Makefile here, or install failed)"
fi

# ---- the derivation scripts reproduce the shipped topologies and traces from the repository ----
if command -v python3 >/dev/null 2>&1 && [ -r "$TOP/topology/derive/data/README.md" ]; then
	mkdir -p "$TMP/derived/traces"
	if python3 "$TOP/topology/derive/derive_topologies.py" -o "$TMP/derived" >/dev/null 2>&1 &&
		python3 "$TOP/topology/derive/derive_traces.py" --out "$TMP/derived/traces" >/dev/null 2>&1; then
		for f in ec2-11.topo ec2-11-2017.topo ec2-11-64conn.topo vc.topo ss.topo \
			traces/skyplane-64conn-2022.csv traces/doit-1stream-repeats.csv; do
			if cmp -s "$TMP/derived/$f" "$TOP/topology/$f"; then
				ok "derive scripts reproduce topology/$f byte for byte"
			else
				bad "derive scripts reproduce topology/$f"
			fi
		done
	else
		bad "derive scripts run from the repository's data"
	fi
else
	skipped "derive scripts (no python3)"
fi

# ---- help: every command, every option with a meaning, every option accepted as --opt=value ----
for words in run compare keys net plot merge reproduce "topo show" "topo check" "trace gen" \
	"trace check" "corpus convert" "emu mesh"; do
	tag=$(echo "$words" | tr ' ' '_')
	# shellcheck disable=SC2086
	run_gs "help_$tag" $words --help
	if [ "$(rc "help_$tag")" != 0 ] || ! grep -q "^usage: gaiasim $words" "$TMP/help_$tag.out"; then
		bad "$words --help prints its usage" "$(head -3 "$TMP/help_$tag.err")"
		continue
	fi
	# option lines: "  -x, --name ARG   meaning" or "      --name ARG   meaning"
	grep -E '^  (-[a-zA-Z], )?--|^      --' "$TMP/help_$tag.out" >"$TMP/opts_$tag"
	nopt=0
	while read -r line; do
		name=$(echo "$line" | sed -E 's/^(-[a-zA-Z], )?--([a-z0-9-]+).*/\2/')
		[ "$name" = help ] && continue
		meaning=$(echo "$line" | sed -E 's/^(-[a-zA-Z], )?--[a-z0-9-]+( [^ ]+)? +//')
		if [ -z "$meaning" ] || [ "$meaning" = "$line" ]; then
			bad "$words --$name has a meaning in the help" "$line"
			continue
		fi
		# an option with a value (an ARG word after the name) must parse as --name=value
		if echo "$line" | grep -qE -- "--$name [A-Z]"; then
			# shellcheck disable=SC2086
			timeout 20 "$GAIASIM" $words "--$name=1" --help >/dev/null 2>"$TMP/opt.err"
			if grep -qE "unknown option|needs a value" "$TMP/opt.err"; then
				bad "$words accepts --$name=VALUE" "$(head -1 "$TMP/opt.err")"
				continue
			fi
		fi
		nopt=$((nopt + 1))
	done <"$TMP/opts_$tag"
	ok "$words --help: usage and $nopt options, each with a meaning and accepted as --opt=value"
done
run_gs help_cmd help net
if [ "$(rc help_cmd)" = 0 ] && cmp -s "$TMP/help_cmd.out" "$TMP/help_net.out"; then
	ok "gaiasim help net is gaiasim net --help"
else
	bad "gaiasim help net is gaiasim net --help"
fi

# ---- keys: listed with type, default, unit and meaning, in run's and compare's help and the man page ----
run_gs keys keys --tsv
run_gs man help --man
nkeys=$(wc -l <"$TMP/keys.out")
missing=$(awk -F'\t' '$2 == "" || $5 == "" { printf " %s(no type/meaning)", $1 }' "$TMP/keys.out")
for key in $(cut -f1 "$TMP/keys.out"); do
	grep -q "^  $key " "$TMP/help_run.out" || missing="$missing $key(run help)"
	grep -q "^  $key " "$TMP/help_compare.out" || missing="$missing $key(compare help)"
	grep -q "^\.B $(echo "$key" | sed 's/\./\\./g')\$" "$TMP/man.out" || missing="$missing $key(man)"
done
if [ "$(rc keys)" = 0 ] && [ "$nkeys" -gt 50 ] && [ -z "$missing" ]; then
	ok "gaiasim keys lists $nkeys keys; each has a type and meaning and is in run/compare help and the man page"
else
	bad "keys in help and man page" "$nkeys keys; missing:$missing"
fi
# Every key a shipped config sets is documented (the configs are written by hand).
undoc=""
for f in "$TOP"/workloads/*.conf "$CONF"; do
	for k in $(sed -n 's/^ *\([a-z0-9_.]*\) *=.*/\1/p' "$f"); do
		cut -f1 "$TMP/keys.out" | grep -qx "$k" || undoc="$undoc $(basename "$f"):$k"
	done
done
if [ -z "$undoc" ]; then ok "every key set by a shipped or test config is documented"; else
	bad "undocumented keys in configs" "$undoc"; fi
run_gs keys_gaia keys gaia.
if [ "$(rc keys_gaia)" = 0 ] && ! grep -qv "^  gaia\." "$TMP/keys_gaia.out" && grep -q "gaia.threshold" "$TMP/keys_gaia.out"; then
	ok "gaiasim keys gaia. lists only Gaia's keys"
else
	bad "gaiasim keys PREFIX" "$(head -3 "$TMP/keys_gaia.out")"
fi

# ---- did you mean ----
run_gs dym1 cmopare
if [ "$(rc dym1)" = 2 ] && grep -q "unknown command 'cmopare' (did you mean 'compare'?)" "$TMP/dym1.err"; then
	ok "a mistyped command gets a suggestion"
else
	bad "mistyped command" "$(head -2 "$TMP/dym1.err")"
fi
run_gs dym2 run "$CONF" --lable=x
if [ "$(rc dym2)" = 2 ] && grep -q "unknown option '--lable=x' (did you mean '--label'?)" "$TMP/dym2.err"; then
	ok "a mistyped option gets a suggestion"
else
	bad "mistyped option" "$(head -2 "$TMP/dym2.err")"
fi
# the emu subcommands share the parser: --opt=value, suggestions
for sub in "mesh -t vc --tto=127.0.0.1:9 --to|--tto=127.0.0.1:9|--to" "run $CONF --timeot=5|--timeot=5|--timeout" \
           "node $CONF --regoin=a|--regoin=a|--region"; do
	args=${sub%%|*}; rest=${sub#*|}; badopt=${rest%%|*}; want=${rest#*|}
	# shellcheck disable=SC2086
	timeout 60 "$GAIASIM" emu $args >"$TMP/dyme.out" 2>"$TMP/dyme.err"
	r=$?
	if [ "$r" = 2 ] && grep -q -- "unknown option '$badopt' (did you mean '$want'?)" "$TMP/dyme.err"; then
		ok "emu ${args%% *}: a mistyped option gets a suggestion"
	else
		bad "emu ${args%% *} mistyped option (exit $r)" "$(head -2 "$TMP/dyme.err")"
	fi
done
run_gs dym3 run "$CONF" --set gaia.threshhold=0.1 -q
if [ "$(rc dym3)" = 1 ] && grep -q "did you mean 'gaia.threshold'" "$TMP/dym3.err"; then
	ok "a mistyped key gets a suggestion"
else
	bad "mistyped key" "$(head -2 "$TMP/dym3.err")"
fi
run_gs dym4 trace gne
if [ "$(rc dym4)" = 2 ] && grep -q "did you mean 'gen'" "$TMP/dym4.err"; then
	ok "a mistyped subcommand gets a suggestion"
else
	bad "mistyped subcommand" "$(head -2 "$TMP/dym4.err")"
fi

# ---- --opt=value and --opt value give the same run; '-' reads standard input ----
run_gs eq1 run "$CONF" --set=stop.clocks=10 -q
run_gs eq2 run "$CONF" --set stop.clocks=10 -q
timeout 120 "$GAIASIM" run - --set stop.clocks=10 -q <"$CONF" >"$TMP/eq3.out" 2>"$TMP/eq3.err"
if [ "$(rc eq1)" = 0 ] && cmp -s "$TMP/eq1.out" "$TMP/eq2.out" &&
	diff "$TMP/eq1.out" "$TMP/eq3.out" | grep -q '^> config  *-$' &&
	[ "$(diff "$TMP/eq1.out" "$TMP/eq3.out" | grep -c '^[<>]')" = 2 ]; then
	ok "--set=K=V, --set K=V and a config on standard input (-) give the same run"
else
	bad "--opt=value / stdin" "$(diff "$TMP/eq1.out" "$TMP/eq3.out" | head -4)"
fi
"$GAIASIM" topo show vc >"$TMP/topo_name.out" 2>&1
"$GAIASIM" topo show - <"$TOP/topology/vc.topo" >"$TMP/topo_stdin.out" 2>&1
if diff "$TMP/topo_name.out" "$TMP/topo_stdin.out" | grep -q '^> file -$' &&
	[ "$(diff "$TMP/topo_name.out" "$TMP/topo_stdin.out" | grep -c '^[<>]')" = 2 ]; then
	ok "topo show - reads the topology from standard input"
else
	bad "topo show -" "$(diff "$TMP/topo_name.out" "$TMP/topo_stdin.out" | head -4)"
fi

printf 'id,start_s,src,dst,bytes\n1,0,virginia,california,1000000\n2,0.01,california,virginia,500000\n' >"$TMP/xf.csv"
"$GAIASIM" net -t vc -f "$TMP/xf.csv" >"$TMP/net_file.out" 2>&1
"$GAIASIM" net --topology=vc --transfers=- <"$TMP/xf.csv" >"$TMP/net_stdin.out" 2>&1
# the same rows but for the last column, which echoes the transfer list as given (- for stdin)
if [ -s "$TMP/net_file.out" ] && [ "$(cut -d, -f1-12 "$TMP/net_file.out")" = "$(cut -d, -f1-12 "$TMP/net_stdin.out")" ] &&
	[ "$(sed -n 2p "$TMP/net_stdin.out" | awk -F, '{ print $NF }')" = - ]; then
	ok "net --transfers=- reads the transfer list from standard input"
else
	bad "net -f -" "$(head -3 "$TMP/net_stdin.out")"
fi

# ---- traces: -T on run, header echo, a warning when the trace misses the run's span ----
# A trace whose changes lie at 300 s and later: a 10-clock run (a few simulated seconds) ends
# long before, so nothing after time 0 is replayed.
"$GAIASIM" trace gen -t vc --duration=900 --seed=3 --step=300 >"$TMP/late.csv" 2>/dev/null
run_gs tr1 run "$CONF" -T "$TMP/late.csv" --set stop.clocks=10 -q
end=$(sed -n 's/^simulated_time_s  *//p' "$TMP/tr1.out")
if [ "$(rc tr1)" = 0 ] && grep -q "^trace  *late$" "$TMP/tr1.out" &&
	grep -q "warning: trace 'late' changes until .* but the run ended at" "$TMP/tr1.err" &&
	awk -v e="$end" 'BEGIN { exit !(e < 300) }'; then
	ok "a trace changing after the run's end ($end s) warns, and the output names it"
else
	bad "trace span warning" "$(cat "$TMP/tr1.err" | head -3)"
fi
# A trace whose every change lies inside the run: no warning.
printf 'time_s,src,dst,bandwidth_bps\n0,virginia,california,1e9\n0,california,virginia,1e9\n0.5,virginia,california,5e8\n' >"$TMP/early.csv"
run_gs tr2 run "$CONF" --trace "$TMP/early.csv" --set stop.clocks=10 -q
if [ "$(rc tr2)" = 0 ] && ! grep -q warning "$TMP/tr2.err"; then
	ok "a trace inside the run's span gives no warning"
else
	bad "trace inside span" "$(head -3 "$TMP/tr2.err")"
fi

# ---- progress: silent when stderr is not a terminal, lines with --progress, none with -q ----
run_gs pg1 run "$CONF" --set stop.clocks=20
run_gs pg2 run "$CONF" --set stop.clocks=20 --progress
run_gs pg3 run "$CONF" --set stop.clocks=20 --progress -q
if [ "$(rc pg1)" = 0 ] && [ ! -s "$TMP/pg1.err" ] && [ ! -s "$TMP/pg3.err" ] &&
	grep -qE '^\[ *[0-9.]+ s\] gaia +clock 20/20 +simulated [0-9.]+ s +objective [0-9.]+ .*ev/s +done$' "$TMP/pg2.err"; then
	ok "progress: none on a non-terminal stderr or with -q; --progress reports clock, time, objective, events/s"
else
	bad "progress" "$(head -3 "$TMP/pg2.err")"
fi
if command -v script >/dev/null 2>&1; then
	script -qc "'$GAIASIM' run '$CONF' --set stop.clocks=20" /dev/null >"$TMP/pty.out" 2>&1
	if tr '\r' '\n' <"$TMP/pty.out" | grep -qa 'clock 20/20.*done'; then
		ok "progress is on by default when stderr is a terminal (script -qc)"
	else
		bad "progress on a terminal" "$(head -3 "$TMP/pty.out")"
	fi
else
	skipped "progress on a pseudo-terminal (no script)"
fi

# ---- compare: comparison id, CSV columns, ratio_to_lan, variants, JSON, config_text rerun ----
DB=$TMP/cmp.db
run_gs cmp compare "$CONF" --sync 'bsp,gaia,gaia{threshold=0.05,slack=1}' --db "$DB" --format=csv -q
if [ "$(rc cmp)" = 0 ]; then
	hdr=$(head -1 "$TMP/cmp.out")
	ids=$(sqlite3 "$DB" "SELECT count(DISTINCT comparison_id), count(*), min(comparison_id > 0) FROM runs")
	labels=$(sqlite3 "$DB" "SELECT group_concat(label, ' ') FROM (SELECT label FROM runs ORDER BY run_id)")
	csvid=$(sed -n 2p "$TMP/cmp.out" | awk -F, '{ print $NF }')
	dbid=$(sqlite3 "$DB" "SELECT DISTINCT comparison_id FROM runs")
	case "$hdr" in *ratio_to_lan*target,topology,trace,seed,comparison_id) hok=1 ;; *) hok=0 ;; esac
	if [ "$hok" = 1 ] && [ "$ids" = "1|3|1" ] && [ "$csvid" = "$dbid" ] &&
		[ "$labels" = "bsp gaia gaia{threshold=0.05,slack=1}" ]; then
		ok "compare: one comparison id over its 3 runs (in the CSV too), variants labelled apart"
	else
		bad "compare ids/labels" "hdr=$hdr ids=$ids labels=$labels csv=$csvid db=$dbid"
	fi
	# ratio_to_lan is filled though lan was not in the list (the LAN reference ran for the target)
	# (the variant's label is quoted and holds a comma: read the plain rows 2 and 3)
	if awk -F, 'NR == 2 || NR == 3 { if ($4 == "" || $4 <= 0) bad = 1; if ($(NF-3) != "vc" || $(NF-2) != "" || $(NF-1) != 7) bad = 1 } END { exit bad }' "$TMP/cmp.out"; then
		ok "ratio_to_lan is filled from the LAN reference run; rows name topology vc, no trace, seed 7"
	else
		bad "ratio_to_lan" "$(cat "$TMP/cmp.out")"
	fi
	# the variant's overrides are in its stored config
	if sqlite3 "$DB" "SELECT config_text FROM runs WHERE run_id = 3" | grep -qx 'gaia.threshold = 0.05' &&
		sqlite3 "$DB" "SELECT config_text FROM runs WHERE run_id = 3" | grep -qx 'gaia.slack = 1' &&
		sqlite3 "$DB" "SELECT config_text FROM runs WHERE run_id = 2" | grep -qx 'gaia.slack = 0'; then
		ok "a variant's key overrides apply to its run only"
	else
		bad "variant overrides"
	fi
	# a stored config_text runs again as it is, to the same result
	for id in 1 3; do
		sqlite3 "$DB" "SELECT config_text FROM runs WHERE run_id = $id" >"$TMP/stored$id.conf"
		rm -f "$TMP/rerun$id.db"
		run_gs rerun$id run "$TMP/stored$id.conf" --db "$TMP/rerun$id.db" -q
		a=$(sqlite3 "$DB" "SELECT time_to_target_s, final_objective, wan_bytes, clocks_completed FROM summary WHERE run_id = $id")
		b=$(sqlite3 "$TMP/rerun$id.db" "SELECT time_to_target_s, final_objective, wan_bytes, clocks_completed FROM summary")
		ta=$(sqlite3 "$DB" "SELECT config_text FROM runs WHERE run_id = $id")
		tb=$(sqlite3 "$TMP/rerun$id.db" "SELECT config_text FROM runs")
		if [ "$(rc rerun$id)" = 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] && [ "$ta" = "$tb" ]; then
			ok "stored config_text of run $id reruns with gaiasim run to the same result ($a)"
		else
			bad "rerun of run $id" "$(head -2 "$TMP/rerun$id.err") [$a] [$b]"
		fi
	done
else
	bad "compare with variants" "$(head -3 "$TMP/cmp.err")"
fi
run_gs json compare "$CONF" --sync bsp,lan --format json -q
if [ "$(rc json)" = 0 ] && python3 -m json.tool "$TMP/json.out" >/dev/null 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["runs"]; assert len(r)==2 and d["topology"]=="vc" and d["seed"]==7 and abs(r[1]["ratio_to_lan"]-1)<1e-9 and d["comparison_id"] is None' "$TMP/json.out"; then
	ok "compare --format json parses (python3 -m json.tool) and holds the runs, topology, seed, and no id without --db"
else
	bad "compare json" "$(head -5 "$TMP/json.out") $(head -2 "$TMP/json.err")"
fi
run_gs tbl compare "$CONF" --sync bsp -q --db "$TMP/tbl.db"
if head -1 "$TMP/tbl.out" | grep -qE "^# config .*small.conf +topology vc +trace none +seed 7 +comparison $(sqlite3 "$TMP/tbl.db" 'SELECT comparison_id FROM runs')\$"; then
	ok "compare's table starts with a # line naming config, topology, trace, seed and comparison"
else
	bad "compare header" "$(head -1 "$TMP/tbl.out")"
fi

# ---- the key tables and the getters agree ----
# Every shipped config runs (1 clock) without reading an undocumented key (that would abort),
# and together with a few settings that take the other branches, every documented key is read
# by some run: the stored config_text lists the keys a run read.
KDB=$TMP/keys.db
cover() { # NAME CONFIG ARGS...: one short run stored into $KDB
	n=$1
	shift
	timeout 300 "$GAIASIM" run "$@" --set stop.clocks=1 --set eval.every=1 --db "$KDB" -q \
		>"$TMP/cov_$n.out" 2>"$TMP/cov_$n.err"
	echo $? >"$TMP/cov_$n.rc"
}
for f in "$TOP"/workloads/*.conf; do
	n=$(basename "$f" .conf)
	case $n in ic-*) [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || {
		skipped "$n (no dataset-fashion-mnist)"; continue; } ;; esac
	# (image data cut to a few hundred examples: the keys read are the same, the run short)
	case $n in ic-*) cover "$n" "$f" --set machines=1 --set ic.train_limit=600 --set ic.test_limit=200 \
		--set ic.eval_sample=200 ;; *) cover "$n" "$f" --set machines=1 ;; esac
	if [ "$(cat "$TMP/cov_$n.rc")" = 0 ]; then ok "shipped config $n runs (every key it reads is documented)"
	else bad "shipped config $n" "$(head -2 "$TMP/cov_$n.err")"; fi
done
cover skew "$CONF" --set mf.partition=skewed --set stop.target=1 --set net.bw_scale=2 --set straggler=virginia:2
cover held "$CONF" --set mf.test_fraction=0.2 --set stop.target_on=test --set stop.time_s=100
cover icsyn - --set workload=ic --set ic.data=synthetic --set ic.model=mlp --set ic.hidden=8 \
	--set topology=vc --set machines=1 </dev/null
cover lda - --set workload=lda --set topology=vc --set machines=1 --set lda.docs=50 </dev/null
cover trace "$CONF" -T "$TMP/early.csv"
cover eff "$TMP/stored1.conf"
for n in skew held icsyn lda trace eff; do
	[ "$(cat "$TMP/cov_$n.rc")" = 0 ] || bad "coverage run $n" "$(head -2 "$TMP/cov_$n.err")"
done
sqlite3 "$KDB" "SELECT config_text FROM runs" | sed -n 's/^\([a-z0-9_.]*\) = .*/\1/p' | sort -u >"$TMP/read.keys"
# compare.* keys are read by compare itself (they never reach a run's config): an unknown key
# would be refused, so an accepted --set shows that it is read.
timeout 120 "$GAIASIM" compare "$CONF" --sync bsp -q --set compare.target_fraction=0.9 \
	--set compare.clock_factor=2 >/dev/null 2>"$TMP/cmpkeys.err" &&
	printf 'compare.clock_factor\ncompare.target_fraction\n' >>"$TMP/read.keys"
# emu.compute is read only by `gaiasim emu run` (tests/cli_emu_run.sh runs it both ways).
printf 'emu.compute\n' >>"$TMP/read.keys"
unread=""
for k in $(cut -f1 "$TMP/keys.out"); do
	grep -qx "$k" "$TMP/read.keys" || unread="$unread $k"
done
if [ -z "$unread" ]; then ok "every documented key is read by some run"; else
	bad "documented keys no run read" "$unread"; fi
# Documented plain defaults agree with what a run records when the key is absent: an empty
# config per workload (mf, and lda/ic above set only what is named here).
timeout 120 "$GAIASIM" run - --db "$TMP/def.db" -q --set topology=vc --set stop.clocks=1 \
	--set mf.users=300 --set mf.items=100 --set mf.ratings=3000 </dev/null >/dev/null 2>&1
sqlite3 "$TMP/def.db" "SELECT config_text FROM runs" 2>/dev/null >"$TMP/def.txt"
drift=""
ndef=0
while read -r key def; do
	val=$(sed -n "s/^$(echo "$key" | sed 's/\./\\./g') = //p" "$TMP/def.txt")
	case "$key" in topology|stop.clocks|mf.users|mf.items|mf.ratings|sync_effective) continue ;; esac
	[ -n "$val" ] || continue
	ndef=$((ndef + 1))
	if [ "$val" != "$def" ] && ! awk -v a="$val" -v b="$def" 'BEGIN { exit !(a + 0 == b + 0 && a ~ /^[-0-9.e+]+$/) }'; then
		drift="$drift $key(doc $def, run $val)"
	fi
done <<EOF_KEYS
$(awk -F'\t' '$3 != "" && $3 !~ / / { print $1, $3 }' "$TMP/keys.out")
EOF_KEYS
if [ -z "$drift" ] && [ "$ndef" -gt 30 ]; then ok "$ndef documented defaults match what a run records"; else
	bad "documented defaults" "$ndef checked;$drift"; fi

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
