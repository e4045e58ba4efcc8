#!/bin/sh
# bench/seed.sh - issue #7, the seed strategy against the notebook it comes
# from: on a local split of synthetic data (BENCH_SEED_SCALE, default 0.05,
# where PyTorch on CPU trains in about a minute), the notebook's own Python
# pipeline (bench/notebook_seed.py: numpy pairs, PyTorch MF with SparseAdam,
# hnswlib standing in for Annoy, the notebook's rule) and ottorec's
# (pairs, train --mode exact, index build, recommend --strategy seed; and
# the same with train --mode fast), each stage timed (ours: median of
# BENCH_RUNS runs; the peer: one run), and both Recall@20 tables from
# `ottorec evaluate`.
# Called from bench/run.sh; runs alone with OTTOREC=build/rel/ottorec.
set -eu
: "${OTTOREC:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${BENCH_DIR:-/tmp/ottorec-bench}/seed
SCALE=${BENCH_SEED_SCALE:-0.05}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-$(nproc)}
PY=/usr/bin/python3
TIME=/usr/bin/time
mkdir -p "$DIR"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# measure NAME CMD... : appends "<wall s> <peak RSS MiB>" to $DIR/NAME.txt
measure() {
	name=$1; shift
	"$TIME" -f '%e %M' -o "$DIR/time.txt" "$@" >/dev/null
	awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$DIR/time.txt" >> "$DIR/$name.txt"
}
wall() { cut -d' ' -f1 "$DIR/$1.txt" | median; }
rss() { cut -d' ' -f2 "$DIR/$1.txt" | sort -n | tail -n 1; }
# scores FILE : "clicks carts orders score" from `ottorec evaluate` output
scores() { awk '/^clicks/ { c = $3 } /^carts/ { a = $3 } /^orders/ { o = $3 } /^score/ { s = $2 }
	END { printf "%.4f %.4f %.4f %.4f\n", c, a, o, s }' "$1"; }

echo "== seed strategy vs the notebook's Python pipeline (split of synth --scale $SCALE, $THREADS threads)"
"$OTTOREC" synth --quiet --scale "$SCALE" --seed 1 -o "$DIR/data"
"$OTTOREC" split --quiet -o "$DIR/split" "$DIR/data/train.store"
TR="$DIR/split/train.store"
TE="$DIR/split/test.store"
LAB="$DIR/split/test_labels.jsonl"

recommend_seed() { "$TIME" -f '%e %M' -o "$DIR/time.txt" "$OTTOREC" recommend --quiet --threads "$THREADS" --strategy seed --test "$TE" --index "$1" -o "$2"; }

for f in pairs train fast index index_fast rec; do : > "$DIR/$f.txt"; done
for i in $(seq "$RUNS"); do
	measure pairs "$OTTOREC" pairs --quiet --threads "$THREADS" -o "$DIR/mf.pairs" "$TR" "$TE"
	measure train "$OTTOREC" train --quiet --threads "$THREADS" -o "$DIR/emb.npy" "$DIR/mf.pairs"
	measure fast "$OTTOREC" train --quiet --mode fast --threads "$THREADS" -o "$DIR/emb_fast.npy" "$DIR/mf.pairs"
	measure index "$OTTOREC" index build --quiet --threads "$THREADS" -o "$DIR/emb.idx" "$DIR/emb.npy"
	measure index_fast "$OTTOREC" index build --quiet --threads "$THREADS" -o "$DIR/emb_fast.idx" "$DIR/emb_fast.npy"
	recommend_seed "$DIR/emb.idx" "$DIR/sub_ours.csv"
	awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$DIR/time.txt" >> "$DIR/rec.txt"
done
recommend_seed "$DIR/emb_fast.idx" "$DIR/sub_ours_fast.csv"
"$OTTOREC" evaluate --labels "$LAB" "$DIR/sub_ours.csv" > "$DIR/eval_ours.txt"
"$OTTOREC" evaluate --labels "$LAB" "$DIR/sub_ours_fast.csv" > "$DIR/eval_fast.txt"

PEER=""
if "$PY" -c 'import numpy, torch, hnswlib' 2>/dev/null; then
	"$TIME" -f '%e %M' -o "$DIR/peer_time.txt" "$PY" "$HERE/notebook_seed.py" --threads "$THREADS" \
		"$TR" "$TE" "$DIR/sub_notebook.csv" > "$DIR/peer.txt"
	"$OTTOREC" evaluate --labels "$LAB" "$DIR/sub_notebook.csv" > "$DIR/eval_peer.txt"
	PEER=1
else
	echo "peer skipped: needs Debian's python3-numpy, python3-torch, python3-hnswlib"
fi

stage() { awk -v s="$1" '$1 == "stage" && $2 == s { print $3 }' "$DIR/peer.txt"; }
echo "seconds per stage (pairs includes loading; recom includes writing the CSV); ours: median of $RUNS runs, notebook: one run"
printf '%-34s %8s %8s %8s %8s | %7s %7s %7s %7s %7s %8s\n' "Recall@20" clicks carts orders score \
	pairs train index recom total "RSS MiB"
row() { # name scores pairs train index rec rss
	set -- "$1" $2 "$3" "$4" "$5" "$6" "$7"
	printf '%-34s %8s %8s %8s %8s | %7s %7s %7s %7s %7s %8s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
		"$(awk -v a="$6" -v b="$7" -v c="$8" -v d="$9" 'BEGIN { printf "%.2f", a + b + c + d }')" "${10}"
}
MAXRSS=$(cat "$DIR"/pairs.txt "$DIR"/train.txt "$DIR"/index.txt "$DIR"/rec.txt | cut -d' ' -f2 | sort -n | tail -n 1)
row "ottorec seed (train exact)" "$(scores "$DIR/eval_ours.txt")" "$(wall pairs)" "$(wall train)" "$(wall index)" "$(wall rec)" "$MAXRSS"
MAXRSS=$(cat "$DIR"/pairs.txt "$DIR"/fast.txt "$DIR"/index_fast.txt "$DIR"/rec.txt | cut -d' ' -f2 | sort -n | tail -n 1)
row "ottorec seed (train fast)" "$(scores "$DIR/eval_fast.txt")" "$(wall pairs)" "$(wall fast)" "$(wall index_fast)" "$(wall rec)" "$MAXRSS"
if [ -n "$PEER" ]; then
	P_REC=$(awk -v a="$(stage recommend)" -v b="$(stage write)" 'BEGIN { printf "%.2f", a + b }')
	P_PAIRS=$(awk -v a="$(stage load)" -v b="$(stage pairs)" 'BEGIN { printf "%.2f", a + b }')
	row "notebook (PyTorch + hnswlib)" "$(scores "$DIR/eval_peer.txt")" "$P_PAIRS" "$(stage train)" "$(stage index)" "$P_REC" \
		"$(awk '{ printf "%.0f", $2 / 1024 }' "$DIR/peer_time.txt")"
	grep '^notebook:' "$DIR/peer.txt"
fi
rm -f "$DIR/mf.pairs"
