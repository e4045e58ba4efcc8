#!/bin/sh
# bench/pipeline.sh - issue #7's target: `ottorec run` end to end on the
# full synthetic data as a user has it (train and test as OTTO JSONL, test
# labels): first the default (the ranker, issue #15's target), then every
# strategy; wall time and peak RSS per stage (targets at scale 1.0: < 10
# min on 2 cores, < 16 GiB).  Called by bench/run.sh after
# its synth/export sections (needs $DIR/train.store, train.jsonl, test.store);
# then the size and time of the report page of the second run (issue #19).
set -eu
: "${OTTOREC:?}" "${DIR:?}"
TIME=/usr/bin/time
[ -s "$DIR/test.jsonl" ] || "$OTTOREC" export --quiet -o "$DIR/test.jsonl" "$DIR/test.store"
echo "== ottorec run (its default, the ranker: split-fit, covisit-fit, candidates-fit, fit, recommend-valid, covisit, recommend), JSONL in"
rm -rf "$DIR/run-ranker"
"$TIME" -f '%e %M' -o "$DIR/run-ranker-time.txt" "$OTTOREC" run --quiet \
	--train "$DIR/train.jsonl" --test "$DIR/test.jsonl" --labels "$DIR/test_labels.jsonl" \
	-o "$DIR/run-ranker" | tee "$DIR/run-ranker-table.txt"
awk '{ printf "run (ranker) end to end: %.1f s wall (target < 600 s at scale 1.0); peak RSS: %.0f MiB (target < 16384)\n", $1, $2 / 1024 }' "$DIR/run-ranker-time.txt"
rm -rf "$DIR/run-ranker"
echo "== ottorec run --strategy all, JSONL in (train.jsonl, test.jsonl, test_labels.jsonl)"
rm -rf "$DIR/run"
"$TIME" -f '%e %M' -o "$DIR/run-time.txt" "$OTTOREC" run --quiet --strategy all \
	--train "$DIR/train.jsonl" --test "$DIR/test.jsonl" --labels "$DIR/test_labels.jsonl" \
	-o "$DIR/run" | tee "$DIR/run-table.txt"
awk '{ printf "run end to end: %.1f s wall (target < 600 s at scale 1.0); peak RSS of the largest process (run or a stage): %.0f MiB (target < 16384)\n", $1, $2 / 1024 }' "$DIR/run-time.txt"
rm -f "$DIR/run/pairs.bin"
echo "== ottorec report of that run (issue #19's targets: page < 2 MB, written in < 1 s; run wrote it, written again here)"
"$TIME" -f '%e %M' -o "$DIR/report-time.txt" "$OTTOREC" report --quiet -o "$DIR/report-again.html" "$DIR/run"
printf 'report.html: %s bytes (target < 2000000); ' "$(wc -c < "$DIR/run/report.html")"
awk '{ printf "report written in %.3f s (target < 1 s), peak RSS %.0f MiB\n", $1, $2 / 1024 }' "$DIR/report-time.txt"
