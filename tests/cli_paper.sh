#!/bin/sh
# The paper-regime configurations and topologies (docs/paper-regime.md):
#  1. every workloads/paper/*.conf parses and runs 2 clocks (`--set stop.clocks=2`, and a smaller
#     data set set on the command line so that the test is fast; the image-classification ones
#     are skipped when the Debian package dataset-fashion-mnist is absent);
#  2. the LAN/WAN contrast of topology/ec2-11-2017.topo, computed here with awk from the file's
#     machine and link lines, is what docs/paper-regime.md states, and follows from the paper's
#     two statements (15x on average, 60x for Singapore <-> Sao Paulo) as that page derives it;
#  3. the two-region 2017 topologies carry the same machine figures and the same links as the
#     11-region one for their pair.
#
# Run by `make check` from the build directory (GAIASIM defaults to ./gaiasim; TOP_SRCDIR
# locates the source tree). Prints `TESTCASES: N passed, M failed, K skipped`.

GAIASIM=${GAIASIM:-$PWD/gaiasim}
TOP=${TOP_SRCDIR:-${srcdir:-.}}
FASHION=/usr/share/datasets/fashion-mnist
TOPO=$TOP/topology/ec2-11-2017.topo
DOC=$TOP/docs/paper-regime.md
pass=0
fail=0
skip=0

if [ ! -x "$GAIASIM" ] || [ ! -r "$TOPO" ] || [ ! -r "$DOC" ]; then
	echo "cli_paper.sh: need $GAIASIM, $TOPO and $DOC" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-cli-paper.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && echo "    $2"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }
field() { sed -n "s/^$2  *//p" "$1" | head -1; }

# 1. Every paper-regime config runs 2 clocks (a results database of its own, then discarded).
n=0
for conf in "$TOP"/workloads/paper/*.conf; do
	n=$((n + 1))
	name=$(basename "$conf" .conf)
	case $name in
	ic-*)
		if [ ! -r "$FASHION/train-images-idx3-ubyte.gz" ]; then
			skipped "$name (no $FASHION)"
			continue
		fi
		;;
	esac
	# Every key of the file is parsed and used; the data are shrunk on the command line so that
	# the test stays fast (under ASan too): the full paper sizes take minutes per config.
	case $name in
	mf-*) small="mf.users=500 mf.ratings=20000 mf.items=2000" ;;
	lda-*) small="lda.docs=100 lda.vocab=2000" ;;
	ic-*) small="ic.train_limit=2200 ic.test_limit=200 ic.eval_sample=200" ;;
	*) small="" ;;
	esac
	sets=""
	for kv in $small; do sets="$sets --set $kv"; done
	# shellcheck disable=SC2086
	timeout 600 "$GAIASIM" run "$conf" --set stop.clocks=2 $sets --db "$TMP/$name.db" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	clocks=$(field "$TMP/$name.out" clocks)
	if [ "$rc" = 0 ] && [ "$clocks" = 2 ]; then
		ok "$name runs 2 clocks"
	else
		bad "$name runs 2 clocks" "rc=$rc clocks=$clocks $(head -3 "$TMP/$name.err")"
	fi
done
[ "$n" -ge 9 ] && ok "9 or more paper-regime configs ($n)" || bad "9 or more paper-regime configs" "found $n"

# 2. The contrast. NIC = the per-machine LAN figure L (machines line, field 4, M = 1e6);
#    mean over every directed link; the Singapore <-> Sao Paulo links.
stats=$(awk '
	function bps(s) { if (s ~ /M$/) { sub(/M$/, "", s); return s * 1e6 } if (s ~ /G$/) { sub(/G$/, "", s); return s * 1e9 } return s + 0 }
	$1 == "machines" && $2 == "*" { nic = bps($4); mach = $3 }
	$1 == "lan" && $2 == "*" { lan = bps($3) }
	$1 == "link" { n++; sum += bps($4); if (min == "" || bps($4) < min) { min = bps($4); minpair = $2 "-" $3 } }
	$1 == "link" && (($2 == "singapore" && $3 == "saopaulo") || ($2 == "saopaulo" && $3 == "singapore")) { ss += bps($4); nss++ }
	END { mean = sum / n; ssm = ss / nss
	      printf "%d %.4f %.4f %.4f %.4f %.4f %s %.4f %d\n", n, nic / 1e6, mean / 1e6, ssm / 1e6, nic / mean, nic / ssm, minpair, lan / nic, mach }' "$TOPO")
set -- $stats
nlinks=$1 nic=$2 mean=$3 ss=$4 ravg=$5 rworst=$6 minpair=$7 lanports=$8 mach=$9
echo "ec2-11-2017: $nlinks links, NIC $nic Mb/s, mean WAN $mean Mb/s, S/S $ss Mb/s, LAN/WAN $ravg (avg) $rworst (worst), least link $minpair, LAN = $lanports x NIC"

# What docs/paper-regime.md states, on its line `ratios: L = ... Mb/s, L / mean = ...x, L / worst = ...x`.
stated=$(sed -n 's/^ratios: L = \([0-9.]*\) Mb\/s, L \/ mean = \([0-9.]*\)x, L \/ worst = \([0-9.]*\)x.*/\1 \2 \3/p' "$DOC" | head -1)
if [ -z "$stated" ]; then
	bad "docs/paper-regime.md states the ratios" "no 'ratios: L = ... Mb/s, L / mean = ...x, L / worst = ...x' line"
