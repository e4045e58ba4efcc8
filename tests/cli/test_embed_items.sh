# tests/cli/test_embed_items.sh - pairs, train, index build, neighbors and
# `run` on aids near 2^31: a small synthetic data set whose aids are mapped
# by the order-preserving aid -> 2147480000 + 3 aid.  Models have one row per
# distinct aid (small files, where main asked for a 2^31-row model), the
# embeddings are byte for byte those of the unmapped data, neighbours and
# submissions come out in the large aids; the ids file beside the
# embeddings (refused when its length, order or range is wrong), a .npy
# without ids (row r = aid r), checkpoints and old file versions.
. "$TESTS_DIR/cli/lib.sh"

expect_ok synth "$OTTOREC" synth --quiet --scale 0.0005 --seed 3 -o "$T/d"
# big ID: 2147480000 + 3 ID, written as text (awk's numbers may print as 2.1e+09)
big() { awk -F, -v OFS=, 'NR == 1 { print; next } { $2 = "214748" sprintf("%04d", 3 * $2); print }'; }
for s in train test; do
	"$OTTOREC" export --quiet "$T/d/$s.store" -o "$T/$s.csv"
	big < "$T/$s.csv" > "$T/big_$s.csv"
	expect_ok "convert big $s" "$OTTOREC" convert --quiet -o "$T/big_$s.store" "$T/big_$s.csv"
done
expect_true "aids near 2^31" grep -q '^[0-9]*,214748[0-9]\{4\},' "$T/big_train.csv"
n_items=$(tail -n +2 -q "$T/big_train.csv" "$T/big_test.csv" | cut -d, -f2 | sort -u | wc -l)
expect_true "hundreds of items ($n_items)" test "$n_items" -gt 500

