#!/bin/sh
# bench/ann.sh - issue #5, the nearest-neighbour index at OTTO scale
# (1.86 M x 32 float32 by default): `ottorec index build` wall time and peak
# RSS (median of BENCH_ANN_RUNS), `ottorec index eval` recall@20 against
# exact search on 2000 by-item queries and queries/s on BENCH_ANN_SPEED
# (default 20000) random items answered as one batch, on
# clustered synthetic embeddings, an isotropic Gaussian (the worst case for
# any index) and, when BENCH_EMB names one, real trained embeddings (.npy,
# e.g. from `ottorec pairs` + `ottorec train` on the synth 1.0 data).
# Then the peers on the first data set (all with BENCH_ANN_PEERS_ALL=1):
# python3-hnswlib and python3-faiss (HNSW, IVF), skipped when absent
# (BENCH_ANN_PEERS=hnswlib,faiss-ivf,faiss-hnsw picks them; none: no peers).
# Called from bench/run.sh; runs alone with OTTOREC=build/rel/ottorec.
set -eu
: "${OTTOREC:?}"
DIR=${BENCH_DIR:-/tmp/ottorec-bench}/ann
SCALE=${BENCH_SCALE:-1.0}
RUNS=${BENCH_ANN_RUNS:-3}
THREADS=${BENCH_THREADS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR"
N=$(awk -v s="$SCALE" 'BEGIN { n = int(1855603 * s); print n < 1000 ? 1000 : n }')
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p"; }

echo "== ann: $N x 32 float32, $THREADS threads (target: build <= 60 s; recall@20 >= 0.95 at >= 20000 queries/s)"
"$OTTOREC" index synth -o "$DIR/clustered.npy" --rows "$N" --dim 32 --clusters 2000 --seed 1 --quiet
"$OTTOREC" index synth -o "$DIR/gaussian.npy" --rows "$N" --dim 32 --seed 1 --quiet
SETS="clustered gaussian"
if [ -n "${BENCH_EMB:-}" ]; then
	ln -sf "$(cd "$(dirname "$BENCH_EMB")" && pwd)/$(basename "$BENCH_EMB")" "$DIR/embeddings.npy"
	ids="${BENCH_EMB%.npy}.ids.npy" # the rows' aids, as `ottorec train` writes them
	rm -f "$DIR/embeddings.ids.npy"
	[ -e "$ids" ] && ln -sf "$(cd "$(dirname "$ids")" && pwd)/$(basename "$ids")" "$DIR/embeddings.ids.npy"
	SETS="embeddings $SETS"
fi
first=1
for s in $SETS; do
	: > "$DIR/build.txt"
	for i in $(seq "$RUNS"); do
		"$OTTOREC" index build "$DIR/$s.npy" -o "$DIR/$s.idx" --threads "$THREADS" --quiet --json > "$DIR/b.json"
		echo "$(field wall_seconds < "$DIR/b.json") $(field peak_rss_bytes < "$DIR/b.json")" >> "$DIR/build.txt"
	done
	BUILD=$(cut -d' ' -f1 "$DIR/build.txt" | median)
	RSS=$(cut -d' ' -f2 "$DIR/build.txt" | sort -n | tail -n 1)
	: > "$DIR/eval.txt"
	: > "$DIR/vnni.txt"
	for i in $(seq "$RUNS"); do
		"$OTTOREC" index eval "$DIR/$s.idx" --queries 2000 --speed-queries "${BENCH_ANN_SPEED:-20000}" --threads "$THREADS" --quiet --json > "$DIR/e.json"
		echo "$(field queries_per_s < "$DIR/e.json") $(field recall < "$DIR/e.json")" >> "$DIR/eval.txt"
		SCAN=$(field scan < "$DIR/e.json" | tr -d '"')
		if [ "$SCAN" = amx ]; then # the same answers by the AVX-512 VNNI scan, for comparison
			"$OTTOREC" index eval "$DIR/$s.idx" --queries 10 --speed-queries "${BENCH_ANN_SPEED:-20000}" --threads "$THREADS" --no-amx --quiet --json |
				field queries_per_s >> "$DIR/vnni.txt"
		fi
	done
	QPS=$(cut -d' ' -f1 "$DIR/eval.txt" | median)
	RECALL=$(cut -d' ' -f2 "$DIR/eval.txt" | head -n 1)
	VNNI=""
	[ -s "$DIR/vnni.txt" ] && VNNI=" (AVX-512 VNNI scan instead of AMX: median $(median < "$DIR/vnni.txt" | cut -d. -f1) queries/s)"
	echo "$s: build median $BUILD s (peak RSS $(awk -v b="$RSS" 'BEGIN { printf "%.0f", b / 1048576 }') MiB), nlist $(field nlist < "$DIR/b.json"), nprobe $(field nprobe < "$DIR/b.json"), rerank $(field rerank < "$DIR/e.json"); recall@20 $RECALL (exact: $(field exact_queries_per_s < "$DIR/e.json" | cut -d. -f1) queries/s); median $(printf '%.0f' "$QPS") queries/s, $SCAN scan$VNNI"
	if [ "${BENCH_ANN_PEERS:-}" = none ]; then
		: # peers not wanted
	elif [ "$first" = 1 ] || [ -n "${BENCH_ANN_PEERS_ALL:-}" ]; then
		if "$PY" -c 'import numpy' 2>/dev/null; then
			"$PY" "$HERE/ann_peers.py" "$DIR/$s.npy" --threads "$THREADS" --queries 2000 --speed-queries "${BENCH_ANN_SPEED:-20000}" \
				--nlist "$(field nlist < "$DIR/b.json")" --peers "${BENCH_ANN_PEERS:-hnswlib,faiss-ivf,faiss-hnsw}" \
				--ours-build "$BUILD" --ours-qps "$QPS" --ours-recall "$RECALL" || echo "peers: failed"
		else
			echo "peers skipped: python3-numpy is not installed"
		fi
	fi
	first=0
	rm -f "$DIR/$s.idx"
done
rm -rf "$DIR"
