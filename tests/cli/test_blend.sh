# tests/cli/test_blend.sh - `ottorec recommend --strategy blend|seed|covisit`
# and `ottorec tune` on a small synthetic data set and its local split: the
# whole chain (covisit, pairs, train, index, recommend, evaluate); the
# covisit weights give the covisit strategy's submission byte for byte;
# tune's reported Recall@20 after tuning equals what `evaluate` scores for
# `recommend --weights` with its file, and is not below its start (the
# covisit lists); same bytes for 1 or 2 threads, twice the same weights
# file; errors (a bad weights file names its line) and usage.
. "$TESTS_DIR/cli/lib.sh"

"$OTTOREC" synth --quiet --scale 0.001 --seed 5 -o "$T/d" >/dev/null 2>&1
"$OTTOREC" split --quiet -o "$T/sp" "$T/d/train.store"
"$OTTOREC" covisit --quiet -o "$T/cv" "$T/sp/train.store" "$T/sp/test.store"
"$OTTOREC" pairs --quiet -o "$T/p.pairs" "$T/sp/train.store" "$T/sp/test.store"
"$OTTOREC" train --quiet -o "$T/emb.npy" "$T/p.pairs"
"$OTTOREC" index build --quiet -o "$T/idx" "$T/emb.npy"
TEST="$T/sp/test.store"
LAB="$T/sp/test_labels.jsonl"

score() { # score SUB -> total on stdout
	"$OTTOREC" evaluate --quiet --json --labels "$LAB" "$1" |
		python3 -c 'import json,sys; print("%.6f" % json.load(sys.stdin)["total"])'
}

for s in covisit seed blend; do
	expect_ok "recommend --strategy $s" "$OTTOREC" recommend --quiet --strategy $s --test "$TEST" \
		--covisit "$T/cv" --index "$T/idx" -o "$T/$s.csv"
done
expect_ok "recommend seed ignores nothing it needs (no --covisit)" "$OTTOREC" recommend --quiet --strategy seed --test "$TEST" --index "$T/idx" -o "$T/seed2.csv"
expect_same "seed: --covisit makes no difference" "$T/seed.csv" "$T/seed2.csv"

printf 'ottorec-blend-weights 1\nclicks rule_clicks 1\ncarts rule_buys 1\norders rule_buys 1\n' >"$T/cvw.txt"
expect_ok "blend with the covisit weights" "$OTTOREC" recommend --quiet --strategy blend --test "$TEST" --covisit "$T/cv" --index "$T/idx" --weights "$T/cvw.txt" -o "$T/blend_cv.csv"
expect_same "covisit weights give the covisit submission" "$T/covisit.csv" "$T/blend_cv.csv"

expect_ok "tune" "$OTTOREC" tune --json --threads 2 --test "$TEST" --labels "$LAB" --covisit "$T/cv" --index "$T/idx" -o "$T/w.txt"
cp "$T/stdout" "$T/tune.json"
expect_true "tune --json reports before/after and timings" grep -q '"total_before":.*"total_after":.*"wall_seconds":.*"peak_rss_bytes"' "$T/tune.json"
"$OTTOREC" recommend -h >"$T/recommend_help.txt"
expect_true "the weights file: header, then one line per type and feature (docs/blend.md's table), counts in the docs true" \
	python3 "$TESTS_DIR/cli/blend_weights_check.py" "$T/w.txt" "$TESTS_DIR/../docs/blend.md" \
	"$TESTS_DIR/../README.md" "$T/recommend_help.txt"
expect_ok "tune again, 1 thread" "$OTTOREC" tune --quiet --threads 1 --test "$TEST" --labels "$LAB" --covisit "$T/cv" --index "$T/idx" -o "$T/w1.txt"
expect_same "tune: same weights for 1 or 2 threads" "$T/w.txt" "$T/w1.txt"
expect_ok "recommend blend --weights" "$OTTOREC" recommend --quiet --strategy blend --test "$TEST" --covisit "$T/cv" --index "$T/idx" --weights "$T/w.txt" -o "$T/blend_w.csv"
after=$(python3 -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["total_after"])' "$T/tune.json")
before=$(python3 -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["total_before"])' "$T/tune.json")
got=$(score "$T/blend_w.csv")
cvs=$(score "$T/covisit.csv")
expect_true "evaluate scores the tuned weights as tune said ($got = $after)" test "$got" = "$after"
expect_true "tune's start is the covisit score ($before = $cvs)" test "$before" = "$cvs"
expect_true "tuned >= start ($after >= $before)" python3 -c "import sys; sys.exit(0 if $after >= $before else 1)"
expect_ok "recommend blend --threads 1" "$OTTOREC" recommend --quiet --threads 1 --strategy blend --test "$TEST" --covisit "$T/cv" --index "$T/idx" --weights "$T/w.txt" -o "$T/blend_w1.csv"
expect_same "blend: same bytes for 1 or 2 threads" "$T/blend_w.csv" "$T/blend_w1.csv"
expect_true "blend rows differ per type" python3 -c '
import sys
rows = {}
for l in list(open(sys.argv[1]))[1:]:
    k, v = l.rstrip("\n").split(",")
    s, t = k.rsplit("_", 1)
    rows.setdefault(s, {})[t] = v
