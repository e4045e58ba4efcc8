# tests/cli/test_mf.sh - `ottorec pairs` and `ottorec train` end to end on
# tiny synthetic data: outputs, -h, JSON summaries, .npy header, resume,
# usage and format errors.
. "$TESTS_DIR/cli/lib.sh"

expect_ok pairs_help "$OTTOREC" pairs -h
expect_true pairs_help_text grep -q "usage: ottorec pairs" "$T/stdout"
expect_ok train_help "$OTTOREC" train -h
expect_true train_help_text grep -q "usage: ottorec train" "$T/stdout"

expect_ok mf_synth "$OTTOREC" synth --quiet --scale 0.0005 --seed 3 -o "$T/d"
expect_ok pairs_build "$OTTOREC" pairs --quiet --json -o "$T/p.bin" "$T/d/train.store" "$T/d/test.store"
expect_true pairs_json grep -q '"train_pairs":[1-9]' "$T/stdout"
expect_ok pairs_threads1 "$OTTOREC" pairs --quiet --threads 1 -o "$T/p1.bin" "$T/d/train.store" "$T/d/test.store"
expect_same pairs_same_bytes_any_threads "$T/p.bin" "$T/p1.bin"
expect_ok pairs_options "$OTTOREC" pairs --quiet --window 3 --types clicks,carts --max-gap 3600 --valid-last 1000 --no-shuffle -o "$T/p3.bin" "$T/d/train.store"

expect_ok train_exact "$OTTOREC" train --quiet --json --batch 4096 -o "$T/e.npy" "$T/p.bin"
expect_true train_exact_json grep -q '"valid_accuracy":0\.[5-9]' "$T/stdout"
# the curves report draws: the loss of every 5 % of the epoch (their mean,
# weighted by pairs, is the epoch's train loss), and per epoch
expect_true train_exact_curves python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["loss_curve"]
assert len(c) == 20 and all(v is not None and v > 0 for v in c), c
assert abs(sum(c) / 20 - d["train_loss"]) < 0.05 * d["train_loss"], (c, d["train_loss"])
assert d["curve_epoch"] == [1] and d["curve_valid_accuracy"] == [d["valid_accuracy"]], d
' "$T/stdout"
expect_true npy_magic sh -c "head -c 6 '$T/e.npy' | od -c | grep -q 'N   U   M   P   Y'"
expect_true npy_shape grep -q "'shape': ([0-9]*, 32)" "$T/e.npy"
expect_ok train_exact_t1 "$OTTOREC" train --quiet --batch 4096 --threads 1 -o "$T/e1.npy" "$T/p.bin"
expect_same train_exact_same_bytes_any_threads "$T/e.npy" "$T/e1.npy"
expect_ok train_fast "$OTTOREC" train --quiet --json --mode fast --dim 16 --epochs 2 --negatives 2 -o "$T/f.npy" "$T/p.bin"
expect_true train_fast_json grep -q '"epochs":2' "$T/stdout"
expect_true train_fast_curves python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["curve_epoch"] == [1, 2] and len(d["curve_valid_loss"]) == 2 and "loss_curve" not in d, d
' "$T/stdout"
expect_true train_fast_learns grep -q '"valid_accuracy":0\.[6-9]' "$T/stdout"
# OTTOREC_NO_SIMD=1 is --no-simd for the mf kernels too
expect_ok train_exact_nosimd "$OTTOREC" train --quiet --batch 4096 --no-simd -o "$T/ens.npy" "$T/p.bin"
expect_ok train_exact_env_nosimd env OTTOREC_NO_SIMD=1 "$OTTOREC" train --quiet --batch 4096 -o "$T/ene.npy" "$T/p.bin"
expect_same train_env_nosimd_is_no_simd "$T/ens.npy" "$T/ene.npy"
# --init normal changes the start table of the same seed
expect_ok train_exact_init_small "$OTTOREC" train --quiet --batch 4096 --init small -o "$T/es.npy" "$T/p.bin"
expect_true train_init_differs sh -c "! cmp -s '$T/e.npy' '$T/es.npy'"

# resume: 1 epoch + resume to 2 = 2 straight
expect_ok train_two "$OTTOREC" train --quiet --batch 4096 --epochs 2 -o "$T/two.npy" "$T/p.bin"
expect_ok train_one_ck "$OTTOREC" train --quiet --batch 4096 --epochs 1 --checkpoint "$T/ck" -o "$T/one.npy" "$T/p.bin"
expect_ok train_resume "$OTTOREC" train --batch 4096 --epochs 2 --checkpoint "$T/ck" --resume -o "$T/res.npy" "$T/p.bin"
expect_true train_resume_said grep -q "resumed" "$T/stderr"
expect_same train_resume_same_bytes "$T/two.npy" "$T/res.npy"

expect_fail pairs_no_output "give the output" "$OTTOREC" pairs "$T/d/train.store"
expect_fail pairs_bad_types "--types" "$OTTOREC" pairs --types views -o "$T/x" "$T/d/train.store"
expect_fail pairs_bad_window "--window" "$OTTOREC" pairs --window 0 -o "$T/x" "$T/d/train.store"
expect_fail train_bad_init "--init" "$OTTOREC" train --init zero -o "$T/x.npy" "$T/p.bin"
expect_fail train_bad_mode "--mode" "$OTTOREC" train --mode slow -o "$T/x.npy" "$T/p.bin"
expect_fail train_not_pairs "not an ottorec pairs file" "$OTTOREC" train -o "$T/x.npy" "$T/d/train.store"
expect_fail train_missing "cannot open" "$OTTOREC" train -o "$T/x.npy" "$T/nope.bin"
expect_fail train_resume_needs_ck "--checkpoint" "$OTTOREC" train --resume -o "$T/x.npy" "$T/p.bin"
expect_true no_partial_output test ! -e "$T/x.npy"
rm -rf "$T"
