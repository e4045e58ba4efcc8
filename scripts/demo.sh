#!/bin/sh
# scripts/demo.sh - what `make demo` runs: the main job on built-in synthetic
# data, as far as the pipeline exists: synth -> export/convert -> info.
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
