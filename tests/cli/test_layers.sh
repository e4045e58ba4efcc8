# tests/cli/test_layers.sh - the include rules of lib/'s areas
# (scripts/check-layers.sh): they hold on lib/, and the check fails on a
# copy with a planted violation in each rule.
. "$TESTS_DIR/cli/lib.sh"
SRC="$TESTS_DIR/.."
CHECK="$SRC/scripts/check-layers.sh"

expect_ok "lib areas keep their include rules" sh "$CHECK" "$SRC/lib"

cp -r "$SRC/lib" "$T/lib"
printf '#include "or_metrics.h"\n' >> "$T/lib/base/or_err.c"
expect_fail "check refuses base/ including rec/" "or_err.c includes or_metrics.h of rec/" sh "$CHECK" "$T/lib"

rm -rf "$T/lib"; cp -r "$SRC/lib" "$T/lib"
printf '#include "or_tune.h"\n' >> "$T/lib/io/or_npy.h"
expect_fail "check refuses io/ including rec/" "or_npy.h includes or_tune.h of rec/" sh "$CHECK" "$T/lib"
rm -rf "$T"
