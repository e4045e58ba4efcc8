# tests/cli/test_safety.sh - issue 16's reliability rules (docs/hacking.md,
# "Reliability"): no command overwrites its own input; a file-size limit
# fails a mapped write cleanly; `run --resume` keys stages on their inputs'
# content and checks the outputs it skips; the covisit tables are one set
# (manifest) and an output directory has one writer (lock); one clear
# message per usage or input error; no leak when `run -o` names a file.
. "$TESTS_DIR/cli/lib.sh"
O=$OTTOREC
S=$T/S
expect_ok "synth a small data set (with JSONL)" "$O" synth --scale 0.0001 --seed 1 -o "$S" --jsonl --quiet
cp "$S/train.store" "$T/train.orig"

# ---- 1. an output is never one of the command's inputs ----
expect_fail "split -o DIR refuses to overwrite its input DIR/train.store" \
	"output directory .*/S would overwrite the input .*/S/train.store" "$O" split --quiet -o "$S" "$S/train.store"
expect_same "split left its input as it was" "$S/train.store" "$T/train.orig"
expect_ok "split into another directory" "$O" split --quiet -o "$T/sp" "$S/train.store"
expect_fail "pairs -o its input store" "output .*train.store is the input" \
	"$O" pairs --quiet -o "$S/train.store" "$S/train.store"
expect_fail "pairs -o the input under another spelling" "is the input" \
	"$O" pairs --quiet -o "$S/../S/./train.store" "$S/test.store" "$S/train.store"
ln "$S/test.store" "$T/hard.store"
expect_fail "convert -o a hard link of its input" "is the input" \
	"$O" convert --quiet -o "$T/hard.store" "$S/test.jsonl" "$S/test.store"
expect_fail "convert -o its text input" "is the input" "$O" convert --quiet -o "$S/test.jsonl" "$S/test.jsonl"
expect_same "the input is as it was" "$S/train.store" "$T/train.orig"
expect_ok "index synth" "$O" index synth --quiet -o "$T/e.npy" --rows 300 --dim 8 --seed 3
expect_fail "index build -o its input" "is the input" "$O" index build --quiet -o "$T/e.npy" "$T/e.npy"
expect_ok "index build" "$O" index build --quiet --nlist 4 -o "$T/i.ann" "$T/e.npy"
expect_fail "neighbors -o its index" "is the input" "$O" neighbors "$T/i.ann" --aid 1 -o "$T/i.ann"
printf '1\n2\n' >"$T/q.txt"
expect_fail "neighbors -o its queries" "is the input" "$O" neighbors "$T/i.ann" --queries "$T/q.txt" -o "$T/q.txt"
expect_ok "pairs" "$O" pairs --quiet -o "$T/p.bin" "$T/sp/train.store"
expect_fail "train --checkpoint over its pairs file" "output .*p.bin is the input" \
	"$O" train --quiet -o "$T/m.npy" --checkpoint "$T/p.bin" "$T/p.bin"
expect_fail "train -o its pairs file" "is the input" "$O" train --quiet -o "$T/p.bin" "$T/p.bin"
expect_ok "covisit" "$O" covisit --quiet --threads 2 -o "$T/cv" "$T/sp/train.store" "$T/sp/test.store"
expect_fail "recommend -o its test store" "is the input" \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cv" -o "$T/sp/test.store"
expect_fail "recommend -o inside its covisit directory" "lies inside the input directory" \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cv" -o "$T/cv/clicks.covisit"
expect_fail "tune -o its labels" "is the input" \
	"$O" tune --quiet --test "$T/sp/test.store" --labels "$T/sp/test_labels.jsonl" --covisit "$T/cv" -o "$T/sp/test_labels.jsonl"
expect_fail "covisit -o DIR refuses to overwrite an input DIR/clicks.covisit" "would overwrite the input" \
	"$O" covisit --quiet -o "$T/cv" "$T/sp/test.store" "$T/cv/clicks.covisit"
expect_fail "export -o its store" "is the input" "$O" export --quiet -o "$S/train.store" "$S/train.store"
expect_fail "run -o DIR where converting writes over the test input" \
	"would overwrite the input .*/S/train.store" \
	"$O" run --quiet --train "$S/train.jsonl" --test "$S/train.store" -o "$S"
expect_same "still as it was" "$S/train.store" "$T/train.orig"

# ---- 3. a mapped write past a file-size limit: an error, no temporary ----
mkdir -p "$T/lim"
(ulimit -f 16 && exec "$O" pairs --quiet --no-shuffle -o "$T/lim/p.bin" "$T/sp/train.store" "$T/sp/test.store") \
	>"$T/stdout" 2>"$T/stderr"
