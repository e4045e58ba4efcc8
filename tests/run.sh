#!/bin/sh
# tests/run.sh - runs every unit-test binary and every CLI test script, counts
# their PASS/FAIL/SKIP lines, and ends with "N passed, N failed, N skipped".
# A SKIP line is a part of a test that cannot run on this machine (e.g. an
# engine the CPU lacks), listed so that it is not mistaken for a pass.  A
# binary or script that crashes or exits non-zero without printing FAIL
# counts as one failure of its own.
# Environment: OTTOREC (the CLI under test), TEST_BIN_DIR (unit-test binaries).
set -u
: "${OTTOREC:?set OTTOREC to the ottorec binary}"
: "${TEST_BIN_DIR:?set TEST_BIN_DIR}"
OTTOREC=$(cd "$(dirname "$OTTOREC")" && pwd)/$(basename "$OTTOREC")
export OTTOREC
export TESTS_DIR="$(cd "$(dirname "$0")" && pwd)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
work=$(mktemp -d "${TMPDIR:-/tmp}/ottorec-suite-XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
skipped=0

run_one() { # name, command...
	name=$1; shift
	out="$work/out.txt"
	TMPDIR="$work" "$@" >"$out" 2>"$work/err.txt"
	rc=$?
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	s=$(grep -c '^SKIP ' "$out")
	grep '^\(FAIL\|SKIP\) ' "$out" | sed "s|^|  $name: |"
	if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
		sed 's/^/    /' "$work/err.txt" | head -60
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  $name: exited with status $rc without a FAIL line"
		f=1
	fi
	echo "$name: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

for bin in "$TEST_BIN_DIR"/test_*; do
	[ -x "$bin" ] || continue
	case "$bin" in *.o|*.d) continue ;; esac
	run_one "$(basename "$bin")" "$bin"
done
for script in "$TESTS_DIR"/cli/test_*.sh; do
	[ -f "$script" ] || continue
	run_one "cli/$(basename "$script" .sh)" sh "$script"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
