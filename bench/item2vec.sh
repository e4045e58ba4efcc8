#!/bin/sh
# bench/item2vec.sh - issue #17, item2vec against gensim and the MF model:
# for each data set, the seed rule (`recommend --strategy seed`) over three
# embeddings - ottorec's MF (pairs + train exact, index l2: what `run` does),
# gensim's Word2Vec (bench/item2vec_gensim.py, skip-gram with the same
# options; also its default CBOW once, the public recipe's call) and
# `ottorec item2vec` (both indexed with --metric cos) - scored by
# `ottorec evaluate`, and the training times of gensim and ottorec on the
# same sessions, epochs and window, runs alternated, medians of BENCH_RUNS.
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

# compare RUNS NAME TEST LABELS STORE... : the three embeddings on one data set
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
	: > "$D/gensim.txt"
	for i in $(seq "$runs"); do
		"$TIME" -f '%e %M' -o "$D/time.txt" "$OTTOREC" item2vec --quiet --json --threads "$THREADS" \
			-o "$D/i2v.npy" "$@" > "$D/i2v.json"
		echo "$(field "$D/i2v.json" train_seconds) $(cat "$D/time.txt")" >> "$D/ours.txt"
		if [ -n "$HAVE_GENSIM" ]; then
			"$PY" "$HERE/item2vec_gensim.py" --workers "$THREADS" -o "$D/gensim.npy" $(cat "$D/jsonl.list") |
				awk '{ print $3 }' >> "$D/gensim.txt"
		fi
	done
	echo "-- $name: seed rule Recall@20 (clicks carts orders total), training seconds (median of $runs, alternated)"
	printf '%-36s %s  train %.2f s\n' "ottorec train (MF exact), l2" "$(score mf "$D/mf.npy" l2 "$test" "$labels")" \
		"$(field "$D/mf.json" train_seconds)"
	OURS=$(cut -d' ' -f1 "$D/ours.txt" | median)
	printf '%-36s %s  train %.2f s (wall %.2f s, peak RSS %.0f MiB)\n' "ottorec item2vec, cos" \
		"$(score i2v "$D/i2v.npy" cos "$test" "$labels")" "$OURS" "$(cut -d' ' -f2 "$D/ours.txt" | median)" \
		"$(cut -d' ' -f3 "$D/ours.txt" | sort -n | tail -n 1 | awk '{ print $1 / 1024 }')"
	if [ -n "$HAVE_GENSIM" ]; then
		G=$(median < "$D/gensim.txt")
		printf '%-36s %s  train %.2f s\n' "gensim Word2Vec sg=1, cos" "$(score gensim "$D/gensim.npy" cos "$test" "$labels")" "$G"
		"$PY" "$HERE/item2vec_gensim.py" --sg 0 --workers "$THREADS" -o "$D/cbow.npy" $(cat "$D/jsonl.list") |
			awk '{ print $3 }' > "$D/cbow.txt"
		printf '%-36s %s  train %.2f s (one run)\n' "gensim Word2Vec default (CBOW), cos" \
			"$(score cbow "$D/cbow.npy" cos "$test" "$labels")" "$(cat "$D/cbow.txt")"
		awk -v g="$G" -v o="$OURS" -v c="$(cat "$D/cbow.txt")" -v w="$(field "$D/i2v.json" words)" 'BEGIN {
			printf "speed: ottorec %.2f M words/s, gensim sg=1 %.2f M words/s: %.1fx (target >= 5x); against gensim CBOW %.1fx\n",
				w / o / 1e6, w / g / 1e6, g / o, c / o }'
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