rc=$?
expect_true "pairs --no-shuffle past ulimit -f fails with status 1, not a signal (got $rc)" test "$rc" -eq 1
expect_true "it says it cannot reserve the space" grep --quiet "cannot reserve .* bytes for .*p.bin: File too large" "$T/stderr"
expect_true "and leaves no file behind" test -z "$(ls "$T/lim")"
(ulimit -f 16 && exec "$O" covisit --quiet -o "$T/lim/cv" "$T/sp/train.store") >"$T/stdout" 2>"$T/stderr"
rc=$?
expect_true "covisit past ulimit -f fails cleanly too (status $rc)" test "$rc" -eq 1
expect_true "no table temporary left" test -z "$(ls "$T/lim/cv" | grep -v '^covisit.manifest$')"

# ---- 5. run --resume keys stages on their inputs and checks outputs ----
R=$T/run
cp "$T/sp/test.store" "$T/cur.store"
expect_ok "run" "$O" run --quiet --threads 2 --strategy seed --train "$T/sp/train.store" --test "$T/cur.store" \
	--labels "$T/sp/test_labels.jsonl" -o "$R"
expect_ok "run --resume, nothing changed" "$O" run --quiet --resume --threads 2 --strategy seed \
	--train "$T/sp/train.store" --test "$T/cur.store" --labels "$T/sp/test_labels.jsonl" -o "$R"
# info-train, info-test, pairs, train, index, recommend-seed, evaluate-seed
expect_true "every stage resumed" test "$(grep -c resumed "$T/stdout")" -eq 7
cp "$R/submission.csv" "$T/sub.old"
# other sessions under the same name: the train sessions as the test set
cp "$T/sp/train.store" "$T/cur.store"
expect_ok "run --resume after the test input was replaced" "$O" run --quiet --resume --threads 2 --strategy seed \
	--train "$T/sp/train.store" --test "$T/cur.store" --labels "$T/sp/test_labels.jsonl" -o "$R"
# all but info-train, the one stage that reads train alone
expect_true "the stages that read it ran again" test "$(grep -c resumed "$T/stdout")" -eq 1
expect_true "info-train alone resumed" grep -q -E '^info-train +resumed' "$T/stdout"
expect_ok "a fresh run on the new input" "$O" run --quiet --threads 2 --strategy seed \
	--train "$T/sp/train.store" --test "$T/cur.store" --labels "$T/sp/test_labels.jsonl" -o "$T/fresh"
expect_same "the resumed run's submission is the fresh run's" "$R/submission.csv" "$T/fresh/submission.csv"
expect_true "and not the old one" test -n "$(cmp "$R/submission.csv" "$T/sub.old" 2>&1)"
size=$(stat -c %s "$R/pairs.bin")
truncate -s $((size / 2)) "$R/pairs.bin"
expect_ok "run --resume after pairs.bin was truncated" "$O" run --quiet --resume --threads 2 --strategy seed \
	--train "$T/sp/train.store" --test "$T/cur.store" --labels "$T/sp/test_labels.jsonl" -o "$R"
expect_true "pairs ran again" grep --quiet "^pairs  *[0-9]" "$T/stdout"
expect_true "pairs.bin is whole again" test "$(stat -c %s "$R/pairs.bin")" -eq "$size"

# ---- 6. the covisit tables are one set; one writer per directory ----
expect_true "covisit writes a manifest" grep --quiet "^state complete" "$T/cv/covisit.manifest"
expect_ok "the same stores, shorter clicks rows (same dictionary)" \
	"$O" covisit --quiet --threads 2 --top-clicks 10 -o "$T/cv10" "$T/sp/train.store" "$T/sp/test.store"
mkdir -p "$T/mix"
cp "$T/cv/"* "$T/mix/"
cp "$T/cv10/clicks.covisit" "$T/mix/"
expect_fail "recommend refuses a table of another covisit run (a kill between renames)" \
	"mix/clicks.covisit: not the table that .*covisit.manifest names.*mixes tables of two covisit runs" \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/mix" -o "$T/x.csv"
expect_true "and writes no submission" test ! -e "$T/x.csv"
rm "$T/mix/covisit.manifest"
expect_ok "a directory without a manifest (an older ottorec's) still opens" \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/mix" -o "$T/x.csv"
mkdir -p "$T/cvf/carts_orders.covisit"
expect_fail "a covisit run that fails after its first table" "carts_orders" \
	"$O" covisit --quiet -o "$T/cvf" "$T/sp/train.store"
rmdir "$T/cvf/carts_orders.covisit"
cp "$T/cv/carts_orders.covisit" "$T/cv/buy2buy.covisit" "$T/cvf/"
expect_fail "its directory is refused as unfinished" 'did not finish \(covisit.manifest says "writing"\)' \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cvf" -o "$T/x.csv"
expect_ok "covisit --only clicks into a finished directory" \
	"$O" covisit --quiet --only clicks -o "$T/cv10" "$T/sp/train.store" "$T/sp/test.store"
