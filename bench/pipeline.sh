#!/bin/sh
# bench/pipeline.sh - issue #7's target: `ottorec run` end to end on the
# full synthetic data as a user has it (train and test as OTTO JSONL, test
# labels), every strategy, wall time and peak RSS per stage (targets at
# scale 1.0: < 10 min on 2 cores, < 16 GiB).  Called by bench/run.sh after
# its synth/export sections (needs $DIR/train.store, train.jsonl, test.store).
set -eu
: "${OTTOREC:?}" "${DIR:?}"
TIME=/usr/bin/time
echo "== ottorec run --strategy all, JSONL in (train.jsonl, test.jsonl, test_labels.jsonl)"
[ -s "$DIR/test.jsonl" ] || "$OTTOREC" export --quiet -o "$DIR/test.jsonl" "$DIR/test.store"
rm -rf "$DIR/run"
"$TIME" -f '%e %M' -o "$DIR/run-time.txt" "$OTTOREC" run --quiet --strategy all \
	--train "$DIR/train.jsonl" --test "$DIR/test.jsonl" --labels "$DIR/test_labels.jsonl" \
	-o "$DIR/run" | tee "$DIR/run-table.txt"
awk '{ printf "run end to end: %.1f s wall (target < 600 s at scale 1.0); peak RSS of the largest process (run or a stage): %.0f MiB (target < 16384)\n", $1, $2 / 1024 }' "$DIR/run-time.txt"
rm -f "$DIR/run/pairs.bin"
