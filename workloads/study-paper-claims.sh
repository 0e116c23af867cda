#!/usr/bin/env bash
# Measure gaiasim against the Gaia paper's headline claims (docs/paper-comparison.md):
#  1. compare bsp, ssp:3, gaia and lan on ec2-11, vc and ss (same data, seed and target);
#  2. how the ratios move with the compute per clock (mf.ns_per_rating x 1, 100, 1000, 10000);
#  3. the share of updates that change a parameter by less than 1% (constant 1% threshold);
#  4. Gaia with hubs on ec2-11.
# Usage: workloads/study-paper-claims.sh [GAIASIM] > study.txt   (about 5 minutes on 2 cores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
G=${1:-$here/../gaiasim}
for t in ec2-11 vc ss; do
	echo "== 1. compare on $t ($here/mf-$t.conf)"
	"$G" compare "$here/mf-$t.conf" --sync bsp,ssp:3,gaia,lan
done
for k in 1 100 1000 10000; do
	ns=$(awk -v k="$k" 'BEGIN { printf "%.2f", 26.16 * k }')
	echo "== 2. ec2-11, compute per rating x$k (mf.ns_per_rating=$ns)"
	"$G" compare "$here/mf-ec2-11.conf" --sync bsp,gaia,lan --set mf.ns_per_rating="$ns"
done
echo "== 3. share of updates below 1% of their parameter (gaia, constant 1% threshold)"
for lr in 0.1 0.03 0.01; do
	"$G" run "$here/mf-ec2-11.conf" --set gaia.schedule=constant --set mf.lr="$lr" |
		awk -v lr="$lr" '$1 == "share_filter_sent" { s = $2 } $1 == "share_below_1pct" { b = $2 }
			END { printf "mf.lr=%s: filter sent %s, single-clock updates below 1%% %s\n", lr, s, b }'
done
echo "== 4. gaia with hubs on ec2-11"
"$G" compare "$here/mf-ec2-11.conf" --sync gaia,lan --set gaia.hubs=on
