#!/bin/sh
# scripts/demo.sh - what `make demo` runs: the main job on built-in synthetic
# data, as far as the pipeline exists: synth -> export/convert -> info ->
# local split -> co-visitation -> recommend -> Recall@20 score table.
# Output in demo-out/ (or $DEMO_DIR).
set -eu
: "${OTTOREC:=build/rel/ottorec}"
OUT=${DEMO_DIR:-demo-out}
SCALE=${DEMO_SCALE:-0.01}
echo "== ottorec synth: OTTO-like data at scale $SCALE (seed 42) into $OUT/"
"$OTTOREC" synth --scale "$SCALE" --seed 42 --jsonl -o "$OUT"
ls -l "$OUT"
echo
echo "== ottorec convert: $OUT/train.jsonl -> $OUT/train-from-jsonl.store"
"$OTTOREC" convert -o "$OUT/train-from-jsonl.store" "$OUT/train.jsonl"
if cmp -s "$OUT/train.store" "$OUT/train-from-jsonl.store"; then
	echo "the store converted from JSONL is byte-identical to the one synth wrote"
else
	echo "MISMATCH: converting the exported JSONL did not give back the same store" >&2
	exit 1
fi
echo
echo "== ottorec info $OUT/train.store"
"$OTTOREC" info --verify "$OUT/train.store"
echo
echo "== ottorec info $OUT/test.store"
"$OTTOREC" info "$OUT/test.store"
echo
echo "test labels: $(wc -l < "$OUT/test_labels.jsonl") sessions, e.g."
head -n 3 "$OUT/test_labels.jsonl"

echo
echo "== ottorec split: the organiser's local validation on the synthetic train weeks"
"$OTTOREC" split -o "$OUT/val" "$OUT/train.store"
echo
echo "== ottorec covisit: the three co-visitation matrices over split train + test"
"$OTTOREC" covisit -o "$OUT/val/covisit" "$OUT/val/train.store" "$OUT/val/test.store"
echo
echo "== ottorec recommend --strategy covisit, then ottorec evaluate"
"$OTTOREC" recommend --strategy covisit --test "$OUT/val/test.store" \
	--covisit "$OUT/val/covisit" -o "$OUT/val/submission_covisit.csv"
"$OTTOREC" evaluate --labels "$OUT/val/test_labels.jsonl" "$OUT/val/submission_covisit.csv"
