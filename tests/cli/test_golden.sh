# tests/cli/test_golden.sh - golden CLI outputs, stored as data (as jq's
# .test files and zstd's .exact files): `ottorec help`, `ottorec CMD -h` for
# every command that `ottorec help` lists, and the cases of
# tests/cli/golden/cases.tsv (info, evaluate).  Each case's stdout, stderr
# and exit status must equal tests/cli/golden/NAME.out byte for byte, after
# timings in JSON ("seconds", "*_seconds", "peak_rss_bytes") are replaced by
# N.  A command without a golden file, or a golden file without a case,
# fails.
#
# To regenerate after an intended change of output: `make golden` (the test
# build, then this script with UPDATE_GOLDEN=1, which rewrites the files that
# differ and removes those without a case); then read `git diff`.
. "$TESTS_DIR/cli/lib.sh"
case "$OTTOREC" in /*) ;; *) OTTOREC=$(pwd)/$OTTOREC ;; esac
G="$TESTS_DIR/cli/golden"
W="$T/work"
mkdir -p "$W"
cp "$G"/in/* "$W/"
"$OTTOREC" convert --quiet -o "$W/sample.store" "$SAMPLE"

# run_case NAME ARGS... : the case's text (stdout, stderr, exit) in $T/NAME.got
run_case() {
	name=$1; shift
	(cd "$W" && "$OTTOREC" "$@" >"$T/o" 2>"$T/e"; echo $? >"$T/rc")
	{
		cat "$T/o"
		echo "--- stderr"
		cat "$T/e"
		echo "--- exit $(cat "$T/rc")"
	} | sed -E 's/"((|[a-z_]+_)seconds|peak_rss_bytes)":[0-9.e+-]+/"\1":N/g' >"$T/$name.got"
}

# check_case NAME : compare (or, with UPDATE_GOLDEN=1, write) NAME.out
check_case() {
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cmp -s "$T/$1.got" "$G/$1.out" || { cp "$T/$1.got" "$G/$1.out"; echo "updated $G/$1.out" >&2; }
		pass "golden $1 (written)"
	elif [ ! -f "$G/$1.out" ]; then
		fail "golden $1" "no $G/$1.out (make it with UPDATE_GOLDEN=1, see this script's header)"
	elif cmp -s "$T/$1.got" "$G/$1.out"; then
		pass "golden $1"
	else
		fail "golden $1" "output differs from $1.out: $(diff "$G/$1.out" "$T/$1.got" | head -20)"
	fi
	echo "$1" >>"$T/names"
}

: >"$T/names"
run_case help help
check_case help
cmds=$(sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p' "$T/help.got" | grep -v '^help$')
expect_true "help lists commands" test -n "$cmds"
for c in $cmds; do
	run_case "$c-h" "$c" -h
	check_case "$c-h"
done
while IFS='	' read -r name args; do
	case "$name" in '#'*|'') continue ;; esac
	# shellcheck disable=SC2086
	run_case "$name" $args
	check_case "$name"
done <"$G/cases.tsv"

# every golden file belongs to a case
for f in "$G"/*.out; do
	n=$(basename "$f" .out)
	if grep -qx "$n" "$T/names"; then continue; fi
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		rm -f "$f"; echo "removed $f (no such case)" >&2
	else
		fail "golden file $n.out has a case" "no case makes it: remove it or add the case to cases.tsv"
	fi
done
rm -rf "$T"
