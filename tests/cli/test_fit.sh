# tests/cli/test_fit.sh - `ottorec fit` on small candidates directories made
# by tests/cli/make_candidates.py: the report and --json (gain per feature
# per type), the same model bytes twice, --evaluate, the fallback warning of
# a type without positives, no positives at all, a damaged directory (each
# file missing, cut short or wrong), a damaged model, a feature mismatch
# and usage errors.
. "$TESTS_DIR/cli/lib.sh"

O="$OTTOREC"
MK="$TESTS_DIR/cli/make_candidates.py"
python3 "$MK" "$T/c" --groups 120 --rows 30 --features 6 --seed 3
FIT="--rounds 8 --depth 3 --threads 2"

expect_ok "fit" "$O" fit --quiet $FIT --candidates "$T/c" -o "$T/m1"
cp "$T/stdout" "$T/fit.out"
for t in clicks carts orders; do
	expect_true "fit reports $t's metric and baseline" \
		grep -q "^$t .* sessions with a positive; fitted on .* metric@20 [0-9.]* (baseline by noise: [0-9.]*); " "$T/fit.out"
done
expect_true "fit reports the gain of the signal feature first" grep -q "^  gain: sig_clicks " "$T/fit.out"
expect_true "fit names the model and the threads (one: the table is small)" grep -q "^wrote $T/m1 (XGBoost 1\.7\.[0-9]*, 1 threads)" "$T/fit.out"
expect_ok "fit again" "$O" fit --quiet $FIT --candidates "$T/c" -o "$T/m2"
expect_same "the same inputs, seed and threads give the same model bytes" "$T/m1" "$T/m2"
expect_ok "fit --seed 7" "$O" fit --quiet $FIT --seed 7 --candidates "$T/c" -o "$T/m3"
expect_true "another seed gives another model" sh -c "! cmp -s '$T/m1' '$T/m3'"

expect_ok "fit --json" "$O" fit --quiet --json $FIT --candidates "$T/c" -o "$T/m4"
expect_true "--json is one line of JSON with the gain of each feature of each type" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
j = json.loads(lines[0])
assert j["command"] == "fit" and j["output"] == sys.argv[2]
m = j["model"]
assert m["format"] == "ottorec-ranker" and m["nthread"] == 1 and m["fit"]["rounds"] == 8
for t in ("clicks", "carts", "orders"):
    s = m["summary"][t]
    assert set(s["gain"]) == set(m["features"]), s
    assert s["seconds"] >= 0 and 0 <= s["valid_metric"] <= 1 and s["valid_groups"] == 12, s
    assert max(s["gain"], key=s["gain"].get) == "sig_" + t, s
' "$T/stdout" "$T/m4"
expect_same "--json does not change the model" "$T/m1" "$T/m4"

expect_ok "fit --evaluate" "$O" fit --candidates "$T/c" --evaluate "$T/m1"
expect_true "--evaluate reports each type" sh -c "grep -c '^[a-z]* *[0-9]* sessions with a positive: metric@20 [0-9.]* (baseline by noise' '$T/stdout' | grep -qx 3"

# ---- a type without positives falls back; none at all is an error ----
python3 "$MK" "$T/nocarts" --groups 60 --rows 20 --no-type carts
expect_ok "fit without carts positives" "$O" fit --quiet $FIT --candidates "$T/nocarts" -o "$T/mn"
expect_true "the fallback warns naming the type and its model" \
	grep -q "warning: $T/nocarts: no candidate is labelled carts: carts uses the orders model" "$T/stderr"
expect_true "the report says so" grep -q "^carts   no positives: uses the orders model" "$T/stdout"
python3 "$MK" "$T/noclicks" --groups 60 --rows 20 --no-type clicks --no-type orders
expect_ok "fit with carts positives only" "$O" fit --quiet $FIT --candidates "$T/noclicks" -o "$T/mc"
expect_true "clicks and orders use the carts model" sh -c "grep -c 'uses the carts model' '$T/stderr' | grep -qx 2"
python3 "$MK" "$T/none" --groups 20 --rows 10 --no-type clicks --no-type carts --no-type orders
expect_fail "no positives at all" "no row is labelled with any type" \
	"$O" fit --quiet $FIT --candidates "$T/none" -o "$T/m0"
expect_true "no model is left behind" test ! -e "$T/m0"

