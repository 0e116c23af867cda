#!/bin/sh
# Fuzz regression: every parser harness of tests/fuzz/ (run by the normal build's
# tests/fuzz/fuzz_regress driver) over every seed and every regression input of every harness:
# the shipped seed files, tests/fuzz/corpus/*/ and tests/fuzz/regress/*/. A parser may accept
# or cleanly reject an input (a message naming the file); a crash, a sanitizer report, a leak
# (in a sanitizer build) or a failed harness check fails the case. One case per harness and
# input. Inputs under tests/fuzz/regress/NAME/ once crashed parser NAME: that parser must
# reject them with a message naming file and line (binary formats: file and byte offset,
# "FILE: byte N: ..."). Large ones are stored gzip-compressed
# (FILE.gz) and decompressed here. Messages may quote input bytes that are not text (grep -a).
# Prints `TESTCASES: N passed, M failed`.

DRIVER=${FUZZ_REGRESS:-$PWD/tests/fuzz/fuzz_regress}
TOP=${TOP_SRCDIR:-${srcdir:-.}}
FUZZ=$TOP/tests/fuzz
pass=0
fail=0

if [ ! -x "$DRIVER" ] || [ ! -d "$FUZZ/corpus" ]; then
	echo "fuzz_regress.sh: no driver at $DRIVER or no $FUZZ/corpus (set FUZZ_REGRESS, TOP_SRCDIR)" >&2
	echo "TESTCASES: 0 passed, 1 failed"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gaiasim-fuzz-regress.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

names=$("$DRIVER" --list)
# Every input: seeds of every harness, committed corpus and regression inputs.
: >"$TMP/inputs"
for n in $names; do
	"$DRIVER" --seeds "$n" >>"$TMP/inputs" || { echo "FAIL: seeds of $n"; fail=$((fail + 1)); }
done
find "$FUZZ/corpus" "$FUZZ/regress" -type f ! -name '.*' ! -name '*.gz' 2>/dev/null | sort >>"$TMP/inputs"
for gz in $(find "$FUZZ/regress" -type f -name '*.gz' | sort); do
	rel=${gz#"$FUZZ/regress/"}
	out=$TMP/regress/${rel%.gz}
	mkdir -p "$(dirname "$out")"
	if gzip -dc "$gz" >"$out"; then
		echo "$out" >>"$TMP/inputs"
	else
		echo "FAIL: cannot decompress $gz"
		fail=$((fail + 1))
	fi
done

for n in $names; do
	# One driver run per harness over all inputs; it prints one line per input it finished.
	tr '\n' '\0' <"$TMP/inputs" | xargs -0 "$DRIVER" "$n" >"$TMP/out" 2>"$TMP/err"
	st=$?
	while IFS= read -r f; do
		line=$(grep -a -F -x -e "accepted $f" "$TMP/out"; grep -a -F -e "rejected $f: " "$TMP/out" | head -1)
		case "$f" in
		"$FUZZ/regress/$n/"* | "$TMP/regress/$n/"*)
			# A former crash of this parser: a clean rejection naming file and line.
			case "$line" in
			"rejected $f: gaiasim: $f:"[0-9]* | "rejected $f: gaiasim: $f: byte "[0-9]*)
				pass=$((pass + 1)); echo "PASS: $n rejects $f" ;;
			*) fail=$((fail + 1)); echo "FAIL: $n on regression input $f: ${line:-no result}" ;;
			esac ;;
		*)
			if [ -n "$line" ]; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "FAIL: $n on $f: no result (driver status $st)"
			fi ;;
		esac
	done <"$TMP/inputs"
	if [ "$st" -ne 0 ]; then
		fail=$((fail + 1))
		echo "FAIL: $n driver exited with status $st:"
		sed 's/^/    /' "$TMP/err" | head -30
	else
		echo "PASS: $n over $(wc -l <"$TMP/inputs") inputs"
	fi
done

echo "TESTCASES: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