sys.exit(0 if any(r["carts"] != r["orders"] for r in rows.values()) and any(r["clicks"] != r["carts"] for r in rows.values()) else 1)' "$T/blend_w.csv"
expect_ok "recommend blend --json (built-in weights)" "$OTTOREC" recommend --json --strategy blend --test "$TEST" --covisit "$T/cv" --index "$T/idx" -o "$T/blend_b.csv"
expect_true "--json names the built-in weights" grep -q '"strategy":"blend","output":.*"weights":"built-in".*"peak_rss_bytes"' "$T/stdout"
expect_ok "blend without --index (warning)" "$OTTOREC" recommend --strategy blend --test "$TEST" --covisit "$T/cv" -o "$T/blend_noidx.csv"
expect_true "it warns about the missing index" grep -q 'warning: blend without --index' "$T/stderr"

expect_ok "tune --sessions 60 (a sample)" "$OTTOREC" tune --quiet --json --sessions 60 --test "$TEST" --labels "$LAB" --covisit "$T/cv" --index "$T/idx"
expect_true "the sample has at most 60 sessions" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if 0 < r["sessions"] <= 60 and r["total_after"] >= r["total_before"] else 1)' "$T/stdout"

# errors and usage
printf 'ottorec-blend-weights 1\nclicks hist 1\ncarts recnet 2\n' >"$T/bad1.txt"
expect_fail "bad feature names its line" 'bad1.txt:3: unknown feature .recnet.' "$OTTOREC" recommend --strategy blend --test "$TEST" --covisit "$T/cv" --weights "$T/bad1.txt" -o "$T/x.csv"
printf '# x\nottorec-blend-weights 1\norders emb one\n' >"$T/bad2.txt"
expect_fail "bad weight names its line" "bad2.txt:3: weight 'one' is not a finite number" "$OTTOREC" recommend --strategy blend --test "$TEST" --covisit "$T/cv" --weights "$T/bad2.txt" -o "$T/x.csv"
printf 'clicks hist 1\n' >"$T/bad3.txt"
expect_fail "missing header" 'bad3.txt:1: expected the header' "$OTTOREC" recommend --strategy blend --test "$TEST" --covisit "$T/cv" --weights "$T/bad3.txt" -o "$T/x.csv"
expect_fail "tune --start with a bad file" 'bad1.txt:3' "$OTTOREC" tune --quiet --test "$TEST" --labels "$LAB" --covisit "$T/cv" --start "$T/bad1.txt"
expect_fail "blend without --covisit" 'give the matrices.*blend' "$OTTOREC" recommend --strategy blend --test "$TEST" --index "$T/idx" -o "$T/x.csv"
expect_fail "--weights with covisit" '--weights is for --strategy blend' "$OTTOREC" recommend --strategy covisit --test "$TEST" --covisit "$T/cv" --weights "$T/w.txt" -o "$T/x.csv"
expect_fail "unknown strategy" '--strategy must be seed, covisit, blend or ranker' "$OTTOREC" recommend --strategy mf --test "$TEST" --covisit "$T/cv" -o "$T/x.csv"
expect_fail "tune without --labels" 'give the split.s labels' "$OTTOREC" tune --test "$TEST" --covisit "$T/cv"
expect_fail "tune with missing labels" 'nope.jsonl' "$OTTOREC" tune --quiet --test "$TEST" --labels "$T/nope.jsonl" --covisit "$T/cv"
expect_fail "tune --threads 0" "--threads must be an integer in 1\.\.1024, not '0'" "$OTTOREC" tune --threads 0
rm -rf "$T"
