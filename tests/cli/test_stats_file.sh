#!/bin/sh
# test_stats_file.sh - `ottorec stats` and the --stats option of `candidates`
# and `recommend --strategy ranker`: the file built once gives the same
# candidates (every file of the table) and the same submission, byte for
# byte, as building the statistics from --train; with both, the file must
# be of those stores; a file whose recorded store has changed is refused
# as stale, naming it; a damaged one is refused naming it and how to
# rebuild it; usage errors.  `run`'s stats stages are in test_ranker.sh,
# serve's default OUTDIR/ranker.stats in test_serve.sh.
. "$TESTS_DIR/cli/lib.sh"

O="$OTTOREC"
S="$T/s"
"$O" synth --quiet --scale 0.001 --seed 2 -o "$S" >/dev/null 2>&1
F="$T/f"
"$O" split --quiet --days 7 -o "$F" "$S/train.store" >/dev/null 2>&1
"$O" covisit --quiet -o "$F/cv" "$F/train.store" "$F/test.store" >/dev/null 2>&1

TR="--train $F/train.store --train $F/test.store"
expect_ok "stats" "$O" stats --json $TR -o "$T/f.stats"
expect_true "stats: its JSON summary" python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["command"] == "stats" and j["stores"] == 2 and j["items"] > 100, j
assert j["events"] > 1000 and j["period_days"] >= 7 and j["bytes"] > 4096, j
assert "wall_seconds" in j and "peak_rss_bytes" in j, j
' "$T/stdout"
expect_ok "stats, human summary" "$O" stats $TR -o "$T/f2.stats"
expect_true "stats says what it wrote" grep -q "^stats: .* items of .* events in 2 stores .*wrote $T/f2.stats" "$T/stderr"
expect_same "stats: the same file twice" "$T/f.stats" "$T/f2.stats"

# candidates: the same table from the file as from the stores
CAND="--test $F/test.store --labels $F/test_labels.jsonl --covisit $F/cv --max 30 --negatives 5"
expect_ok "candidates --train" "$O" candidates --quiet $CAND $TR -o "$T/ct"
expect_ok "candidates --stats" "$O" candidates --quiet $CAND --stats "$T/f.stats" -o "$T/cs"
expect_ok "candidates --stats --train (matching)" "$O" candidates --quiet $CAND --stats "$T/f.stats" \
	--train "$F/test.store" --train "$F/train.store" -o "$T/cb"
for f in features.npy labels.npy group_sizes.npy session.npy aid.npy candidates.json; do
	expect_same "candidates --stats: the same $f" "$T/ct/$f" "$T/cs/$f"
	expect_same "candidates --stats --train: the same $f" "$T/ct/$f" "$T/cb/$f"
done

# recommend --strategy ranker: the same submission
expect_ok "fit" "$O" fit --quiet --rounds 5 --candidates "$T/ct" -o "$T/m"
RK="--strategy ranker --model $T/m --covisit $F/cv --test $F/test.store"
expect_ok "recommend ranker --train" "$O" recommend --quiet $RK $TR -o "$T/t.csv"
expect_ok "recommend ranker --stats" "$O" recommend --quiet $RK --stats "$T/f.stats" -o "$T/s.csv"
expect_same "recommend ranker --stats: the same submission" "$T/t.csv" "$T/s.csv"
expect_true "the submission is not empty" test "$(wc -l < "$T/s.csv")" -gt 100

# stale: other stores given, or a recorded store replaced
expect_fail "--stats of other stores than --train is refused" \
	"$T/f.stats: stale item statistics: the store $S/train.store .*rebuild it with .ottorec stats" \
	"$O" recommend --quiet $RK --stats "$T/f.stats" --train "$F/test.store" --train "$S/train.store" -o "$T/x.csv"
expect_fail "--stats of more stores than --train is refused" "$T/f.stats: item statistics of 2 stores .*not of the 1 given" \
	"$O" candidates --quiet $CAND --stats "$T/f.stats" --train "$F/train.store" -o "$T/cx"
mkdir -p "$T/c"
cp "$F/train.store" "$F/test.store" "$T/c/"
expect_ok "stats of copies" "$O" stats --quiet --train "$T/c/train.store" --train "$T/c/test.store" -o "$T/c.stats"
expect_ok "the copies' statistics are those of the originals" "$O" recommend --quiet $RK --stats "$T/c.stats" -o "$T/c.csv"
expect_same "the copies' statistics: the same submission" "$T/t.csv" "$T/c.csv"
cp "$S/test.store" "$T/c/test.store"
expect_fail "a recorded store changed since: stale, named" \
	"$T/c.stats: stale item statistics: built from .*/c/test.store .*another checksum now.*rebuild it with" \
	"$O" recommend --quiet $RK --stats "$T/c.stats" -o "$T/x.csv"
expect_fail "candidates refuse it too" "$T/c.stats: stale item statistics" \
	"$O" candidates --quiet $CAND --stats "$T/c.stats" -o "$T/cx"
rm -f "$T/c/test.store"
expect_ok "a recorded store moved away: not compared" "$O" recommend --quiet $RK --stats "$T/c.stats" -o "$T/c2.csv"
expect_same "... and the same submission" "$T/t.csv" "$T/c2.csv"

# damaged files (test_damaged.sh runs every case; one of each kind here)
head -c 5000 "$T/f.stats" > "$T/cut.stats"
expect_fail "a truncated file is refused, naming it and the rebuild" "$T/cut.stats: .*rebuild it with .ottorec stats" \
	"$O" recommend --quiet $RK --stats "$T/cut.stats" -o "$T/x.csv"
expect_fail "a store is not a statistics file" "$F/train.store: .*item statistics" \
	"$O" candidates --quiet $CAND --stats "$F/train.store" -o "$T/cx"

# usage
expect_fail "stats needs --train" "give the training period's stores with --train STORE" "$O" stats -o "$T/x.stats"
expect_fail "stats needs -o" "give the statistics file with -o FILE" "$O" stats $TR
expect_fail "stats: stores come with --train" "unexpected argument" "$O" stats -o "$T/x.stats" "$F/train.store"
expect_fail "stats: the output may not be an input" "output" "$O" stats $TR -o "$F/train.store"
expect_fail "stats: a missing store is named" "$T/none.store" "$O" stats --train "$T/none.store" -o "$T/x.stats"
expect_true "a failed stats leaves no file" test ! -e "$T/x.stats"
expect_fail "--stats is for the ranker" "--stats is for --strategy ranker" \
	"$O" recommend --quiet --strategy covisit --covisit "$F/cv" --test "$F/test.store" --stats "$T/f.stats" -o "$T/x.csv"
expect_fail "the ranker needs --train or --stats" "with --train STORE or their statistics with --stats FILE" \
	"$O" recommend --quiet --strategy ranker --model "$T/m" --covisit "$F/cv" --test "$F/test.store" -o "$T/x.csv"
expect_fail "recommend: the output may not be the statistics" "output" \
	"$O" recommend --quiet $RK --stats "$T/f.stats" -o "$T/f.stats"
rm -rf "$T"
