#!/usr/bin/env bash
# The layering rule of docs/architecture.md, checked on every #include "FOLDER/..." of the
# sources: a folder may include only itself and the folders below it. One test case per
# folder; a case fails naming each include that crosses a layer upward.
#
#   lib        -> (nothing else)
#   topology   -> lib
#   workloads  -> lib
#   results    -> lib
#   ps         -> lib workloads          (the sync logic knows no simulator and no commands)
#   sim        -> lib topology ps        (implements ps/transport.h in virtual time)
#   emu        -> lib topology ps        (implements ps/transport.h over real sockets)
#   cli        -> everything             (the commands and the run assembly)
#
# Usage: check_layers.sh [SOURCE_TOP]   (default: the folder above this script)
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}

declare -A allowed=(
	[lib]="lib"
	[topology]="lib topology"
	[workloads]="lib workloads"
	[results]="lib results"
	[ps]="lib workloads ps"
	[sim]="lib topology ps sim"
	[emu]="lib topology ps sim emu"
	[cli]="lib topology workloads results ps sim emu cli"
)
layers="lib topology workloads results ps sim emu cli"

pass=0 fail=0
for dir in $layers; do
	[ -d "$top/$dir" ] || continue
	bad=""
	for f in "$top/$dir"/*.c "$top/$dir"/*.h; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			to=${inc%%/*}
			case " ${allowed[$dir]} " in
				*" $to "*) ;;
				*) bad+="  $dir/$(basename "$f") includes \"$inc\" ($dir may include: ${allowed[$dir]})"$'\n' ;;
			esac
		done < <(sed -n -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([a-z_]+\/[^"]+)".*/\1/p' "$f")
	done
	if [ -n "$bad" ]; then
		echo "FAIL: layer $dir"
		printf '%s' "$bad"
		fail=$((fail + 1))
	else
		echo "ok: layer $dir"
		pass=$((pass + 1))
	fi
done
# Every folder holding C sources must be a known layer (tests and bench may include anything).
for d in "$top"/*/; do
	d=$(basename "$d")
	case " $layers tests bench m4 " in *" $d "*) continue ;; esac
	if ls "$top/$d"/*.c "$top/$d"/*.h >/dev/null 2>&1; then
		echo "FAIL: folder $d holds C sources but is not a layer in tests/check_layers.sh"
		fail=$((fail + 1))
	fi
done
echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
