#!/bin/sh
# bench/item2vec.sh - issue #17, item2vec against gensim and the MF model:
# for each data set, the seed rule (`recommend --strategy seed`) over five
# embeddings - ottorec's MF (pairs + train exact, index l2: what `run` does),
# gensim's Word2Vec (bench/item2vec_gensim.py) skip-gram (sg=1) with the
# same options and CBOW (sg=0: its default call, the public recipe's), and
# `ottorec item2vec` skip-gram and --cbow (the word2vec ones indexed with
# --metric cos) - scored by `ottorec evaluate`, and the training times of
# each ottorec mode beside gensim's same algorithm (skip-gram vs sg=1,
# --cbow vs sg=0) on the same sessions, epochs and window, the four runs
# alternated, medians of BENCH_RUNS, with their ratios.
# Data: DIGINETICA (real clicks; $DIGINETICA, default ../shared/data/diginetica:
# fit on its train, score on its test labels) and synthetic data
# (`ottorec synth --scale BENCH_I2V_SCALE`, default 0.05, seeds
# BENCH_I2V_SEEDS, default "1 2": fit on train + test, score on the test
# labels; BENCH_I2V_SYNTH_RUNS timed runs each, default BENCH_RUNS).  BENCH_I2V_FULL=1 adds item2vec alone at synth --scale 1.0
# (5 epochs; wall time and peak RSS; targets < 300 s, < 4096 MiB).
# Called from bench/run.sh; runs alone with OTTOREC=build/rel/ottorec.
set -eu
: "${OTTOREC:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${BENCH_DIR:-/tmp/ottorec-bench}/item2vec
RUNS=${BENCH_RUNS:-3}
SRUNS=${BENCH_I2V_SYNTH_RUNS:-$RUNS}
THREADS=${BENCH_THREADS:-$(nproc)}
SCALE=${BENCH_I2V_SCALE:-0.05}
SEEDS=${BENCH_I2V_SEEDS:-1 2}
DG=${DIGINETICA:-$HERE/../../shared/data/diginetica}
PY=/usr/bin/python3
TIME=/usr/bin/time
mkdir -p "$DIR"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"; }
HAVE_GENSIM=""
$PY -c 'import gensim, numpy' 2>/dev/null && HAVE_GENSIM=1

# score NAME EMB METRIC TEST LABELS: "clicks carts orders total" of the seed rule
score() {
	"$OTTOREC" index build --quiet --threads "$THREADS" --metric "$3" -o "$2.ann" "$2"
	"$OTTOREC" recommend --quiet --threads "$THREADS" --strategy seed --test "$4" --index "$2.ann" -o "$2.csv"
	"$OTTOREC" evaluate --json --labels "$5" "$2.csv" 2>/dev/null > "$2.eval"
	awk -v a="$(field "$2.eval" clicks)" -v b="$(field "$2.eval" carts)" -v c="$(field "$2.eval" orders)" \
		-v d="$(field "$2.eval" total)" 'BEGIN { printf "%.4f %.4f %.4f %.4f", a, b, c, d }'
}

# ours LIST OUT [--cbow] STORE... : one timed ottorec item2vec run into OUT.npy
# (OUT.json), "train_seconds wall_seconds peak_kib" appended to LIST
ours() {
	list=$1 out=$2
	shift 2
	"$TIME" -f '%e %M' -o "$out.time" "$OTTOREC" item2vec --quiet --json --threads "$THREADS" \
		-o "$out.npy" "$@" > "$out.json"
	echo "$(field "$out.json" train_seconds) $(cat "$out.time")" >> "$list"
}

# theirs SG OUT: one gensim run (sg 1 or 0) on the data set's JSONL into
# OUT.npy; prints its training seconds
theirs() {
	"$PY" "$HERE/item2vec_gensim.py" --sg "$1" --workers "$THREADS" -o "$2.npy" $(cat "$D/jsonl.list") |
		awk '{ print $3 }'
}

median_train() { cut -d' ' -f1 "$1" | median; }

# report LABEL OUT LIST: the seed rule's scores with OUT.npy and the median
# times of LIST
report() {
	printf '%-36s %s  train %.2f s (wall %.2f s, peak RSS %.0f MiB)\n' "$1" \
		"$(score i2v "$2.npy" cos "$test" "$labels")" "$(median_train "$3")" "$(cut -d' ' -f2 "$3" | median)" \
		"$(cut -d' ' -f3 "$3" | sort -n | tail -n 1 | awk '{ print $1 / 1024 }')"
}

