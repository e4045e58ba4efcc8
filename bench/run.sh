#!/bin/sh
# bench/run.sh - what `make bench` runs: full-scale figures for the
# foundation (synth at scale 1.0, JSONL ingestion of the full train file,
# store open), each with wall time and peak RSS; medians where repeated.
# Peer figure: Python's json module (what notebooks use to read OTTO JSONL)
# on a slice of the same file, as a ratio.  Needs ~20 GB of free disk in
# $BENCH_DIR (default /tmp/ottorec-bench); BENCH_SCALE=0.1 for a quick run.
set -eu
: "${OTTOREC:?}" "${BENCH_OPEN:?}"
DIR=${BENCH_DIR:-/tmp/ottorec-bench}
SCALE=${BENCH_SCALE:-1.0}
RUNS=${BENCH_RUNS:-3}
mkdir -p "$DIR"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is missing (apt-get install time)"; exit 1; }

# run CMD... ; prints "<wall s> <peak RSS MiB>"
measure() {
	"$TIME" -f '%e %M' -o "$DIR/time.txt" "$@" >/dev/null
	awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$DIR/time.txt"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== synth --scale $SCALE"
set -- $(measure "$OTTOREC" synth --quiet --scale "$SCALE" --seed 1 -o "$DIR")
echo "synth: $1 s wall, peak RSS $2 MiB (target < 90 s at scale 1.0)"
"$OTTOREC" info "$DIR/train.store" | head -n 12

echo "== export train.jsonl"
set -- $(measure "$OTTOREC" export --quiet -o "$DIR/train.jsonl" "$DIR/train.store")
BYTES=$(stat -c %s "$DIR/train.jsonl")
echo "export: $(awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f MB in %.2f s = %.0f MB/s", b / 1e6, s, b / 1e6 / s }'), peak RSS $2 MiB"

echo "== convert train.jsonl (warm page cache, $RUNS runs)"
cat "$DIR/train.jsonl" > /dev/null
: > "$DIR/convert.txt"
for i in $(seq "$RUNS"); do
	measure "$OTTOREC" convert --quiet -o "$DIR/train-again.store" "$DIR/train.jsonl" >> "$DIR/convert.txt"
done
WALL=$(cut -d' ' -f1 "$DIR/convert.txt" | median)
RSS=$(cut -d' ' -f2 "$DIR/convert.txt" | sort -n | tail -n 1)
MBS=$(awk -v b="$BYTES" -v s="$WALL" 'BEGIN { printf "%.0f", b / 1e6 / s }')
echo "convert: median $WALL s for $(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB = $MBS MB/s end to end (target >= 300 MB/s), peak RSS $RSS MiB (target < 6144)"
cmp -s "$DIR/train.store" "$DIR/train-again.store" && echo "round trip: store -> JSONL -> store is byte-identical"

