# tests/cli/test_item2vec.sh - `ottorec item2vec` end to end on tiny
# synthetic data, skip-gram and --cbow: outputs (.npy, ids, word2vec text)
# and their agreement, the JSON summary (its mode), same bytes for the same
# seed with one thread, --no-simd = OTTOREC_NO_SIMD=1, --min-count, the
# cosine index, the seed strategy and `run --embeddings item2vec` on them,
# gensim reading the text files (SKIP without Debian's python3-gensim), and
# every usage and input error.
. "$TESTS_DIR/cli/lib.sh"

expect_ok i2v_help "$OTTOREC" item2vec -h
expect_true i2v_help_text grep -q "usage: ottorec item2vec" "$T/stdout"

expect_ok i2v_synth "$OTTOREC" synth --quiet --scale 0.0005 --seed 5 -o "$T/d"
TR="$T/d/train.store"
TE="$T/d/test.store"
expect_ok i2v_train "$OTTOREC" item2vec --quiet --json --epochs 2 --text "$T/v.txt" -o "$T/v.npy" "$TR" "$TE"
cp "$T/stdout" "$T/v.json"
rows=$(sed -n 's/.*"rows":\([0-9]*\).*/\1/p' "$T/v.json")
items=$(sed -n 's/.*"items":\([0-9]*\).*/\1/p' "$T/v.json")
expect_true i2v_json_rows sh -c "[ -n '$rows' ] && [ '$rows' -gt 100 ] && [ '$rows' = '$items' ]"
expect_true i2v_json_fields grep -q '"words":[1-9].*"effective_words":[1-9].*"pairs":[1-9].*"loss":[0-9]' "$T/v.json"
expect_true i2v_json_mode grep -q '"dim":32,"mode":"skip-gram","sentences"' "$T/v.json"
# a small vocabulary: the negatives from the per-row table
expect_true i2v_json_negatives_table grep -q '"kernels":"[a-z0-9]*","negatives_table":"rows"' "$T/v.json"
expect_true i2v_npy_shape grep -q "'shape': ($rows, 32)" "$T/v.npy"
expect_true i2v_ids_shape grep -q "'descr': '<i8'.*'shape': ($rows,)" "$T/v.ids.npy"
expect_true i2v_text_header sh -c "head -n 1 '$T/v.txt' | grep -qx '$rows 32'"
expect_true i2v_text_lines [ "$(wc -l < "$T/v.txt")" -eq $((rows + 1)) ]
expect_true i2v_text_fields sh -c "sed -n 2p '$T/v.txt' | awk '{ exit NF == 33 ? 0 : 1 }'"
# the text file's aids are the ids file's, in order; its numbers are the matrix's
cat > "$T/text_matches.py" <<'PY'
import ast, struct, sys
def npy(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    h = ast.literal_eval(b[10:10 + hl].decode())
    n = 1
    for s in h["shape"]:
        n *= s
    fmt = {"<f4": "f", "<i8": "q"}[h["descr"]]
    return struct.unpack("<%d%s" % (n, fmt), b[10 + hl:10 + hl + n * struct.calcsize(fmt)]), h["shape"]
vec, shape = npy(sys.argv[1])
ids, _ = npy(sys.argv[2])
lines = open(sys.argv[3]).read().split("\n")[1:-1]
assert len(lines) == len(ids) == shape[0]
prev = -1
for r, line in enumerate(lines):
    f = line.split()
    assert int(f[0]) == ids[r] and ids[r] > prev, (r, f[0], ids[r])
    prev = ids[r]
    for j in range(shape[1]):
        x = struct.unpack("<f", struct.pack("<f", float(f[1 + j])))[0]
        assert x == vec[r * shape[1] + j], (r, j, f[1 + j], vec[r * shape[1] + j])
PY
expect_true i2v_text_matches_npy python3 "$T/text_matches.py" "$T/v.npy" "$T/v.ids.npy" "$T/v.txt"

# one thread: the same seed gives the same bytes; another seed others
expect_ok i2v_t1a "$OTTOREC" item2vec --quiet --threads 1 --epochs 2 --text "$T/a.txt" -o "$T/a.npy" "$TR" "$TE"
expect_ok i2v_t1b "$OTTOREC" item2vec --quiet --threads 1 --epochs 2 --text "$T/b.txt" -o "$T/b.npy" "$TR" "$TE"
expect_same i2v_same_bytes_npy "$T/a.npy" "$T/b.npy"
expect_same i2v_same_bytes_ids "$T/a.ids.npy" "$T/b.ids.npy"
expect_same i2v_same_bytes_text "$T/a.txt" "$T/b.txt"
expect_same i2v_ids_any_threads "$T/v.ids.npy" "$T/a.ids.npy"
expect_ok i2v_seed2 "$OTTOREC" item2vec --quiet --threads 1 --epochs 2 --seed 2 -o "$T/s2.npy" "$TR" "$TE"
expect_true i2v_seed_differs sh -c "! cmp -s '$T/a.npy' '$T/s2.npy'"
expect_ok i2v_nosimd "$OTTOREC" item2vec --quiet --threads 1 --epochs 1 --no-simd -o "$T/ns.npy" "$TR"
expect_ok i2v_env_nosimd env OTTOREC_NO_SIMD=1 "$OTTOREC" item2vec --quiet --threads 1 --epochs 1 -o "$T/ne.npy" "$TR"
expect_same i2v_env_nosimd_is_no_simd "$T/ns.npy" "$T/ne.npy"
expect_ok i2v_options "$OTTOREC" item2vec --quiet --json --dim 8 --window 2 --negative 3 --ns-exponent -0.5 \
	--sample 0 --min-count 10 --epochs 1 --alpha 0.05 --min-alpha 0.001 --collapse-repeats -o "$T/o.npy" "$TR"
r3=$(sed -n 's/.*"rows":\([0-9]*\).*/\1/p' "$T/stdout")
expect_true i2v_min_count_fewer_rows sh -c "[ '$r3' -gt 0 ] && [ '$r3' -lt '$rows' ]"
expect_true i2v_options_json grep -q '"dim":8,.*"window":2,"negative":3,"ns_exponent":-0.5,"sample":0,"min_count":10,"collapse_repeats":1' "$T/stdout"
expect_true i2v_options_shape grep -q "'shape': ($r3, 8)" "$T/o.npy"
expect_ok i2v_shared_negatives "$OTTOREC" item2vec --quiet --json --threads 1 --epochs 2 --shared-negatives \
	-o "$T/sn.npy" "$TR" "$TE"
expect_true i2v_shared_negatives_json grep -q '"collapse_repeats":0,"shared_negatives":1' "$T/stdout"
expect_true i2v_shared_negatives_differ sh -c "! cmp -s '$T/a.npy' '$T/sn.npy'"

# --cbow: gensim's sg=0; the same kept words, one update per position
expect_ok i2v_cbow "$OTTOREC" item2vec --quiet --json --cbow --epochs 2 --text "$T/c.txt" -o "$T/c.npy" "$TR" "$TE"
cp "$T/stdout" "$T/c.json"
expect_true i2v_cbow_json_mode grep -q '"dim":32,"mode":"cbow","cbow_mean":1,"sentences"' "$T/c.json"
expect_true i2v_cbow_json_fields grep -q '"shared_negatives":0,"words":[1-9].*"pairs":[1-9].*"loss":[0-9]' "$T/c.json"
ceff=$(sed -n 's/.*"effective_words":\([0-9]*\).*/\1/p' "$T/c.json")
seff=$(sed -n 's/.*"effective_words":\([0-9]*\).*/\1/p' "$T/v.json")
cpairs=$(sed -n 's/.*"pairs":\([0-9]*\).*/\1/p' "$T/c.json")
spairs=$(sed -n 's/.*"pairs":\([0-9]*\).*/\1/p' "$T/v.json")
expect_true i2v_cbow_pairs_are_positions sh -c "[ '$ceff' = '$seff' ] && [ '$cpairs' -gt 0 ] && [ '$cpairs' -le '$ceff' ] && [ '$cpairs' -lt '$spairs' ]"
expect_true i2v_cbow_npy_shape grep -q "'shape': ($rows, 32)" "$T/c.npy"
expect_same i2v_cbow_ids "$T/v.ids.npy" "$T/c.ids.npy"
expect_true i2v_cbow_text_matches_npy python3 "$T/text_matches.py" "$T/c.npy" "$T/c.ids.npy" "$T/c.txt"
expect_ok i2v_cbow_t1a "$OTTOREC" item2vec --quiet --cbow --threads 1 --epochs 2 -o "$T/ca.npy" "$TR" "$TE"
expect_ok i2v_cbow_t1b "$OTTOREC" item2vec --quiet --cbow --threads 1 --epochs 2 -o "$T/cb.npy" "$TR" "$TE"
expect_same i2v_cbow_same_bytes "$T/ca.npy" "$T/cb.npy"
expect_true i2v_cbow_not_skip_gram sh -c "! cmp -s '$T/a.npy' '$T/ca.npy'"
expect_ok i2v_cbow_seed2 "$OTTOREC" item2vec --quiet --cbow --threads 1 --epochs 2 --seed 2 -o "$T/cs2.npy" "$TR" "$TE"
expect_true i2v_cbow_seed_differs sh -c "! cmp -s '$T/ca.npy' '$T/cs2.npy'"
expect_ok i2v_cbow_sum "$OTTOREC" item2vec --quiet --json --cbow --cbow-mean 0 --threads 1 --epochs 2 -o "$T/csum.npy" "$TR" "$TE"
expect_true i2v_cbow_sum_json grep -q '"mode":"cbow","cbow_mean":0,' "$T/stdout"
expect_true i2v_cbow_sum_differs sh -c "! cmp -s '$T/ca.npy' '$T/csum.npy'"
expect_ok i2v_cbow_mean1 "$OTTOREC" item2vec --quiet --cbow --cbow-mean 1 --threads 1 --epochs 2 -o "$T/cm1.npy" "$TR" "$TE"
expect_same i2v_cbow_mean1_is_default "$T/ca.npy" "$T/cm1.npy"
expect_ok i2v_cbow_nosimd "$OTTOREC" item2vec --quiet --cbow --threads 1 --epochs 1 --no-simd -o "$T/cns.npy" "$TR"
expect_ok i2v_cbow_env_nosimd env OTTOREC_NO_SIMD=1 "$OTTOREC" item2vec --quiet --cbow --threads 1 --epochs 1 -o "$T/cne.npy" "$TR"
expect_same i2v_cbow_env_nosimd_is_no_simd "$T/cns.npy" "$T/cne.npy"
expect_ok i2v_cbow_epoch_lines "$OTTOREC" item2vec --cbow --epochs 1 --dim 8 -o "$T/cl.npy" "$TR"
expect_true i2v_cbow_epoch_line_mode grep -q '^epoch 1/1 (cbow): loss' "$T/stderr"

# use: a cosine index, neighbours, the seed strategy, `run --embeddings item2vec`
expect_ok i2v_index_cos "$OTTOREC" index build --quiet --metric cos -o "$T/v.ann" "$T/v.npy"
aid=$(sed -n 2p "$T/v.txt" | cut -d' ' -f1)
expect_ok i2v_neighbors "$OTTOREC" neighbors "$T/v.ann" --aid "$aid"
expect_ok i2v_recommend_seed "$OTTOREC" recommend --quiet --strategy seed --test "$TE" --index "$T/v.ann" -o "$T/sub.csv"
expect_ok i2v_evaluate "$OTTOREC" evaluate --labels "$T/d/test_labels.jsonl" "$T/sub.csv"
expect_ok i2v_run "$OTTOREC" run --quiet --embeddings item2vec --strategy seed --train "$TR" --test "$TE" \
	--labels "$T/d/test_labels.jsonl" -o "$T/run"
expect_true i2v_run_stage grep -q "^item2vec " "$T/stdout"
expect_true i2v_run_no_pairs sh -c "[ ! -e '$T/run/pairs.bin' ] && [ -s '$T/run/embeddings.ids.npy' ]"
expect_true i2v_run_cos grep -q '"metric":"cos"' "$T/run/logs/index.txt"
expect_ok i2v_run_resume "$OTTOREC" run --quiet --resume --embeddings item2vec --strategy seed --train "$TR" --test "$TE" \
	--labels "$T/d/test_labels.jsonl" -o "$T/run"
expect_true i2v_run_resume_skips grep -q "^item2vec  *resumed" "$T/stdout"
expect_fail i2v_run_bad_embeddings "--embeddings must be mf or item2vec, not 'w2v'" \
	"$OTTOREC" run --embeddings w2v --train "$TR" --test "$TE" -o "$T/run2"

# gensim reads the text file (Debian's python3-gensim; the suite does not need it)
if /usr/bin/python3 -c 'import gensim, numpy' 2>/dev/null; then
	expect_true i2v_gensim_reads_text /usr/bin/python3 - "$T/v.txt" "$T/v.npy" "$T/v.ids.npy" <<'PY'
import sys
import numpy as np
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)
vec = np.load(sys.argv[2])
ids = np.load(sys.argv[3])
assert kv.vectors.shape == vec.shape, (kv.vectors.shape, vec.shape)
assert [int(k) for k in kv.index_to_key] == list(ids)
assert np.array_equal(kv.vectors, vec)
kv.most_similar(kv.index_to_key[0], topn=5)
PY
	expect_true i2v_gensim_reads_cbow_text /usr/bin/python3 - "$T/c.txt" "$T/c.npy" <<'PY'