# compare RUNS NAME TEST LABELS STORE... : the five embeddings on one data set
compare() {
	runs=$1 name=$2 test=$3 labels=$4
	shift 4
	D="$DIR/$name"
	mkdir -p "$D"
	: > "$D/jsonl.list"
	for s in "$@"; do
		j="$D/$(basename "$s" .store).jsonl"
		"$OTTOREC" export --quiet -o "$j" "$s"
		echo "$j" >> "$D/jsonl.list"
	done
	"$OTTOREC" pairs --quiet --threads "$THREADS" -o "$D/mf.pairs" "$@"
	"$OTTOREC" train --quiet --json --threads "$THREADS" -o "$D/mf.npy" "$D/mf.pairs" > "$D/mf.json"
	: > "$D/ours.txt"
	: > "$D/ours-cbow.txt"
	: > "$D/gensim.txt"
	: > "$D/cbow.txt"
	for i in $(seq "$runs"); do
		ours "$D/ours.txt" "$D/i2v" "$@"
		if [ -n "$HAVE_GENSIM" ]; then theirs 1 "$D/gensim" >> "$D/gensim.txt"; fi
		ours "$D/ours-cbow.txt" "$D/i2v-cbow" --cbow "$@"
		if [ -n "$HAVE_GENSIM" ]; then theirs 0 "$D/cbow" >> "$D/cbow.txt"; fi
	done
	echo "-- $name: seed rule Recall@20 (clicks carts orders total), training seconds (median of $runs, alternated)"
	printf '%-36s %s  train %.2f s\n' "ottorec train (MF exact), l2" "$(score mf "$D/mf.npy" l2 "$test" "$labels")" \
		"$(field "$D/mf.json" train_seconds)"
	report "ottorec item2vec (skip-gram), cos" "$D/i2v" "$D/ours.txt"
	report "ottorec item2vec --cbow, cos" "$D/i2v-cbow" "$D/ours-cbow.txt"
	if [ -n "$HAVE_GENSIM" ]; then
		G=$(median < "$D/gensim.txt")
		C=$(median < "$D/cbow.txt")
		printf '%-36s %s  train %.2f s\n' "gensim Word2Vec sg=1, cos" "$(score gensim "$D/gensim.npy" cos "$test" "$labels")" "$G"
		printf '%-36s %s  train %.2f s\n' "gensim Word2Vec sg=0 (CBOW, default)" "$(score cbow "$D/cbow.npy" cos "$test" "$labels")" "$C"
		awk -v g="$G" -v c="$C" -v o="$(median_train "$D/ours.txt")" -v oc="$(median_train "$D/ours-cbow.txt")" \
			-v w="$(field "$D/i2v.json" words)" 'BEGIN {
			printf "speed, skip-gram: ottorec %.2f M words/s, gensim sg=1 %.2f M words/s: %.1fx\n", w / o / 1e6, w / g / 1e6, g / o
			printf "speed, CBOW: ottorec --cbow %.2f M words/s, gensim sg=0 %.2f M words/s: %.1fx (target >= 5x)\n",
				w / oc / 1e6, w / c / 1e6, c / oc
			printf "ottorec skip-gram against gensim CBOW (its default call): %.1fx\n", c / o }'
	else
		echo "gensim skipped: needs Debian's python3-gensim and python3-numpy"
	fi
	rm -f "$D"/*.jsonl "$D/mf.pairs"
}

echo "== item2vec vs gensim vs MF, seed rule ($THREADS threads)"
if [ -f "$DG/train.jsonl.gz" ]; then
	mkdir -p "$DIR/dg-data"
	"$OTTOREC" convert --quiet -o "$DIR/dg-data/train.store" "$DG/train.jsonl.gz"
	"$OTTOREC" convert --quiet -o "$DIR/dg-data/test.store" "$DG/test.jsonl.gz"
	gzip -dc "$DG/test_labels.jsonl.gz" > "$DIR/dg-data/labels.jsonl"
	compare "$RUNS" diginetica "$DIR/dg-data/test.store" "$DIR/dg-data/labels.jsonl" "$DIR/dg-data/train.store"
else
	echo "DIGINETICA skipped: no $DG/train.jsonl.gz (set DIGINETICA=DIR)"
fi
for s in $SEEDS; do
	"$OTTOREC" synth --quiet --scale "$SCALE" --seed "$s" -o "$DIR/syn$s-data"
	compare "$SRUNS" "synth-$SCALE-seed$s" "$DIR/syn$s-data/test.store" "$DIR/syn$s-data/test_labels.jsonl" \
		"$DIR/syn$s-data/train.store" "$DIR/syn$s-data/test.store"
done
if [ "${BENCH_I2V_FULL:-}" = 1 ]; then
	echo "== item2vec at synth --scale 1.0 (5 epochs, train + test)"
	"$OTTOREC" synth --quiet --scale 1.0 --seed 1 -o "$DIR/full"
	"$TIME" -f '%e %M' -o "$DIR/full/time.txt" "$OTTOREC" item2vec --quiet --json --threads "$THREADS" \
		-o "$DIR/full/i2v.npy" "$DIR/full/train.store" "$DIR/full/test.store" > "$DIR/full/i2v.json"
	awk -v w="$(field "$DIR/full/i2v.json" words)" -v t="$(field "$DIR/full/i2v.json" train_seconds)" '{
		printf "item2vec full scale: %.1f s wall (training %.1f s, %.2f M words/s), peak RSS %.0f MiB (targets < 300 s, < 4096 MiB)\n",
			$1, t, w / t / 1e6, $2 / 1024 }' "$DIR/full/time.txt"
	rm -rf "$DIR/full"
fi
