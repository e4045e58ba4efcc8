#!/bin/sh
# test_ranker.sh - the ranker end to end on small synthetic data:
# `candidates` (files, recall table, --share / --rest-store / --rest-labels
# disjoint and complete, the same table for any thread count), `fit` on it,
# `recommend --strategy ranker` (needs, --period, the same lists for any
# thread count, a model of other features refused), and `run`, whose default
# is the ranker: its fit stages, the local-validation row, and that the test
# labels change nothing but the test score (nothing is fitted on them).
. "$TESTS_DIR/cli/lib.sh"

O="$OTTOREC"
S="$T/s"
"$O" synth --quiet --scale 0.001 --seed 2 -o "$S" >/dev/null 2>&1
F="$T/f"
"$O" split --quiet --days 7 -o "$F" "$S/train.store" >/dev/null 2>&1
"$O" covisit --quiet -o "$F/cv" "$F/train.store" "$F/test.store" >/dev/null 2>&1

CAND="--test $F/test.store --labels $F/test_labels.jsonl --covisit $F/cv --train $F/train.store --train $F/test.store"
expect_ok "candidates" "$O" candidates $CAND --max 40 --share 0.6 --negatives 10 \
	--rest-store "$F/valid.store" --rest-labels "$F/valid.jsonl" -o "$T/c" --threads 2
cp "$T/stderr" "$T/cand.err"
for f in features.npy labels.npy group_sizes.npy session.npy aid.npy candidates.json; do
	expect_true "candidates writes $f" test -s "$T/c/$f"
done
for t in clicks carts orders; do
	expect_true "candidates prints the $t recall at 20, 50, 100, 200, not falling" awk -v t="$t" '
		$1 == t { ok = NF == 5 && $2 > 0 && $2 <= $3 && $3 <= $4 && $4 <= $5 && $5 <= 1 }
		END { exit !ok }' "$T/cand.err"
