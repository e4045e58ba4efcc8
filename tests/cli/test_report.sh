#!/bin/sh
# test_report.sh - `ottorec report`: the page of a run's logs (the fixture
# tests/data/report/logs: the summaries of a scale-0.05 `run --strategy all`)
# with each chart's points, bars and marks as the logs say (report_check.py
# works them out on its own), well-formed SVG, no script, no network; a
# section without its numbers says so in one line; unreadable logs listed;
# errors.  Then the browser test: when Debian's chromium is installed, the
# page loaded headless (a screenshot, no console error, the same counts in
# the DOM it parsed); skipped, and counted as skipped, when it is not.
. "$TESTS_DIR/cli/lib.sh"
CHECK="$TESTS_DIR/cli/report_check.py"

R="$T/run"
mkdir -p "$R"
cp -r "$DATA/report/logs" "$R/logs"
expect_ok report_writes "$OTTOREC" report --json "$R"
expect_true report_json_summary grep -q -E '^\{"command":"report","output":"[^"]*report.html","bytes":[0-9]+,' "$T/stdout"
expect_true report_marks_as_logs python3 "$CHECK" "$R/logs" "$R/report.html"
expect_true report_every_section sh -c "[ \$(grep -c '<section id=' '$R/report.html') -eq 7 ]"
expect_true report_nothing_absent sh -c "! grep -q 'data-absent' '$R/report.html'"
expect_true report_score_rows grep -q '<table data-rows="5">' "$R/report.html"
expect_true report_size_small sh -c "[ \$(wc -c < '$R/report.html') -lt 2000000 ]"
# the same page again: same bytes (nothing of the clock or the machine in it)
expect_ok report_again "$OTTOREC" report --quiet -o "$T/again.html" "$R"
expect_same report_same_bytes "$R/report.html" "$T/again.html"
# the check itself sees a missing bar and a page that runs script
sed 's/<rect data-bar=""/<rect/' "$R/report.html" > "$T/nobar.html"
expect_true report_check_sees_missing_bar sh -c "! python3 '$CHECK' '$R/logs' '$T/nobar.html' 2>/dev/null"
sed 's|</body>|<script>x()</script></body>|' "$R/report.html" > "$T/script.html"
expect_true report_check_sees_script sh -c "! python3 '$CHECK' '$R/logs' '$T/script.html' 2>/dev/null"

# a section whose numbers are absent says so in one line, instead of a chart
mkdir -p "$T/empty/logs"
expect_ok report_no_logs "$OTTOREC" report --quiet "$T/empty"
expect_true report_all_absent sh -c "[ \$(grep -c 'data-absent' '$T/empty/report.html') -eq 7 ]"
expect_true report_no_charts sh -c "! grep -q '<svg' '$T/empty/report.html'"
mkdir -p "$T/part/logs"
cp "$DATA/report/logs/info-train.txt" "$DATA/report/logs/info-test.txt" "$T/part/logs/"
cp "$DATA/report/logs/evaluate-seed.txt" "$T/part/logs/"
printf '{"command":"evaluate", "clicks":\n' > "$T/part/logs/broken.txt"
# item2vec's loss per epoch, from a real (tiny) item2vec stage
"$OTTOREC" convert --quiet -o "$T/sample.store" "$SAMPLE"
"$OTTOREC" item2vec --json --quiet --epochs 3 -o "$T/i2v.npy" "$T/sample.store" > "$T/part/logs/item2vec.txt"
expect_true item2vec_epoch_loss python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["epoch_loss"]) == 3 and d["epoch_loss"][-1] == d["loss"], d
' "$T/part/logs/item2vec.txt"
expect_ok report_partial "$OTTOREC" report --quiet "$T/part"
# candidates, features, timeline absent; scores, by length, training, data drawn
expect_true report_partial_absent sh -c "[ \$(grep -c 'data-absent' '$T/part/report.html') -eq 3 ]"
expect_true report_partial_item2vec grep -q 'data-section="training-item2vec"' "$T/part/report.html"
expect_true report_partial_marks python3 "$CHECK" "$T/part/logs" "$T/part/report.html"
expect_true report_names_unreadable grep -q 'Unreadable log: broken.txt:1:34: expected a value, found the end' "$T/part/report.html"

# errors
expect_fail report_missing_dir 'cannot read .*nope/logs' "$OTTOREC" report "$T/nope"
expect_fail report_needs_dir 'no OUTDIR' "$OTTOREC" report
expect_fail report_into_logs 'input' "$OTTOREC" report -o "$R/logs/x.html" "$R"
expect_true report_logs_untouched test ! -e "$R/logs/x.html"

# the browser test
if command -v chromium >/dev/null 2>&1; then
	B="chromium --headless --disable-gpu --no-sandbox --user-data-dir=$T/chromium"
	expect_ok browser_screenshot sh -c "$B --enable-logging=stderr --v=0 --window-size=1000,4000 \
		--screenshot='$T/shot.png' 'file://$R/report.html' 2>'$T/console.txt'"
	expect_true browser_screenshot_png sh -c "[ \$(head -c 4 '$T/shot.png' | od -An -c | tr -d ' ') = '211PNG' ]"
	expect_true browser_no_console_error sh -c "! grep -E 'CONSOLE|Uncaught' '$T/console.txt'"
	# ... which the same command does see on a page whose script fails
	$B --enable-logging=stderr --v=0 --dump-dom "file://$T/script.html" >/dev/null 2>"$T/console2.txt"
	expect_true browser_sees_console_errors grep -q -E 'CONSOLE.*Uncaught' "$T/console2.txt"
	expect_ok browser_dump_dom sh -c "$B --dump-dom 'file://$R/report.html' > '$T/dom.html' 2>/dev/null"
	expect_true browser_dom_marks python3 "$CHECK" "$R/logs" "$T/dom.html" --dom
else
	for t in browser_screenshot browser_no_console_error browser_dom_marks; do
		skip "$t" "Debian's chromium is not installed (scripts/deb-packages-browser.txt)"
	done
fi
