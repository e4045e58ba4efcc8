#!/bin/sh
# test_run.sh - `ottorec run` and `ottorec demo`: stages run in order with
# the same results as the commands run by hand, conversion of non-store
# inputs, the stage table and JSON summary, a failing stage stops the run
# with its name and keeps finished outputs, --resume skips finished stages.
. "$TESTS_DIR/cli/lib.sh"

D="$T/data"
"$OTTOREC" synth --quiet --scale 0.002 --seed 3 --jsonl -o "$D" >/dev/null 2>&1
"$OTTOREC" split --quiet -o "$D/val" "$D/train.store" >/dev/null 2>&1

# covisit strategy, by hand
"$OTTOREC" covisit --quiet -o "$T/hand_cv" "$D/val/train.store" "$D/val/test.store"
"$OTTOREC" recommend --quiet --strategy covisit --test "$D/val/test.store" --covisit "$T/hand_cv" -o "$T/hand.csv"

R="$T/run1"
expect_ok run_covisit "$OTTOREC" run --quiet --strategy covisit --train "$D/val/train.store" \
	--test "$D/val/test.store" --labels "$D/val/test_labels.jsonl" -o "$R"
cp "$T/stdout" "$T/run1.out"
expect_same run_covisit_same_as_by_hand "$T/hand.csv" "$R/submission.csv"
expect_true run_stage_table grep -q -E '^covisit +[0-9.]+ +[0-9]+ .*covisit \(' "$T/run1.out"
expect_true run_no_convert_for_stores sh -c "! grep -q '^convert' '$T/run1.out'"
"$OTTOREC" evaluate --labels "$D/val/test_labels.jsonl" "$T/hand.csv" > "$T/eval.txt"
total=$(awk '/^score/ { printf "%.4f", $2 }' "$T/eval.txt")
expect_true run_score_table grep -q -E "^covisit .* $total\$" "$T/run1.out"

# the report at the end, and what its sections read: info of both stores,
# evaluate by length (every labelled session in one bucket), the stage table
expect_true run_writes_report grep -q '<tr data-row=""><td>covisit</td><td>test</td>' "$R/report.html"
expect_true run_logs_info test -s "$R/logs/info-train.txt" -a -s "$R/logs/info-test.txt"
expect_true run_logs_pipeline grep -q '"stages":\[{"stage":"info-train"' "$R/logs/pipeline.txt"
expect_true run_evaluate_by_length python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
assert e["length_buckets"] == ["1", "2", "3-4", "5-9", "10-19", "20-49", "50+"], e
assert sum(e["length_sessions"]) == e["sessions"] and e["length_unmatched"] == 0, e
' "$R/logs/evaluate-covisit.txt"
expect_ok evaluate_by_length "$OTTOREC" evaluate --by-length --test "$D/val/test.store" \
	--labels "$D/val/test_labels.jsonl" "$T/hand.csv"
expect_true evaluate_by_length_table grep -q -E '^50\+ +[0-9]+ ' "$T/stdout"
expect_fail evaluate_by_length_needs_test 'needs the test sessions' "$OTTOREC" evaluate --by-length \
	--labels "$D/val/test_labels.jsonl" "$T/hand.csv"
expect_fail evaluate_test_needs_by_length 'for --by-length' "$OTTOREC" evaluate --test "$D/val/test.store" \
	--labels "$D/val/test_labels.jsonl" "$T/hand.csv"

# --resume: every stage skipped, same submission
cp "$R/submission.csv" "$T/first.csv"
expect_ok run_resume "$OTTOREC" run --quiet --resume --strategy covisit --train "$D/val/train.store" \
	--test "$D/val/test.store" --labels "$D/val/test_labels.jsonl" -o "$R"
expect_true run_resume_skips grep -q -E '^covisit +resumed' "$T/stdout"
expect_same run_resume_same_output "$T/first.csv" "$R/submission.csv"
# a different command line is not "done before"
expect_ok run_resume_other_options "$OTTOREC" run --quiet --resume --strategy covisit --mem-gib 1 \
	--train "$D/val/train.store" --test "$D/val/test.store" -o "$R"