SLICE=200000000
head -c "$SLICE" "$DIR/train.jsonl" | sed '$d' > "$DIR/slice.jsonl"
SB=$(stat -c %s "$DIR/slice.jsonl")
PY=$( { "$TIME" -f '%e' python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    n += len(json.loads(line)["events"])
' "$DIR/slice.jsonl" ; } 2>&1 | tail -n 1)
OURS=$(measure "$OTTOREC" convert --quiet -o "$DIR/slice.store" "$DIR/slice.jsonl" | cut -d' ' -f1)
awk -v b="$SB" -v p="$PY" -v o="$OURS" 'BEGIN {
	printf "peer: python3 json.loads on a %.0f MB slice: %.2f s = %.0f MB/s; ottorec convert: %.2f s = %.0f MB/s; ratio %.1fx\n",
		b / 1e6, p, b / 1e6 / p, o, b / 1e6 / o, p / o }'

echo "== store open"
"$BENCH_OPEN" "$DIR/train.store"
rm -f "$DIR/slice.jsonl" "$DIR/slice.store" "$DIR/train-again.store"

# ---- co-visitation matrices and the covisit recommender (issue #6) ----------
# Local split of the synthetic train; matrices over split train + test;
# recommendations for split test; Recall@20.  Peer: bench/covisit_pandas.py
# (the same recipe in pandas, as the OTTO notebook writes it) on a smaller
# synthetic set (COVISIT_PANDAS_SCALE, default 0.02), with ottorec on the
# same data, so scores and times compare like for like.
echo "== covisit + recommend (split of synth --scale $SCALE)"
CV="$DIR/covisit"
mkdir -p "$CV"
"$OTTOREC" split --quiet -o "$CV/split" "$DIR/train.store"
: > "$CV/cv.txt"
for i in $(seq "$RUNS"); do
	measure "$OTTOREC" covisit --quiet -o "$CV/m" "$CV/split/train.store" "$CV/split/test.store" >> "$CV/cv.txt"
done
WALL=$(cut -d' ' -f1 "$CV/cv.txt" | median)
RSS=$(cut -d' ' -f2 "$CV/cv.txt" | sort -n | tail -n 1)
echo "covisit (3 matrices): median $WALL s, peak RSS $RSS MiB (targets at scale 1.0: < 240 s, < 16384 MiB)"
"$OTTOREC" covisit --json -o "$CV/m" "$CV/split/train.store" "$CV/split/test.store" | tail -n 1
: > "$CV/rec.txt"
for i in $(seq "$RUNS"); do
	measure "$OTTOREC" recommend --quiet --test "$DIR/test.store" --covisit "$CV/m" -o "$CV/sub_full_test.csv" >> "$CV/rec.txt"
done
echo "recommend for $("$OTTOREC" info "$DIR/test.store" | awk '/^sessions/ { print $2 }') test sessions: median $(cut -d' ' -f1 "$CV/rec.txt" | median) s, peak RSS $(cut -d' ' -f2 "$CV/rec.txt" | sort -n | tail -n 1) MiB (target < 20 s)"
"$OTTOREC" recommend --quiet --test "$CV/split/test.store" --covisit "$CV/m" -o "$CV/sub.csv"
echo "local split Recall@20:"
"$OTTOREC" evaluate --labels "$CV/split/test_labels.jsonl" "$CV/sub.csv"

PSCALE=${COVISIT_PANDAS_SCALE:-0.02}
PY=/usr/bin/python3
if $PY -c 'import pandas' 2>/dev/null; then
	echo "== peer: pandas covisit recipe at scale $PSCALE (bench/covisit_pandas.py)"
	P="$CV/pandas"
	"$OTTOREC" synth --quiet --scale "$PSCALE" --seed 1 -o "$P"
	"$OTTOREC" split --quiet -o "$P/split" "$P/train.store"
	"$OTTOREC" export --quiet --format csv --type-digits -o "$P/train.csv" "$P/split/train.store"
	"$OTTOREC" export --quiet --format csv --type-digits -o "$P/test.csv" "$P/split/test.store"
	set -- $(measure $PY bench/covisit_pandas.py "$P/train.csv" "$P/test.csv" "$P/sub_pandas.csv")
	echo "pandas: $1 s wall, peak RSS $2 MiB"
	T0=$(date +%s.%N)
	"$OTTOREC" covisit --quiet -o "$P/m" "$P/split/train.store" "$P/split/test.store"
	"$OTTOREC" recommend --quiet --test "$P/split/test.store" --covisit "$P/m" -o "$P/sub.csv"
	echo "ottorec covisit + recommend on the same data: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
	echo "pandas score:";  "$OTTOREC" evaluate --labels "$P/split/test_labels.jsonl" "$P/sub_pandas.csv"
	echo "ottorec score:"; "$OTTOREC" evaluate --labels "$P/split/test_labels.jsonl" "$P/sub.csv"
	cmp -s "$P/sub.csv" "$P/sub_pandas.csv" && echo "the two submissions are byte-identical" ||
		echo "submissions differ in $(diff "$P/sub.csv" "$P/sub_pandas.csv" | grep -c '^<') rows (float summation order: ties among equal weights)"
	rm -f "$P/train.csv" "$P/test.csv"
else
	echo "peer skipped: python3-pandas is not installed"
fi

# ---- Parquet input (issue #3) -------------------------------------------------
# The full train as the community's Parquet (session/aid/ts int32, ts in
# seconds, type uint8, zstd), written by polars from an export of the synthetic
# train (bench/parquet_write.cjs), then `ottorec convert` of it; polars' own
# read time of the same file beside it.  Runs only when node and
# nodejs-polars (cd tests/data/parquet && npm install) are there.
PQ_MODULES="$(pwd)/tests/data/parquet/node_modules"
if command -v node >/dev/null 2>&1 && [ -d "$PQ_MODULES/nodejs-polars" ]; then
	echo "== convert train.parquet (polars-written, zstd)"
	PQ="$DIR/parquet"
	mkdir -p "$PQ"
	if [ ! -s "$PQ/train.parquet" ]; then
		"$OTTOREC" export --quiet --format csv --type-digits -o "$PQ/train.csv" "$DIR/train.store"
		NODE_PATH="$PQ_MODULES" node bench/parquet_write.cjs "$PQ/train.csv" "$PQ/train.parquet"
		rm -f "$PQ/train.csv"
	fi
	cat "$PQ/train.parquet" > /dev/null
	: > "$PQ/convert.txt"
	for i in $(seq "$RUNS"); do
		rm -f "$PQ/train.store" # replacing a 3 GB file costs ext4 ~0.7 s in rename; not the convert's work
		"$TIME" -f '%e %M' -o "$PQ/time.txt" "$OTTOREC" convert --json -o "$PQ/train.store" "$PQ/train.parquet" > "$PQ/json.txt"
		echo "$(cat "$PQ/time.txt") $(sed 's/.*"events":\([0-9]*\).*"read_seconds":\([0-9.e+-]*\).*/\1 \2/' "$PQ/json.txt")" >> "$PQ/convert.txt"
	done
	EV=$(head -n 1 "$PQ/convert.txt" | cut -d' ' -f3)
	WALL=$(cut -d' ' -f1 "$PQ/convert.txt" | median)
	READ=$(cut -d' ' -f4 "$PQ/convert.txt" | median)
	RSS=$(cut -d' ' -f2 "$PQ/convert.txt" | sort -n | tail -n 1)
	awk -v e="$EV" -v w="$WALL" -v r="$READ" -v m="$RSS" 'BEGIN {
		printf "convert parquet: %d rows, median %.2f s end to end = %.1f M rows/s; reading, checking and writing the columns (without checksums and rename) median %.2f s = %.1f M rows/s (target >= 50); peak RSS %.0f MiB (target < 6144)\n",
			e, w, e / w / 1e6, r, e / r / 1e6, m / 1024 }'
	: > "$PQ/polars.txt"
	for i in $(seq "$RUNS"); do
		NODE_PATH="$PQ_MODULES" node bench/parquet_read.cjs "$PQ/train.parquet" | cut -d' ' -f1 >> "$PQ/polars.txt"
	done
	echo "peer: polars (nodejs-polars) readParquet of the same file: median $(median < "$PQ/polars.txt") s"
	rm -f "$PQ/train.store"
