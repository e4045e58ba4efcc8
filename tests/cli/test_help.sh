# tests/cli/test_help.sh - every command listed by `ottorec help` answers -h
# with its usage on stdout and exit 0; unknown commands are usage errors.
. "$TESTS_DIR/cli/lib.sh"
expect_ok "ottorec help" "$OTTOREC" help
cmds=$(sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p' "$T/stdout" | grep -v '^help$')
expect_true "help lists commands" test -n "$cmds"
for c in $cmds; do
	expect_ok "$c -h" "$OTTOREC" $c -h
	expect_true "$c -h prints its usage" grep -q "^usage: ottorec $c" "$T/stdout"
	expect_ok "help $c" "$OTTOREC" help $c
done
for c in covisit recommend pairs train neighbors run demo; do
	expect_fail "$c --threads 0 is a usage error" "--threads must be an integer in 1\.\.1024, not '0'" \
		"$OTTOREC" $c --threads 0
done
expect_fail "unknown command" "'bogus' is not a command" "$OTTOREC" bogus
expect_fail "no command" "usage: ottorec <command>" "$OTTOREC"
rm -rf "$T"