import sys
import numpy as np
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)
assert np.array_equal(kv.vectors, np.load(sys.argv[2]))
PY
else
	skip i2v_gensim_reads_cbow_text "Debian's python3-gensim is not installed (scripts/deb-packages-bench.txt)"
	skip i2v_gensim_reads_text "Debian's python3-gensim is not installed (scripts/deb-packages-bench.txt)"
fi

# errors
expect_fail i2v_no_output "give the output matrix with -o" "$OTTOREC" item2vec "$TR"
expect_fail i2v_no_store "give at least one STORE" "$OTTOREC" item2vec -o "$T/x.npy"
expect_fail i2v_bad_negative "--negative must be in 1..64, not '0'" "$OTTOREC" item2vec --negative 0 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_window "--window must be in 1..1000, not '0'" "$OTTOREC" item2vec --window 0 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_dim "--dim must be in 1..4096, not '5000'" "$OTTOREC" item2vec --dim 5000 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_sample "--sample must be in \[0, 1\), not '1'" "$OTTOREC" item2vec --sample 1 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_ns "--ns-exponent must be a number in -10..10, not 'x'" "$OTTOREC" item2vec --ns-exponent x -o "$T/x.npy" "$TR"
expect_fail i2v_bad_min_count "--min-count must be a positive integer, not '0'" "$OTTOREC" item2vec --min-count 0 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_epochs "--epochs must be in 1..100000, not '0'" "$OTTOREC" item2vec --epochs 0 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_alpha "--alpha must be in 1e-9..10, not '0'" "$OTTOREC" item2vec --alpha 0 -o "$T/x.npy" "$TR"
expect_fail i2v_min_alpha_above "--min-alpha \(0.5\) must not exceed --alpha \(0.025\)" "$OTTOREC" item2vec --min-alpha 0.5 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_seed "--seed must be a non-negative integer, not '-1'" "$OTTOREC" item2vec --seed -1 -o "$T/x.npy" "$TR"
expect_fail i2v_cbow_mean_alone "--cbow-mean needs --cbow" "$OTTOREC" item2vec --cbow-mean 0 -o "$T/x.npy" "$TR"
expect_fail i2v_bad_cbow_mean "--cbow-mean must be 0 or 1, not '2'" "$OTTOREC" item2vec --cbow --cbow-mean 2 -o "$T/x.npy" "$TR"
expect_fail i2v_cbow_shared "--shared-negatives is for skip-gram" "$OTTOREC" item2vec --cbow --shared-negatives -o "$T/x.npy" "$TR"
expect_fail i2v_bad_threads "threads" "$OTTOREC" item2vec --threads 0 -o "$T/x.npy" "$TR"
expect_fail i2v_unknown_option "unknown option" "$OTTOREC" item2vec --hs 1 -o "$T/x.npy" "$TR"
expect_fail i2v_output_is_input "output .*train.store is also an input" "$OTTOREC" item2vec -o "$TR" "$TR"
expect_fail i2v_text_is_input "output .*train.store is also an input" "$OTTOREC" item2vec --text "$TR" -o "$T/x.npy" "$TR"
expect_fail i2v_text_is_output "must be different files" "$OTTOREC" item2vec --text "$T/x.npy" -o "$T/x.npy" "$TR"
expect_fail i2v_missing_store "nope.store" "$OTTOREC" item2vec -o "$T/x.npy" "$T/nope.store"
printf 'not a store\n' > "$T/bad.store"
expect_fail i2v_not_a_store "bad.store" "$OTTOREC" item2vec -o "$T/x.npy" "$T/bad.store"
expect_fail i2v_min_count_too_high "no item occurs 1000000000 times or more" "$OTTOREC" item2vec --min-count 1000000000 -o "$T/x.npy" "$TR"
expect_true i2v_failed_leaves_nothing sh -c "[ ! -e '$T/x.npy' ] && [ ! -e '$T/x.ids.npy' ]"
expect_fail i2v_text_unwritable "no-such-dir" "$OTTOREC" item2vec --quiet --epochs 1 --text "$T/no-such-dir/v.txt" -o "$T/y.npy" "$TR"
