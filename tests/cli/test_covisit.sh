# tests/cli/test_covisit.sh - `ottorec covisit` and `ottorec recommend`
# cross-checked against the stdlib-only Python port of the same recipe
# (tests/ref/covisit_ref.py) on a small synthetic data set and its local
# split: the three tables entry for entry with exact weights, and the
# submissions byte for byte (for the split's test sessions and, to exercise
# the long-history branch often, for its train sessions too); the same bytes
# for 1 or 2 threads and for many aid-range parts; errors and usage.
. "$TESTS_DIR/cli/lib.sh"
REF="$TESTS_DIR/ref/covisit_ref.py"

"$OTTOREC" synth --quiet --scale 0.0005 --seed 11 -o "$T/d" >/dev/null 2>&1
"$OTTOREC" split --quiet -o "$T/sp" "$T/d/train.store"
"$OTTOREC" export --quiet -o "$T/train.jsonl" "$T/sp/train.store"
"$OTTOREC" export --quiet -o "$T/test.jsonl" "$T/sp/test.store"

expect_ok "covisit on split train + test" "$OTTOREC" covisit --quiet --threads 2 -o "$T/cv" "$T/sp/train.store" "$T/sp/test.store"
mkdir -p "$T/ref"
if python3 "$REF" tables "$T/ref" "$T/train.jsonl" "$T/test.jsonl" 2>"$T/pyerr"; then
	for k in clicks carts_orders buy2buy; do
		expect_ok "$k table equals the Python reference (rows, order, exact weights)" \
			python3 "$REF" compare "$T/cv/$k.covisit" "$T/ref/$k.txt"
	done
else
	fail "reference tables" "$(head -c 600 "$T/pyerr")"
fi

expect_ok "covisit with 1 thread and tiny parts" "$OTTOREC" covisit --json --threads 1 --mem-gib 0.00001 -o "$T/cv1" "$T/sp/train.store" "$T/sp/test.store"
expect_true "many parts were used" grep -q '"parts":[2-9]' "$T/stdout"
expect_true "--json has wall time and peak RSS" grep -q '"wall_seconds":.*"peak_rss_bytes":' "$T/stdout"
for k in clicks carts_orders buy2buy; do
	expect_same "$k: same bytes for any thread count and parts" "$T/cv/$k.covisit" "$T/cv1/$k.covisit"
done

expect_ok "recommend split test" "$OTTOREC" recommend --quiet --strategy covisit --test "$T/sp/test.store" --covisit "$T/cv" -o "$T/sub.csv"
python3 "$REF" recommend "$T/ref" "$T/test.jsonl" "$T/ref_sub.csv"
expect_same "submission equals the Python reference" "$T/sub.csv" "$T/ref_sub.csv"
expect_ok "recommend split train (long sessions)" "$OTTOREC" recommend --quiet --threads 1 --test "$T/sp/train.store" --covisit "$T/cv" -o "$T/sub_train.csv"
python3 "$REF" recommend "$T/ref" "$T/train.jsonl" "$T/ref_sub_train.csv"
expect_same "train-session submission equals the Python reference" "$T/sub_train.csv" "$T/ref_sub_train.csv"
long=$(python3 -c '
import json, sys
print(sum(len(set(e["aid"] for e in json.loads(l)["events"])) >= 20 for l in open(sys.argv[1])))' "$T/train.jsonl")
expect_true "the long-history branch is exercised ($long sessions)" test "$long" -gt 50
expect_ok "recommend --threads 2" "$OTTOREC" recommend --quiet --threads 2 --test "$T/sp/train.store" --covisit "$T/cv" -o "$T/sub_train2.csv"
expect_same "recommend: same bytes for 1 or 2 threads" "$T/sub_train.csv" "$T/sub_train2.csv"
expect_ok "evaluate the submission" "$OTTOREC" evaluate --quiet --json --labels "$T/sp/test_labels.jsonl" "$T/sub.csv"
expect_true "the submission scores above 0.3" python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["total"] > 0.3 else 1)' "$T/stdout"
expect_ok "recommend --json" "$OTTOREC" recommend --json --test "$T/sp/test.store" --covisit "$T/cv" -o "$T/sub3.csv"
expect_true "recommend --json reports sessions and RSS" grep -q '"sessions":[1-9].*"peak_rss_bytes"' "$T/stdout"

# errors and usage
expect_fail "covisit without -o" 'give the output directory' "$OTTOREC" covisit "$T/sp/train.store"
expect_fail "covisit without stores" 'no STORE given' "$OTTOREC" covisit -o "$T/x"
expect_fail "covisit missing store" 'cannot open .*nope' "$OTTOREC" covisit --quiet -o "$T/x" "$T/nope.store"
expect_fail "covisit bad --only" '--only takes' "$OTTOREC" covisit --only views -o "$T/x" "$T/sp/train.store"
expect_fail "covisit bad weights" '--type-weights must be' "$OTTOREC" covisit --type-weights 1,2 -o "$T/x" "$T/sp/train.store"
expect_fail "recommend without --covisit" 'give the matrices' "$OTTOREC" recommend --test "$T/sp/test.store" -o "$T/x.csv"
expect_fail "recommend bad strategy" '--strategy must be seed, covisit, blend or ranker' "$OTTOREC" recommend --strategy mf --test "$T/sp/test.store" --covisit "$T/cv" -o "$T/x.csv"
mkdir -p "$T/cvbad"
cp "$T/cv/"*.covisit "$T/cvbad/"
cp "$T/cv/clicks.covisit" "$T/cvbad/buy2buy.covisit"
expect_fail "recommend with a table of the wrong kind" 'holds the clicks matrix, not buy2buy' \
	"$OTTOREC" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cvbad" -o "$T/x.csv"
cp "$T/cv/buy2buy.covisit" "$T/cvbad/buy2buy.covisit"
size=$(stat -c %s "$T/cvbad/clicks.covisit")
printf '\377' | dd of="$T/cvbad/clicks.covisit" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
printf '\377\377\377\377' | dd of="$T/cvbad/clicks.covisit" bs=1 seek=8192 conv=notrunc 2>/dev/null
expect_fail "recommend with a damaged table" 'checksum mismatch|bad offsets|beyond the table' \
	"$OTTOREC" recommend --quiet --test "$T/sp/test.store" --covisit "$T/cvbad" -o "$T/x.csv"
expect_true "no submission left after a failure" test ! -e "$T/x.csv"
expect_ok "covisit -h" "$OTTOREC" covisit -h
expect_true "covisit usage names the rule" grep -q 'buy2buy' "$T/stdout"
expect_ok "recommend -h" "$OTTOREC" recommend -h
expect_true "recommend usage names the strategy" grep -q 'logspace' "$T/stdout"
rm -rf "$T"