expect_ok "keeps the other two in the set" "$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cv10" -o "$T/x.csv"
if command -v flock >/dev/null 2>&1; then
	# -o: the lock stays with flock itself, so that killing it frees it
	flock -o "$T/cv/.ottorec.lock" sleep 10 >/dev/null 2>&1 &
	holder=$!
	sleep 0.5
	expect_fail "a second covisit into a directory being written fails at once" \
		"cv is being written by another ottorec" "$O" covisit --quiet -o "$T/cv" "$T/sp/train.store"
	mkdir -p "$R"
	flock -o "$R/.ottorec.lock" sleep 10 >/dev/null 2>&1 &
	holder2=$!
	sleep 0.5
	expect_fail "so does a second run" "run is being written by another ottorec" \
		"$O" run --quiet --strategy covisit --train "$T/sp/train.store" --test "$T/sp/test.store" -o "$R"
	kill "$holder" "$holder2"
	wait "$holder" "$holder2" 2>/dev/null
else
	skip "covisit and run locks" "no flock(1) on this machine"
fi

# ---- 9. one clear message per error ----
for c in pairs train covisit recommend neighbors index split convert tune evaluate run demo; do
	expect_fail "$c -Z: one message naming the option" "^ottorec $c: unknown option -Z$" "$O" $c -Z
	expect_true "$c -Z: not getopt's own too" test "$(grep -c -i 'option' "$T/stderr")" -eq 1
	expect_fail "$c --bogus names it" "^ottorec $c: unknown option --bogus$" "$O" $c --bogus
done
expect_fail "an option without its value" "option --output needs a value" "$O" pairs --output
expect_fail "a flag given a value" "option --quiet takes no value" "$O" pairs --quiet=1 -o x "$S/train.store"
expect_ok "recommend -q -k 5 (as neighbors takes -k)" "$O" recommend -q -k 5 --test "$T/sp/test.store" \
	--covisit "$T/cv" -o "$T/k5.csv"
expect_true "-q: nothing on stderr" test ! -s "$T/stderr"
expect_true "-k 5: 5 aids a row" test "$(sed -n 2p "$T/k5.csv" | cut -d, -f2 | wc -w)" -eq 5
: >"$T/empty.txt"
expect_fail "neighbors --queries of an empty file" "empty.txt holds no query aids" \
	"$O" neighbors "$T/i.ann" --queries "$T/empty.txt"
expect_fail "convert given a store says so" "train.store is an ottorec event store already" \
	"$O" convert -o "$T/y.store" "$S/train.store"
mkdir -p "$T/exp/d"
expect_fail "export -o DIR fails before writing" "output .*exp/d is a directory" "$O" export -o "$T/exp/d" "$S/train.store"
expect_true "and leaves nothing beside it" test "$(ls "$T/exp")" = d
expect_fail "pairs -o - is refused up front" "not to standard output" "$O" pairs -o - "$S/train.store"
expect_true "with nothing on stdout" test ! -s "$T/stdout"
expect_fail "convert -o - (a store is written in place)" "event store is written in place, not to standard output" \
	"$O" convert --quiet -o - "$S/test.jsonl"
expect_fail "index build -o -" "index is written in place, not to standard output" \
	"$O" index build --quiet --nlist 4 -o - "$T/e.npy"
{ head -c 4096 /dev/zero | tr '\0' '\n'; head -2 "$SAMPLE"; } >"$T/blank_head.jsonl"
expect_ok "4096 blank bytes before valid JSONL are read" "$O" convert --quiet -o "$T/bh.store" "$T/blank_head.jsonl"
expect_ok "info of it" "$O" info "$T/bh.store"
expect_true "it holds the 2 sessions" grep --quiet "^sessions  *2$" "$T/stdout"
cp -r "$T/cv" "$T/cvsum"
printf '\377\377\377\377' | dd of="$T/cvsum/carts_orders.covisit" bs=1 seek=8192 conv=notrunc 2>/dev/null
expect_fail "a covisit checksum error names the file" "cvsum/carts_orders.covisit: checksum mismatch" \
	"$O" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cvsum" -o "$T/x.csv"

# ---- 11. no leak when the run's directory cannot be made ----
printf 'x' >"$T/file"
expect_fail "run -o FILE" "exists and is not a directory" \
	"$O" run --quiet --train "$T/sp/train.store" --test "$T/sp/test.store" -o "$T/file"
mkdir -p "$T/r2"
printf 'x' >"$T/r2/logs"
expect_fail "run -o DIR whose logs is a file: no leak" "logs exists and is not a directory" \
	"$O" run --quiet --train "$T/sp/train.store" --test "$T/sp/test.store" -o "$T/r2"
rm -rf "$T"