# pairs: the union dictionary, pairs of items
expect_ok pairs "$OTTOREC" pairs --quiet --json -o "$T/p.bin" "$T/d/train.store" "$T/d/test.store"
expect_ok "pairs big" "$OTTOREC" pairs --quiet --json -o "$T/bp.bin" "$T/big_train.store" "$T/big_test.store"
expect_true "pairs json: items = distinct aids" grep -q "\"items\":$n_items," "$T/stdout"
np=$(sed -n 's/.*"train_pairs":\([0-9]*\),"valid_pairs":\([0-9]*\).*/\1 \2/p' "$T/stdout")
expect_true "pairs file: header + pairs + one aid per item" \
	test "$(wc -c < "$T/bp.bin")" -eq $((4096 + 8 * ${np% *} + 8 * ${np#* } + 4 * n_items))
expect_true "same size as the unmapped pairs" test "$(wc -c < "$T/bp.bin")" -eq "$(wc -c < "$T/p.bin")"

# train: n_items rows, the ids beside them, the unmapped data's embeddings
expect_ok train "$OTTOREC" train --quiet --batch 4096 -o "$T/e.npy" "$T/p.bin"
expect_ok "train big" "$OTTOREC" train --quiet --json --batch 4096 -o "$T/be.npy" "$T/bp.bin"
expect_true "train json: rows = items" grep -q "\"rows\":$n_items," "$T/stdout"
expect_true "train json names the ids" grep -q '"ids":"[^"]*be\.ids\.npy"' "$T/stdout"
expect_true "matrix: n_items x 32 float32" test "$(wc -c < "$T/be.npy")" -eq $((128 + n_items * 32 * 4))
expect_true "ids: n_items int64" test "$(wc -c < "$T/be.ids.npy")" -eq $((128 + n_items * 8))
expect_true "ids header" grep -q "'descr': '<i8', 'fortran_order': False, 'shape': ($n_items,)" "$T/be.ids.npy"
expect_same "same embeddings as the unmapped data" "$T/e.npy" "$T/be.npy"
expect_true "other ids than the unmapped data" sh -c "! cmp -s '$T/e.ids.npy' '$T/be.ids.npy'"
expect_true "no temporary files" sh -c "! ls '$T' | grep -q tmp"

# index and neighbours: rows inside, aids outside
expect_ok index "$OTTOREC" index build --quiet -o "$T/i.ann" "$T/e.npy"
expect_ok "index big" "$OTTOREC" index build --quiet --json -o "$T/bi.ann" "$T/be.npy"
expect_true "index json: rows, ids file" grep -q "\"rows\":$n_items,.*\"row_aids\":\"[^\"]*be\.ids\.npy\"" "$T/stdout"
expect_true "index as small as the unmapped one" test "$(wc -c < "$T/bi.ann")" -eq "$(wc -c < "$T/i.ann")"
expect_ok neighbors "$OTTOREC" neighbors "$T/i.ann" --aid 5
awk -F, -v OFS=, 'NR > 1 { $1 = "214748" sprintf("%04d", 3 * $1); $3 = "214748" sprintf("%04d", 3 * $3) } { print }' \
	"$T/stdout" > "$T/want.csv"
expect_ok "neighbors big" "$OTTOREC" neighbors "$T/bi.ann" --aid 2147480015 -o "$T/got.csv"
expect_true "neighbours are large aids" grep -q '^2147480015,1,214748[0-9]\{4\},' "$T/got.csv"
expect_same "neighbours: the unmapped ones, mapped" "$T/want.csv" "$T/got.csv"
printf '2147480015\n2147480000\n' > "$T/q.txt"
expect_ok "neighbors big --queries" "$OTTOREC" neighbors "$T/bi.ann" --queries "$T/q.txt" -k 3 -o "$T/gotq.csv"
expect_true "queries: 2 x 3 rows of large aids" test "$(grep -c '^214748[0-9]\{4\},[1-3],214748[0-9]\{4\},' "$T/gotq.csv")" -eq 6
expect_fail "aid between items" "aid 2147480016 is not in the index \\($n_items items, aids 2147480000\\.\\." \
	"$OTTOREC" neighbors "$T/bi.ann" --aid 2147480016
expect_fail "small aid, big index" "aid 5 is not in the index" "$OTTOREC" neighbors "$T/bi.ann" --aid 5
printf '2147480015\n16\n' > "$T/q2.txt"
expect_fail "query file: aid not in the index" "q2.txt:2: aid 16 is not in the index" \
	"$OTTOREC" neighbors "$T/bi.ann" --queries "$T/q2.txt"

# a .npy without ids file keeps its meaning: row r = aid r
cp "$T/be.npy" "$T/plain.npy"
expect_ok "index of a .npy without ids" "$OTTOREC" index build --quiet --json -o "$T/plain.ann" "$T/plain.npy"
expect_true "index json: row numbers" grep -q '"row_aids":"row numbers"' "$T/stdout"
expect_ok "plain neighbors" "$OTTOREC" neighbors "$T/plain.ann" --aid 5
"$OTTOREC" neighbors "$T/i.ann" --aid 5 > "$T/n5.csv"
expect_same "row = aid: the unmapped neighbours" "$T/n5.csv" "$T/stdout"
expect_fail "plain index has no large aids" "aid 2147480015 is not in the index \\($n_items items, aids 0\\.\\.$((n_items - 1))\\)" \
	"$OTTOREC" neighbors "$T/plain.ann" --aid 2147480015

# an ids file that does not fit is refused, naming it
"$OTTOREC" index synth -o "$T/ten.npy" --rows 10 --dim 32 >/dev/null
cp "$T/be.ids.npy" "$T/ten.ids.npy"
expect_fail "ids of the wrong length" "ten\\.ids\\.npy: $n_items aids for a matrix of 10 rows" \
	"$OTTOREC" index build --quiet -o "$T/x.ann" "$T/ten.npy"
cp "$T/be.npy" "$T/u.npy"
cp "$T/be.ids.npy" "$T/u.ids.npy"
dd if="$T/be.ids.npy" of="$T/u.ids.npy" bs=8 skip=16 seek=17 count=1 conv=notrunc 2>/dev/null
expect_fail "unsorted ids" "u\\.ids\\.npy: aids are not strictly increasing at row 1" \
	"$OTTOREC" index build --quiet -o "$T/x.ann" "$T/u.npy"
cp "$T/be.ids.npy" "$T/u.ids.npy"
printf '\000\000\000\200\000\000\000\000' | dd of="$T/u.ids.npy" bs=8 seek=$((16 + n_items - 1)) conv=notrunc 2>/dev/null
expect_fail "ids beyond 2^31 - 1" "u\\.ids\\.npy: aid 2147483648 at row $((n_items - 1)) is outside 0\\.\\.2147483647" \
	"$OTTOREC" index build --quiet -o "$T/x.ann" "$T/u.npy"
expect_true "refused builds leave no index" test ! -e "$T/x.ann"

# checkpoints have one row per item
expect_ok "train 2 epochs" "$OTTOREC" train --quiet --batch 4096 --epochs 2 -o "$T/two.npy" "$T/bp.bin"
expect_ok "train 1 epoch, checkpoint" "$OTTOREC" train --quiet --batch 4096 --checkpoint "$T/ck" -o "$T/one.npy" "$T/bp.bin"
expect_ok "resume to 2" "$OTTOREC" train --batch 4096 --epochs 2 --checkpoint "$T/ck" --resume -o "$T/res.npy" "$T/bp.bin"
expect_same "resumed = straight" "$T/two.npy" "$T/res.npy"
expect_same "resumed ids" "$T/two.ids.npy" "$T/res.ids.npy"
head -n 301 "$T/big_test.csv" > "$T/small.csv"
"$OTTOREC" convert --quiet -o "$T/small.store" "$T/small.csv"
"$OTTOREC" pairs --quiet -o "$T/sp.bin" "$T/small.store"
expect_fail "checkpoint of other items" "checkpoint has $n_items rows, the pairs need" \
	"$OTTOREC" train --batch 4096 --epochs 2 --checkpoint "$T/ck" --resume -o "$T/x.npy" "$T/sp.bin"

# older files say how to rebuild them: pairs 1 (own header) and 2 (pairs
# of aids), index 3 (own header) and 4 (no row aids)
for v in 1 2; do
	cp "$T/bp.bin" "$T/old.bin"
	printf "\\00$v" | dd of="$T/old.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
	expect_fail "pairs format $v" "old\\.bin: pairs file format version $v, this ottorec reads version 3; rebuild it with \`ottorec pairs\`" \
		"$OTTOREC" train -o "$T/x.npy" "$T/old.bin"
done
for v in 3 4; do
	cp "$T/bi.ann" "$T/old.ann"
	printf "\\00$v" | dd of="$T/old.ann" bs=1 seek=8 conv=notrunc 2>/dev/null
	expect_fail "index format $v" "old\\.ann: index format version $v, this ottorec reads version 5; rebuild it with \`ottorec index build\`" \
		"$OTTOREC" neighbors "$T/old.ann" --aid 2147480015
done

# run: the ids file travels with the embeddings; the submission is the
# unmapped one, mapped
expect_ok "run seed" "$OTTOREC" run --quiet --strategy seed --train "$T/d/train.store" --test "$T/d/test.store" -o "$T/r0"
expect_ok "run seed big" "$OTTOREC" run --strategy seed --train "$T/big_train.store" --test "$T/big_test.store" -o "$T/r1"
expect_true "stage table lists the ids file" grep -q '^train .*embeddings\.npy (.*embeddings\.ids\.npy (' "$T/stdout"
awk -F, -v OFS=, 'NR > 1 { n = split($2, a, " "); s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") "214748" sprintf("%04d", 3 * a[i]); $2 = s } { print }' \
	"$T/r0/submission.csv" > "$T/want_sub.csv"
expect_same "submission: the unmapped one, mapped" "$T/want_sub.csv" "$T/r1/submission.csv"
rm "$T/r1/embeddings.ids.npy"
expect_ok "run --resume without the ids" "$OTTOREC" run --resume --strategy seed --train "$T/big_train.store" --test "$T/big_test.store" -o "$T/r1"
expect_true "pairs resumed" grep -q 'pairs (done before, skipped)' "$T/stderr"
expect_true "train rerun for its missing ids" sh -c "grep -q '\\] train:' '$T/stderr' && ! grep -q '\\] train (done before' '$T/stderr'"
expect_true "ids back" test -s "$T/r1/embeddings.ids.npy"
expect_same "same submission" "$T/want_sub.csv" "$T/r1/submission.csv"
rm -rf "$T"
