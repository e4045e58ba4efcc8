# tests/cli/test_synth.sh - `ottorec synth`: usage, the files it writes,
# determinism across thread counts, --json, --jsonl, and option errors.
. "$TESTS_DIR/cli/lib.sh"

expect_ok "synth -h" "$OTTOREC" synth -h
expect_true "usage names --scale and -o" grep -q -- '--scale X --seed N -o DIR' "$T/stdout"
expect_ok "help synth" "$OTTOREC" help synth
expect_true "help synth prints the usage" grep -q -- '--jsonl' "$T/stdout"

# a small data set: the three files, a summary line
expect_ok "synth scale 0.0005" "$OTTOREC" synth --scale 0.0005 --seed 3 -o "$T/a" --threads 1
for f in train.store test.store test_labels.jsonl; do
	expect_true "wrote $f" test -s "$T/a/$f"
done
expect_true "summary line" grep -q '^wrote .*train 6450 sessions' "$T/stdout"
expect_true "no temporary files left" sh -c "! ls '$T/a' | grep -q tmp"
expect_true "labels: one line per test session" test "$(wc -l < "$T/a/test_labels.jsonl")" -eq 836
expect_true "labels in the organiser's format" \
	grep -q -E '^\{"session":6450,"labels":\{("clicks":[0-9]+|"carts":\[|"orders":\[)' "$T/a/test_labels.jsonl"

# the same seed with 2 threads: the same bytes; another seed: other bytes
expect_ok "synth 2 threads" "$OTTOREC" synth --scale 0.0005 --seed 3 -o "$T/b" --threads 2 --quiet
expect_true "--quiet prints nothing" test ! -s "$T/stdout"
for f in train.store test.store test_labels.jsonl; do
	expect_same "$f same with 1 and 2 threads" "$T/a/$f" "$T/b/$f"
done
expect_ok "synth seed 4" "$OTTOREC" synth --scale 0.0005 --seed 4 -o "$T/c" --quiet
expect_true "another seed, another train.store" sh -c "! cmp -s '$T/a/train.store' '$T/c/train.store'"

# --json summary
expect_ok "synth --json" "$OTTOREC" synth --scale 0.0001 --seed 1 -o "$T/d" --json
expect_true "json: counts, time, memory" grep -q -E \
	'^\{"command":"synth".*"train_sessions":1290,"train_events":[0-9]+,"test_sessions":167,.*"wall_s":[0-9.e-]+,"peak_rss_bytes":[0-9]+\}$' \
	"$T/stdout"

# --jsonl: OTTO's JSONL, which reads back into the same store
expect_ok "synth --jsonl" "$OTTOREC" synth --scale 0.0001 --seed 1 -o "$T/e" --jsonl --quiet
expect_true "train.jsonl written" test -s "$T/e/train.jsonl"
expect_true "test.jsonl written" test -s "$T/e/test.jsonl"
expect_true "train.jsonl starts like OTTO's" \
	grep -q -E '^\{"session":0,"events":\[\{"aid":[0-9]+,"ts":16593[0-9]{8},"type":"(clicks|carts)"\}' \
	"$T/e/train.jsonl"
expect_true "train.jsonl: one line per session" test "$(wc -l < "$T/e/train.jsonl")" -eq 1290
expect_ok "convert train.jsonl back" "$OTTOREC" convert --quiet -o "$T/e/back.store" "$T/e/train.jsonl"
expect_same "JSONL round trip gives the same store" "$T/e/back.store" "$T/e/train.store"
expect_same "seed 1 again: the same store" "$T/d/train.store" "$T/e/train.store"
# issue 16: files this run did not write are never deleted (they may be
# the user's own OTTO files): kept, with a warning naming them
cp "$T/e/train.jsonl" "$T/e/train.jsonl.orig"
expect_ok "synth again without --jsonl" "$OTTOREC" synth --scale 0.0001 --seed 2 -o "$T/e" --quiet
expect_true "JSONL it did not write is kept as it was" cmp -s "$T/e/train.jsonl" "$T/e/train.jsonl.orig"
expect_true "test.jsonl kept too" test -s "$T/e/test.jsonl"
expect_true "a warning names the JSONL that is not this run's" \
	grep -q "warning: .*/e/train.jsonl is not from this run" "$T/stderr"

# errors: clear messages, non-zero exit, nothing written
expect_fail "scale 0 rejected" 'scale.*0\.0001 to 1' "$OTTOREC" synth --scale 0 --seed 1 -o "$T/x"
expect_fail "scale 2 rejected" 'scale.*0\.0001 to 1' "$OTTOREC" synth --scale 2 -o "$T/x"
expect_fail "scale text rejected" "--scale 'lots'" "$OTTOREC" synth --scale lots -o "$T/x"
expect_fail "scale 1e-5 rejected" 'scale' "$OTTOREC" synth --scale 1e-5 -o "$T/x"
expect_true "nothing written for a bad scale" test ! -e "$T/x"
expect_fail "missing -o" 'no output directory' "$OTTOREC" synth --scale 0.001
expect_fail "-o without a value" '-o needs a value' "$OTTOREC" synth --scale 0.001 -o
expect_fail "bad seed" "--seed '-3'" "$OTTOREC" synth --seed -3 -o "$T/x"
expect_fail "bad threads" "--threads '0'" "$OTTOREC" synth --threads 0 -o "$T/x"
expect_fail "unknown option" "unknown option or argument '--bogus'" "$OTTOREC" synth --bogus -o "$T/x"
mkdir -p "$T/f/test.store"
printf 'mine\n' > "$T/f/train.jsonl"
expect_fail "a write that fails" 'test\.store' "$OTTOREC" synth --scale 0.0001 -o "$T/f"
expect_true "a failed run leaves none of its files" test ! -e "$T/f/train.store" -a ! -e "$T/f/test_labels.jsonl"
expect_true "a failed run keeps the files it did not write" grep -q mine "$T/f/train.jsonl"
printf 'x' > "$T/file"
expect_fail "output under a file" 'file' "$OTTOREC" synth --scale 0.0001 -o "$T/file/sub"

rm -rf "$T"