done
expect_ok "candidates --threads 1" "$O" candidates $CAND --max 40 --share 0.6 --negatives 10 -o "$T/c1" --threads 1 --quiet
expect_same "the same table for 1 and 2 threads" "$T/c/features.npy" "$T/c1/features.npy"
expect_true "the table's sessions and the rest are disjoint, and together every labelled session" python3 -c '
import json, struct, sys
def i8(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    data = b[10 + hl:]
    return list(struct.unpack("<%dq" % (len(data) // 8), data))
c = set(i8(sys.argv[1]))
rest = {json.loads(l)["session"] for l in open(sys.argv[2])}
every = {json.loads(l)["session"] for l in open(sys.argv[3])}
j = json.load(open(sys.argv[4]))
assert c and rest and not (c & rest), (len(c), len(rest))
assert j["features"][-1] == "stage1_rank" and len(j["features"]) == 55, j["features"]
assert j["settings"]["max_candidates"] == 40 and j["n_groups"] == len(c)
drawn = j["sessions"] + len(rest)
assert drawn == len(every), (j["sessions"], len(rest), len(every))
' "$T/c/session.npy" "$F/valid.jsonl" "$F/test_labels.jsonl" "$T/c/candidates.json"
expect_fail "the table's directory may not be an input" "output" \
	"$O" candidates $CAND -o "$F/cv"

expect_ok "fit" "$O" fit --quiet --rounds 20 --candidates "$T/c" -o "$T/m"
expect_true "fit's baseline is the stage-1 order" grep -q "baseline by stage1_rank" "$T/stdout"
RK="--strategy ranker --model $T/m --covisit $F/cv --train $F/train.store --train $F/test.store"
expect_ok "recommend ranker" "$O" recommend --quiet $RK --test "$F/valid.store" --period "$F/test.store" \
	-o "$T/v2.csv" --threads 2
expect_ok "recommend ranker, 1 thread" "$O" recommend --quiet $RK --test "$F/valid.store" \
	--period "$F/test.store" -o "$T/v1.csv" --threads 1
expect_same "the same lists for 1 and 2 threads" "$T/v1.csv" "$T/v2.csv"
expect_ok "evaluate the ranker on the rest" "$O" evaluate --labels "$F/valid.jsonl" "$T/v2.csv"
expect_true "the rest's clicks recall is a real one" awk '/^clicks/ { ok = $3 > 0.2 } END { exit !ok }' "$T/stdout"
expect_ok "recommend ranker without --period" "$O" recommend --quiet $RK --test "$F/valid.store" -o "$T/v3.csv"
expect_true "--period matters (the test period's popularity)" sh -c "! cmp -s '$T/v2.csv' '$T/v3.csv'"
expect_fail "ranker needs a model" "give the ranker model with --model" \
	"$O" recommend --strategy ranker --covisit "$F/cv" --train "$F/train.store" --test "$F/valid.store" -o "$T/x.csv"
expect_fail "ranker needs the training period" "give the training period's stores with --train" \
	"$O" recommend --strategy ranker --model "$T/m" --covisit "$F/cv" --test "$F/valid.store" -o "$T/x.csv"
expect_fail "--model is for the ranker" "--model is for --strategy ranker" \
	"$O" recommend --strategy covisit --model "$T/m" --covisit "$F/cv" --test "$F/valid.store" -o "$T/x.csv"
python3 "$TESTS_DIR/cli/make_candidates.py" "$T/other" --groups 40 --rows 10 --features 4 --seed 1
"$O" fit --quiet --rounds 3 --candidates "$T/other" -o "$T/other.m" >/dev/null 2>&1
expect_fail "a model of other features is refused, naming the difference" "expects features" \
	"$O" recommend --strategy ranker --model "$T/other.m" --covisit "$F/cv" --train "$F/train.store" \
	--test "$F/valid.store" -o "$T/x.csv"

# run: the ranker by default; the test labels change nothing but the test score
expect_ok "run (default strategy)" "$O" run --quiet --train "$S/train.store" --test "$S/test.store" \
	--labels "$S/test_labels.jsonl" -o "$T/r1"
cp "$T/stdout" "$T/r1.out"
for st in split-fit covisit-fit stats-fit candidates-fit fit recommend-valid evaluate-valid covisit stats recommend-ranker evaluate-ranker; do
	expect_true "run has the stage $st" grep -q "^$st " "$T/r1.out"
done
# the statistics built once per period: candidates-fit and recommend-valid
# read fit/ranker.stats, the final recommend ranker.stats; the results are
# those of statistics built from the stores by each command
expect_true "run writes the statistics of the split and of train + test" \
	test -s "$T/r1/fit/ranker.stats" -a -s "$T/r1/ranker.stats"
# (a stage's .done record starts with its command line, one argument a line)
for st in candidates-fit:fit/ranker.stats recommend-valid:fit/ranker.stats recommend-ranker:ranker.stats; do
	expect_true "run's ${st%%:*} reads ${st#*:}, not the stores" sh -c \
		"grep -qx -- '$T/r1/${st#*:}' '$T/r1/logs/${st%%:*}.done' && ! grep -qx -- --train '$T/r1/logs/${st%%:*}.done'"
done
expect_ok "recommend with statistics built from the stores" "$O" recommend --quiet --strategy ranker \
	--model "$T/r1/ranker.model" --covisit "$T/r1/covisit" --train "$S/train.store" --train "$S/test.store" \
	--test "$S/test.store" -o "$T/r1_train.csv"
expect_same "run's submission is the one of statistics built from the stores" "$T/r1/submission.csv" "$T/r1_train.csv"
expect_true "run has no embedding stages for the ranker" sh -c "! grep -q -E '^(pairs|train|index) ' '$T/r1.out'"
expect_true "run reports the local validation and the test score" sh -c \
	"grep -q '^ranker (local validation) ' '$T/r1.out' && grep -q '^ranker (test) ' '$T/r1.out'"
# other labels: every click label moved to another aid of the test period
python3 -c '
import json, sys
out = open(sys.argv[2], "w")
for line in open(sys.argv[1]):
    o = json.loads(line)
    l = o["labels"]
    if "clicks" in l:
        l["clicks"] = l["clicks"] + 1
    l.pop("orders", None)
    out.write(json.dumps(o) + "\n")
' "$S/test_labels.jsonl" "$T/other_labels.jsonl"
expect_ok "run with other test labels" "$O" run --quiet --train "$S/train.store" --test "$S/test.store" \
	--labels "$T/other_labels.jsonl" -o "$T/r2"
cp "$T/stdout" "$T/r2.out"
expect_same "other test labels: the same model" "$T/r1/ranker.model" "$T/r2/ranker.model"
expect_same "other test labels: the same submission" "$T/r1/submission.csv" "$T/r2/submission.csv"
expect_true "other test labels: the same local validation" sh -c \
	"[ \"\$(grep '^ranker (local validation)' '$T/r1.out')\" = \"\$(grep '^ranker (local validation)' '$T/r2.out')\" ]"
expect_true "other test labels: another test score" sh -c \
	"[ \"\$(grep '^ranker (test)' '$T/r1.out')\" != \"\$(grep '^ranker (test)' '$T/r2.out')\" ]"
rm -rf "$T"
