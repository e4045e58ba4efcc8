# tests/cli/lib.sh - helpers for CLI test scripts (sourced).  Each helper
# prints one "PASS name" or "FAIL name" line (skip: "SKIP name: why", for a
# check this machine cannot make); tests/run.sh counts them.
# $OTTOREC is the binary under test; $TMPDIR is a scratch directory.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/cli-XXXXXX")
DATA="$TESTS_DIR/data"
SAMPLE="$TESTS_DIR/data/otto-sample-train.jsonl"

pass() { echo "PASS $1"; }
skip() { echo "SKIP $1: $2"; }
fail() { echo "FAIL $1"; shift; [ $# -gt 0 ] && echo "  $*" >&2; return 0; }

# expect_ok NAME CMD... : command must exit 0
expect_ok() {
	name=$1; shift
	if "$@" >"$T/stdout" 2>"$T/stderr"; then pass "$name"
	else fail "$name" "exit $? from: $* ; stderr: $(head -c 600 "$T/stderr")"; fi
}

# expect_fail NAME PATTERN CMD... : command must exit non-zero, print PATTERN
# (grep -E) on stderr, and not crash (no sanitizer report, no signal)
expect_fail() {
	name=$1; pattern=$2; shift 2
	"$@" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [ $rc -eq 0 ]; then fail "$name" "succeeded but should fail: $*"
	elif [ $rc -ge 128 ]; then fail "$name" "died with signal $((rc - 128)): $(head -c 600 "$T/stderr")"
	elif grep -q -E 'Sanitizer|runtime error' "$T/stderr"; then fail "$name" "sanitizer: $(head -c 600 "$T/stderr")"
	elif ! grep -q -E -- "$pattern" "$T/stderr"; then fail "$name" "stderr lacks /$pattern/: $(head -c 600 "$T/stderr")"
	else pass "$name"; fi
}

# expect_same NAME FILE1 FILE2 : byte-identical files
expect_same() {
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -1)"; fi
}

# expect_true NAME SHELL-CONDITION...
expect_true() {
	name=$1; shift
	if "$@"; then pass "$name"; else fail "$name" "condition failed: $*"; fi
}