expect_true run_resume_reruns_changed grep -q -E '^covisit +[0-9.]+ ' "$T/stdout"

# JSONL inputs are converted first; the result is the same as from stores
expect_ok run_jsonl_inputs "$OTTOREC" run --quiet --json --strategy covisit --train "$D/train.jsonl" \
	--test "$D/test.jsonl" --labels "$D/test_labels.jsonl" -o "$T/run2"
expect_true run_json_summary grep -q -E '^\{"command":"run","status":"ok","scores":\{"covisit":\{"clicks":[0-9.e-]+,' "$T/stdout"
expect_true run_json_stages grep -q '"stage":"convert-train"' "$T/stdout"
expect_same run_converted_train "$D/train.store" "$T/run2/train.store"
expect_same run_converted_test "$D/test.store" "$T/run2/test.store"

# a failing stage: named, non-zero exit, earlier outputs kept, no later stage
printf '{"session":1,"events":[{"aid":5,"ts":1661200010000,"type":"clicks"},{"aid":6,"ts":1661200000000,"type":"clicks"}]}\n' > "$T/bad.jsonl"
expect_fail run_bad_test_input 'stage convert-test failed' "$OTTOREC" run --quiet --strategy covisit \
	--train "$D/train.jsonl" --test "$T/bad.jsonl" -o "$T/run3"
expect_true run_failure_message_names_line grep -q 'bad.jsonl:1' "$T/stderr"
expect_true run_failure_keeps_finished test -s "$T/run3/train.store"
expect_true run_failure_no_later_stage test ! -e "$T/run3/covisit"

# demo: synth, split, every strategy scored; the same numbers as by hand
expect_ok demo_small "$OTTOREC" demo --quiet --scale 0.002 --seed 5 -o "$T/demo"
cp "$T/stdout" "$T/demo.out"
for s in seed covisit blend; do
	expect_true "demo_scores_$s" grep -q -E "^$s +0\.[0-9]{4} +0\.[0-9]{4} +0\.[0-9]{4} +0\.[0-9]{4}\$" "$T/demo.out"
done
for st in synth split pairs train index covisit recommend-blend evaluate-blend; do
	expect_true "demo_stage_$st" grep -q -E "^$st +[0-9.]+ +[0-9]+ " "$T/demo.out"
done
"$OTTOREC" evaluate --labels "$T/demo/val/test_labels.jsonl" "$T/demo/run/submission_blend.csv" > "$T/eval.txt"
total=$(awk '/^score/ { printf "%.4f", $2 }' "$T/eval.txt")
expect_true demo_blend_score_is_evaluate grep -q -E "^blend .* $total\$" "$T/demo.out"
expect_true demo_report python3 "$TESTS_DIR/cli/report_check.py" "$T/demo/logs" "$T/demo/report.html"
expect_ok demo_resume "$OTTOREC" demo --quiet --resume --scale 0.002 --seed 5 -o "$T/demo"
expect_true demo_resume_skips_all sh -c "! grep -v '^total' '$T/stdout' | grep -q -E '^[a-z-]+ +[0-9.]+ +[0-9]+ '"
expect_true demo_resume_table grep -q -E '^recommend-blend +resumed' "$T/stdout"
expect_fail demo_bad_scale 'scale must be' "$OTTOREC" demo --scale 2 -o "$T/demo"

# usage errors
expect_fail run_needs_inputs 'give both --train and --test' "$OTTOREC" run -o "$T/x" --train "$D/train.store"
expect_fail run_needs_output 'output directory' "$OTTOREC" run --train "$D/train.store" --test "$D/test.store"
expect_fail run_bad_strategy 'seed, covisit, blend, ranker or all' "$OTTOREC" run --strategy best \
	--train "$D/train.store" --test "$D/test.store" -o "$T/x"
expect_fail run_bad_mode 'exact or fast' "$OTTOREC" run --mode slow \
	--train "$D/train.store" --test "$D/test.store" -o "$T/x"
expect_fail run_missing_input 'nope.jsonl' "$OTTOREC" run --quiet --strategy covisit \
	--train "$T/nope.jsonl" --test "$D/test.store" -o "$T/run4"

rm -rf "$T"
