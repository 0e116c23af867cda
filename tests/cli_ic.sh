#!/bin/sh
# The image-classification workload end to end through `gaiasim run`: it trains under every
# sync model unchanged, BSP and LAN compute the same model (they differ only in time), a
# label-skewed run works, a bad IDX file is rejected naming the file and leaves no run in the
# database, and (when the Debian package dataset-fashion-mnist is installed) the shipped
# ic-*.conf configurations load and run.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TESTDATA_DIR and
# TOP_SRCDIR locate tests/data and workloads/). Prints `TESTCASES: N passed, M failed, K skipped`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
DATA=${TESTDATA_DIR:-${srcdir:-.}/tests/data}/ic
TOP=${TOP_SRCDIR:-${srcdir:-.}}
CONF=$DATA/run.conf
FASHION=/usr/share/datasets/fashion-mnist
pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$CONF" ]; then
	echo "cli_ic.sh: need $GAIASIM and $CONF" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-ic.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }
field() { sed -n "s/^$2  *//p" "$1" | head -1; }
run_gs() {
	name=$1
	shift
	timeout 300 "$GAIASIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }

# Every sync model trains: 4 well-separated clusters (noise 0.5 around N(0, 1) means in 16
# dimensions) are learned to > 90% training accuracy in 40 clocks (8 epochs), and the
# cross-entropy falls below half its initial value.
for model in bsp ssp:2 async gaia lan; do
	tag=$(echo "$model" | tr ':' '_')
	run_gs "m_$tag" run "$CONF" --set sync="$model"
	a=$(field "$TMP/m_$tag.out" final_metric)
	i=$(field "$TMP/m_$tag.out" initial_objective)
	f=$(field "$TMP/m_$tag.out" final_objective)
	if [ "$(rc "m_$tag")" = 0 ] && [ -n "$a" ] &&
		awk -v a="$a" -v i="$i" -v f="$f" 'BEGIN { exit !(a > 0.9 && f < i / 2) }'; then
		ok "$model trains (cross-entropy $i -> $f, training accuracy $a)"
	else
		bad "$model trains" "accuracy=$a objective $i -> $f $(cat "$TMP/m_$tag.err")"
	fi
done

# BSP and LAN read the same model at every clock (all updates of the clocks before): same
# final objective, at different simulated times.
ob=$(field "$TMP/m_bsp.out" final_objective)
ol=$(field "$TMP/m_lan.out" final_objective)
tb=$(field "$TMP/m_bsp.out" simulated_time_s)
tl=$(field "$TMP/m_lan.out" simulated_time_s)
if [ -n "$ob" ] && awk -v a="$ob" -v b="$ol" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }' &&
	awk -v a="$tb" -v b="$tl" 'BEGIN { exit !(a > b) }'; then
	ok "bsp and lan train the same model ($ob), bsp slower ($tb s vs $tl s)"
else
	bad "bsp and lan train the same model" "objective $ob vs $ol, time $tb vs $tl"
fi

# A run is deterministic; a label-skewed one also trains.
run_gs again run "$CONF" --set sync=gaia
cmp -s "$TMP/m_gaia.out" "$TMP/again.out" && ok "run is deterministic" ||
	bad "run is deterministic" "$(diff "$TMP/m_gaia.out" "$TMP/again.out")"
run_gs skew run "$CONF" --set sync=gaia --set ic.label_skew=1
[ "$(rc skew)" = 0 ] && ! cmp -s "$TMP/m_gaia.out" "$TMP/skew.out" && ok "label_skew = 1 runs and changes the run" ||
	bad "label_skew = 1 runs and changes the run" "$(cat "$TMP/skew.err")"

# Bad input: a file with a bad magic number; the message names it, nothing is stored.
run_gs badfile run "$CONF" --set ic.data=idx --set ic.train_images="$DATA/bad-magic.idx" --db "$TMP/bad.db"
if [ "$(rc badfile)" != 0 ] && grep -q "bad-magic.idx: byte 0: bad magic" "$TMP/badfile.err"; then
	ok "a bad IDX file is rejected naming the file and byte"
else
	bad "a bad IDX file is rejected naming the file and byte" "rc=$(rc badfile) $(cat "$TMP/badfile.err")"
fi
if [ ! -e "$TMP/bad.db" ] || { command -v sqlite3 >/dev/null 2>&1 &&
	[ "$(sqlite3 "$TMP/bad.db" 'select count(*) from runs')" = 0 ]; }; then
	ok "the failed run stores nothing"
else
	bad "the failed run stores nothing"
fi
run_gs badkey run "$CONF" --set ic.hidden=12,x
grep -q "<command line>.*ic.hidden: bad value '12,x'" "$TMP/badkey.err" && [ "$(rc badkey)" != 0 ] &&
	ok "a bad ic.hidden is rejected naming its origin" || bad "a bad ic.hidden is rejected" "$(cat "$TMP/badkey.err")"

# The shipped configurations (Fashion-MNIST), two clocks each on one machine per region, on a
# prefix of the data (the full sets take minutes under the sanitizers of CI's build).
if [ -r "$FASHION/train-images-idx3-ubyte.gz" ] && [ -r "$FASHION/t10k-labels-idx1-ubyte.gz" ]; then
	for c in ic-ec2-11 ic-vc ic-ss; do
		run_gs "$c" run "$TOP/workloads/$c.conf" --set stop.clocks=2 --set machines=1 --set eval.every=2 \
			--set ic.train_limit=6000 --set ic.test_limit=1000
		[ "$(rc "$c")" = 0 ] && [ "$(field "$TMP/$c.out" clocks)" = 2 ] && ok "$c.conf runs" ||
			bad "$c.conf runs" "$(cat "$TMP/$c.err")"
	done
else
	skipped "shipped ic-*.conf (dataset-fashion-mnist not installed)"
fi

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