else
	echo "parquet section skipped: needs node and tests/data/parquet/node_modules (npm install there)"
fi

# ---- nearest-neighbour index (issue #5): bench/ann.sh ----------------------
OTTOREC="$OTTOREC" sh "$(dirname "$0")/ann.sh" || echo "ann section failed"

# ---- seed strategy against the notebook's Python pipeline (issue #7): bench/seed.sh
OTTOREC="$OTTOREC" sh "$(dirname "$0")/seed.sh" || echo "seed section failed"

# ---- item2vec against gensim and MF, seed rule (issue #17): bench/item2vec.sh
OTTOREC="$OTTOREC" sh "$(dirname "$0")/item2vec.sh" || echo "item2vec section failed"

# ---- pairs and matrix-factorisation embeddings (issue #4) ----------------
# pairs of train+test at full scale (medians of RUNS, store order and
# shuffled); `train` exact on a slice of BENCH_MF_PAIRS pairs (the
# notebook's model and SparseAdam) and fast on all pairs (medians of RUNS;
# fast once more with the notebook's N(0,1) init for the accuracy
# comparison); PyTorch's CPU rate for the same model and batch on a slice of
# BENCH_TORCH_PAIRS pairs when Debian's python3-torch is installed.
echo "== pairs (train + test)"
: > "$DIR/pairs.txt"
: > "$DIR/pairs-shuf.txt"
for i in $(seq "$RUNS"); do
	measure "$OTTOREC" pairs --quiet --no-shuffle -o "$DIR/ns.pairs" "$DIR/train.store" "$DIR/test.store" >> "$DIR/pairs.txt"
	rm -f "$DIR/mf.pairs"
	measure "$OTTOREC" pairs --quiet -o "$DIR/mf.pairs" "$DIR/train.store" "$DIR/test.store" >> "$DIR/pairs-shuf.txt"