else
	set -- $stated
	if awk -v l="$1" -v a="$2" -v w="$3" -v nic="$nic" -v ra="$ravg" -v rw="$rworst" \
		'function d(x, y) { return (x > y ? x - y : y - x) / y } BEGIN { exit !(d(l, nic) < 1e-3 && d(a, ra) < 1e-3 && d(w, rw) < 1e-3) }'; then
		ok "ratios as docs/paper-regime.md states (L $1 Mb/s, $2x, $3x)"
	else
		bad "ratios as docs/paper-regime.md states" "doc: $stated; topology: $nic $ravg $rworst"
	fi
fi
# The derivation: L = sqrt(15 mean x 60 S/S), so (L/mean / 15) x (L/S/S / 60) = 1 and both
# statements are missed by the same factor in opposite directions.
if awk -v a="$ravg" -v w="$rworst" 'BEGIN { p = (a / 15) * (w / 60); exit !(p > 0.999 && p < 1.001) }'; then
	ok "L = sqrt(15 x mean x 60 x S/S): (L/mean/15) x (L/S/S/60) = 1"
else
	bad "L = sqrt(15 x mean x 60 x S/S)" "L/mean $ravg, L/S/S $rworst"
fi
[ "$nlinks" = 110 ] && ok "110 directed links" || bad "110 directed links" "$nlinks"
case $minpair in
singapore-saopaulo | saopaulo-singapore) ok "the least link is Singapore <-> Sao Paulo, as in the paper" ;;
*) bad "the least link is Singapore <-> Sao Paulo" "$minpair" ;;
esac
if awk -v p="$lanports" -v m="$mach" 'BEGIN { exit !(p > 21.999 && p < 22.001 && m == 2) }'; then
	ok "LAN = 22 x NIC, 2 machines per region (the paper setting's 22 machines)"
else
	bad "LAN = 22 x NIC, 2 machines per region" "LAN/NIC $lanports, machines $mach"
fi

# 3. The pairs: same NIC and LAN, 11 machines per region, same links as ec2-11-2017.
for pair in vc:virginia:california ss:singapore:saopaulo; do
	IFS=: read -r name a b <<PAIR
$pair
PAIR
	f=$TOP/topology/$name-2017.topo
	want=$(awk -v a="$a" -v b="$b" '$1 == "link" && (($2 == a && $3 == b) || ($2 == b && $3 == a)) { print $2, $3, $4, $5 }
		$1 == "lan" || $1 == "machines" { print $1, $2, ($1 == "machines" ? $4 : $3 " " $4) }' "$TOPO")
	got=$(awk '$1 == "link" { print $2, $3, $4, $5 } $1 == "lan" || $1 == "machines" { print $1, $2, ($1 == "machines" ? $4 : $3 " " $4) }' "$f")
	m=$(awk '$1 == "machines" { print $3 }' "$f")
	if [ -r "$f" ] && [ "$(echo "$want" | sort)" = "$(echo "$got" | sort)" ] && [ "$m" = 11 ]; then
		ok "$name-2017: the ec2-11-2017 links, NIC and LAN of its pair, 11 machines per region"
	else
		bad "$name-2017 matches ec2-11-2017" "want: $want; got: $got; machines $m"
	fi
done

echo "TESTCASES: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
