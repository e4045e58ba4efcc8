#!/bin/sh
# test_sparse_ids.sh - item ids of any size (issue #14): the whole
# `run --strategy all` on data whose aids are mapped by an order-preserving
# sparse map (aid -> 100,000,000 + 61 x aid) gives the original run's
# submissions exactly once the aids are mapped back, and the same scores,
# with peak RSS within 10 % of the original run (models are sized by the
# distinct items, not by the largest aid).
. "$TESTS_DIR/cli/lib.sh"

D="$T/data"
"$OTTOREC" synth --quiet --scale 0.002 --seed 11 -o "$D" >/dev/null 2>&1
"$OTTOREC" split --quiet -o "$D/val" "$D/train.store" >/dev/null 2>&1
"$OTTOREC" export --quiet -o "$D/train.jsonl" "$D/val/train.store"
"$OTTOREC" export --quiet -o "$D/test.jsonl" "$D/val/test.store"
cp "$D/val/test_labels.jsonl" "$D/labels.jsonl"

# the sparse map of every aid in events and labels (JSON numbers after
# "aid": and inside "labels"), and its inverse for submissions
python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
f = lambda a: 100000000 + 61 * a
for name in ("train", "test"):
    with open(f"{d}/{name}.jsonl") as src, open(f"{d}/sparse_{name}.jsonl", "w") as dst:
        for line in src:
            s = json.loads(line)
            for e in s["events"]:
                e["aid"] = f(e["aid"])
            dst.write(json.dumps(s, separators=(",", ":")) + "\n")
with open(f"{d}/labels.jsonl") as src, open(f"{d}/sparse_labels.jsonl", "w") as dst:
    for line in src:
        s = json.loads(line)
        lab = s["labels"]
        for k, v in lab.items():
            lab[k] = [f(a) for a in v] if isinstance(v, list) else f(v)
        dst.write(json.dumps(s) + "\n")
PY

expect_ok run_original "$OTTOREC" run --quiet --strategy all --train "$D/train.jsonl" \
	--test "$D/test.jsonl" --labels "$D/labels.jsonl" -o "$T/orig"
cp "$T/stdout" "$T/orig.out"
expect_ok run_sparse "$OTTOREC" run --quiet --strategy all --train "$D/sparse_train.jsonl" \
	--test "$D/sparse_test.jsonl" --labels "$D/sparse_labels.jsonl" -o "$T/sparse"
cp "$T/stdout" "$T/sparse.out"
# every stage of both runs finished (else the RSS and size checks below
# would compare a failed run's few stages)
done_runs=0
grep -q -E '^evaluate-blend +[0-9.]+ ' "$T/orig.out" && grep -q -E '^evaluate-blend +[0-9.]+ ' "$T/sparse.out" && done_runs=1

for s in seed covisit blend; do
	awk -F, 'NR == 1 { print; next } {
		n = split($2, a, " "); out = ""
		for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (a[i] - 100000000) / 61
		print $1 "," out }' "$T/sparse/submission_$s.csv" > "$T/back_$s.csv"
	expect_same "sparse_ids_same_submission_$s" "$T/orig/submission_$s.csv" "$T/back_$s.csv"
done
# the score table (strategy rows) is the same
grep -E '^(seed|covisit|blend) +[01]\.[0-9]{4} ' "$T/orig.out" > "$T/orig.scores"
grep -E '^(seed|covisit|blend) +[01]\.[0-9]{4} ' "$T/sparse.out" > "$T/sparse.scores"
expect_true sparse_ids_scores_present test -s "$T/orig.scores"
expect_same sparse_ids_same_scores "$T/orig.scores" "$T/sparse.scores"

# peak RSS: the largest stage of each run (stage table column 3), within 10 %
peak() { awk '/^stage/ { t = 1; next } t && $1 != "total" && $3 ~ /^[0-9]+$/ && $3 > m { m = $3 } END { print m + 0 }' "$1"; }
po=$(peak "$T/orig.out"); ps=$(peak "$T/sparse.out")
expect_true "sparse_ids_peak_rss_within_10pct ($ps MiB vs $po MiB)" \
	awk -v ok="$done_runs" -v a="$ps" -v b="$po" 'BEGIN { exit !(ok && b > 0 && a <= 1.10 * b) }'
# file sizes follow the items: the sparse run's models are no larger
for f in pairs.bin embeddings.npy index.ann covisit/clicks.covisit; do
	so=$(stat -c %s "$T/orig/$f" 2>/dev/null || echo 0); ss=$(stat -c %s "$T/sparse/$f" 2>/dev/null || echo 0)
	expect_true "sparse_ids_size_$f ($ss vs $so bytes)" \
		awk -v ok="$done_runs" -v a="$ss" -v b="$so" 'BEGIN { exit !(ok && b > 0 && a <= 1.10 * b + 65536) }'
done
rm -rf "$T"