done
echo "pairs (store order): median $(cut -d' ' -f1 "$DIR/pairs.txt" | median) s, peak RSS $(cut -d' ' -f2 "$DIR/pairs.txt" | sort -n | tail -n 1) MiB"
echo "pairs (shuffled, 5 % of sessions held out): median $(cut -d' ' -f1 "$DIR/pairs-shuf.txt" | median) s of $(cut -d' ' -f1 "$DIR/pairs-shuf.txt" | tr '\n' ' ')s, peak RSS $(cut -d' ' -f2 "$DIR/pairs-shuf.txt" | sort -n | tail -n 1) MiB (target <= 5 s for 209 M pairs)"
rm -f "$DIR/ns.pairs"
MFN=${BENCH_MF_PAIRS:-20000000}
TN=${BENCH_TORCH_PAIRS:-2000000}
field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"; }
for i in $(seq "$RUNS"); do
	"$OTTOREC" train --quiet --json --max-pairs "$MFN" -o "$DIR/exact.npy" "$DIR/mf.pairs" > "$DIR/exact-$i.json"
	"$OTTOREC" train --quiet --json --mode fast -o "$DIR/fast.npy" "$DIR/mf.pairs" > "$DIR/fast-$i.json"
done
"$OTTOREC" train --quiet --json --mode fast --init normal -o "$DIR/fast.npy" "$DIR/mf.pairs" > "$DIR/fast-normal.json"
"$OTTOREC" train --quiet --json --max-pairs "$TN" -o "$DIR/exact-slice.npy" "$DIR/mf.pairs" > "$DIR/exact-slice.json"
for m in exact fast; do
	r=$(for i in $(seq "$RUNS"); do field "$DIR/$m-$i.json" pairs_per_s; done | awk '{ printf "%.0f\n", $1 }' | median)
	awk -v m="$m" -v p="$(field "$DIR/$m-1.json" train_pairs)" -v r="$r" \
		-v a="$(field "$DIR/$m-1.json" valid_accuracy)" -v rss="$(field "$DIR/$m-1.json" peak_rss_bytes)" 'BEGIN {
		printf "train %s: %.1f M pairs at %.2f M pairs/s (median), valid accuracy %.4f, peak RSS %.0f MiB (targets: exact >= 5, fast >= 10 M pairs/s; < 8192 MiB)\n",
			m, p / 1e6, r / 1e6, a, rss / 1048576 }'
done
echo "train fast with --init normal (the notebook's N(0,1)): valid accuracy $(field "$DIR/fast-normal.json" valid_accuracy)"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	set -- $(/usr/bin/python3 "$(dirname "$0")/mf_torch.py" "$DIR/mf.pairs" "$TN" 2)
	awk -v tn="$TN" -v tr="$4" -v ta="$5" -v er="$(field "$DIR/exact-slice.json" pairs_per_s)" -v ea="$(field "$DIR/exact-slice.json" valid_accuracy)" 'BEGIN {
		printf "peer: PyTorch CPU, same model/batch/optimiser, first %s pairs: %.3f M pairs/s, valid accuracy %.4f; ottorec exact on the same pairs: %.3f M pairs/s, valid accuracy %.4f; ratio %.1fx\n",
			tn, tr / 1e6, ta, er / 1e6, ea, er / tr }'
else
	echo "peer: python3-torch not installed (apt-get install -y python3-torch) - no PyTorch ratio"
fi
rm -f "$DIR/mf.pairs" "$DIR/exact.npy" "$DIR/fast.npy" "$DIR/exact-slice.npy" \
	"$DIR/exact.ids.npy" "$DIR/fast.ids.npy" "$DIR/exact-slice.ids.npy"

# ---- the whole pipeline, `ottorec run` (issue #7): bench/pipeline.sh --------
OTTOREC="$OTTOREC" DIR="$DIR" sh "$(dirname "$0")/pipeline.sh" || echo "pipeline section failed"

# ---- `ottorec serve` under wrk on the run's models (issue 18): bench/serve.sh --
OTTOREC="$OTTOREC" BENCH_DIR="$DIR" sh "$(dirname "$0")/serve.sh" || echo "serve section failed"

# ---- the ranker's item statistics as a file (build vs open, serve startup): bench/stats.sh --
OTTOREC="$OTTOREC" BENCH_OPEN="$BENCH_OPEN" BENCH_DIR="$DIR" sh "$(dirname "$0")/stats.sh" || echo "stats section failed"

echo "(outputs kept in $DIR; remove with rm -rf $DIR)"