# ---- a damaged directory: each file ----
for f in features.npy labels.npy group_sizes.npy session.npy aid.npy candidates.json; do
	rm -rf "$T/bad"
	cp -r "$T/c" "$T/bad"
	rm "$T/bad/$f"
	expect_fail "missing $f" "cannot open $T/bad/$f" "$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
	cp "$T/c/$f" "$T/bad/$f"
	head -c $(($(wc -c < "$T/c/$f") - 9)) "$T/c/$f" > "$T/bad/$f"
	expect_fail "$f cut short" "$T/bad/$f" "$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
done
rm -rf "$T/bad"
cp -r "$T/c" "$T/bad"
cp "$T/c/aid.npy" "$T/bad/group_sizes.npy"
expect_fail "group sizes of the wrong length" "group_sizes.npy: [0-9]* values, expected 120 \(n_groups" \
	"$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
cp "$T/c/group_sizes.npy" "$T/bad/"
cp "$T/c/features.npy" "$T/bad/labels.npy"
expect_fail "labels of the wrong shape" "labels.npy: shape \([0-9]*, 6\), expected \([0-9]*, 3\)" \
	"$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
cp "$T/c/labels.npy" "$T/bad/"
sed 's/"n_rows":[0-9]*/"n_rows":5/' "$T/c/candidates.json" > "$T/bad/candidates.json"
expect_fail "n_rows that disagrees with the files" "features.npy: shape \([0-9]*, 6\), expected \(5, 6\)" \
	"$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
sed 's/"extra0"/"noise"/' "$T/c/candidates.json" > "$T/bad/candidates.json"
expect_fail "a feature name twice" "candidates.json: feature name 'noise' appears twice \(features 0 and 4\)" \
	"$O" fit --quiet --candidates "$T/bad" -o "$T/mb"
printf '{"format":"ottorec-candidates","version":1,' > "$T/bad/candidates.json"
expect_fail "candidates.json cut short" "candidates.json: column [0-9]*: " \
	"$O" fit --quiet --candidates "$T/bad" -o "$T/mb"

# ---- a damaged model, a feature mismatch ----
head -c 5000 "$T/m1" > "$T/cut.model"
expect_fail "a model cut short" "$T/cut.model: .*ranker model.*rebuild it with \`ottorec fit\`" \
	"$O" fit --candidates "$T/c" --evaluate "$T/cut.model"
cp "$T/m1" "$T/flip.model"
printf 'X' | dd of="$T/flip.model" bs=1 seek=4200 conv=notrunc 2>/dev/null
expect_fail "a model with a flipped byte" "$T/flip.model: checksum mismatch in the .* section" \
	"$O" fit --candidates "$T/c" --evaluate "$T/flip.model"
expect_fail "a store is no model" "$T/c/features.npy: " "$O" fit --candidates "$T/c" --evaluate "$T/c/features.npy"
python3 "$MK" "$T/c7" --groups 20 --rows 10 --features 7
expect_fail "a feature mismatch names the first difference" \
	"model $T/m1 expects features noise,sig_clicks,sig_carts,sig_orders,extra0,extra1 but the candidates have noise,sig_clicks,sig_carts,sig_orders,extra0,extra1,extra2: the candidates have 7 features, the model 6 \(extra: 'extra2'\)" \
	"$O" fit --candidates "$T/c7" --evaluate "$T/m1"

# ---- usage ----
expect_fail "no --candidates" "give the candidates directory with --candidates DIR" "$O" fit -o "$T/x"
expect_fail "no -o" "give the model's path with -o MODEL" "$O" fit --candidates "$T/c"
expect_fail "-o and --evaluate" "exclude each other" "$O" fit --candidates "$T/c" -o "$T/x" --evaluate "$T/m1"
expect_fail "a bad --objective" "--objective must be rank:pairwise, rank:ndcg or binary:logistic, not 'rank:map'" \
	"$O" fit --candidates "$T/c" -o "$T/x" --objective rank:map
expect_fail "a bad --valid-share" "--valid-share must be a number in 0..0.9, not '1'" \
	"$O" fit --candidates "$T/c" -o "$T/x" --valid-share 1
expect_fail "--threads 0" "--threads must be an integer in 1\.\.1024, not '0'" \
	"$O" fit --candidates "$T/c" -o "$T/x" --threads 0
for obj in rank:ndcg binary:logistic; do
	expect_ok "fit --objective $obj" "$O" fit --quiet $FIT --objective $obj --candidates "$T/c" -o "$T/m-$obj"
done
rm -rf "$T"
