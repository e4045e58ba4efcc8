#!/bin/sh
# bench/stats.sh - the ranker's item statistics as a file (`ottorec stats`,
# lib/rec/or_cand_stats_file.h) against building them: on synth at
# STATS_SCALE (0.05, seed 1) and its `run --strategy ranker`,
#   - building the statistics of train + test (`ottorec stats`: wall and
#     peak RSS) against opening the file (bench_open --stats: median of 21
#     opens, every checksum verified), alternated STATS_RUNS (5) times;
#   - `serve --strategy ranker` startup (launch to the port file) and RSS
#     before traffic, with the statistics built from --train against
#     mapped from OUTDIR/ranker.stats, alternated;
#   - with OTTOREC_OLD (an ottorec without the stats stages) the total of
#     `run` old against new, alternated, and that their submissions are
#     the same bytes.
# Medians throughout; the load average is printed (the box may be shared).
set -eu
: "${OTTOREC:?}" "${BENCH_OPEN:?}"
DIR=${BENCH_DIR:-/tmp/ottorec-bench}/stats
SCALE=${STATS_SCALE:-0.05}
RUNS=${STATS_RUNS:-5}
TIME=/usr/bin/time
mkdir -p "$DIR"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
json_num() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).read())[sys.argv[2]])' "$1" "$2"; }

[ -s "$DIR/data/train.store" ] || "$OTTOREC" synth --quiet --scale "$SCALE" --seed 1 -o "$DIR/data"
D="$DIR/data"
echo "== stats: build (ottorec stats) vs open (bench_open --stats), synth $SCALE, $RUNS alternations; load $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$DIR/build.txt"
: > "$DIR/open.txt"
for i in $(seq "$RUNS"); do
	"$TIME" -f '%e %M' -o "$DIR/time.txt" "$OTTOREC" stats --quiet --train "$D/train.store" \
		--train "$D/test.store" -o "$DIR/s.stats"
	cat "$DIR/time.txt" >> "$DIR/build.txt"
	"$BENCH_OPEN" --stats "$DIR/s.stats" | sed 's/.*median \([0-9.]*\) ms.*/\1/' >> "$DIR/open.txt"
done
echo "stats build: median $(cut -d' ' -f1 "$DIR/build.txt" | median) s, peak RSS $(cut -d' ' -f2 "$DIR/build.txt" | median | awk '{ printf "%.0f", $1 / 1024 }') MiB; file $(stat -c %s "$DIR/s.stats" | awk '{ printf "%.1f", $1 / 1048576 }') MiB"
echo "stats open: median $(median < "$DIR/open.txt") ms"

# serve startup: a run's models, then the two ways of getting the statistics
R="$DIR/run"
[ -s "$R/ranker.stats" ] || "$OTTOREC" run --quiet --strategy ranker --train "$D/train.store" \
	--test "$D/test.store" -o "$R" > /dev/null
cp -n "$D/train.store" "$D/test.store" "$R/" 2>/dev/null || true
# start_ms ARGS...: "<ms to the port file> <VmRSS MiB>" of one serve start
start_ms() {
	rm -f "$DIR/port"
	t0=$(date +%s%N)
	"$OTTOREC" serve --model "$R" --strategy ranker --listen 127.0.0.1:0 --port-file "$DIR/port" -q "$@" &
	pid=$!
	while [ ! -s "$DIR/port" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
	t1=$(date +%s%N)
	rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$pid/status)
	kill -TERM $pid; wait $pid || true
	echo "$(( (t1 - t0) / 1000000 )) $rss"
}
: > "$DIR/serve_train.txt"
: > "$DIR/serve_file.txt"
for i in $(seq "$RUNS"); do
	start_ms --train "$D/train.store" --train "$D/test.store" >> "$DIR/serve_train.txt"
	start_ms >> "$DIR/serve_file.txt"
done
for k in train file; do
	echo "serve --strategy ranker, statistics $( [ $k = train ] && echo 'built from --train' || echo 'from OUTDIR/ranker.stats'): startup median $(cut -d' ' -f1 "$DIR/serve_$k.txt" | median) ms, RSS before traffic median $(cut -d' ' -f2 "$DIR/serve_$k.txt" | median) MiB"
done

# run's total, old against new
if [ -n "${OTTOREC_OLD:-}" ]; then
	: > "$DIR/run_old.txt"
	: > "$DIR/run_new.txt"
	for i in $(seq "$RUNS"); do
		for v in old new; do
			bin=$OTTOREC
			[ $v = old ] && bin=$OTTOREC_OLD
			rm -rf "$DIR/run_$v"
			"$bin" run --json --quiet --strategy ranker --train "$D/train.store" --test "$D/test.store" \
				-o "$DIR/run_$v" > "$DIR/run_$v.json"
			json_num "$DIR/run_$v.json" wall_seconds >> "$DIR/run_$v.txt"
		done
	done
	echo "run --strategy ranker: old median $(median < "$DIR/run_old.txt") s, new median $(median < "$DIR/run_new.txt") s (each $RUNS runs, alternated)"
	cmp -s "$DIR/run_old/submission.csv" "$DIR/run_new/submission.csv" && echo "run: old and new submissions are the same bytes" || echo "run: the submissions DIFFER"
	cmp -s "$DIR/run_old/ranker.model" "$DIR/run_new/ranker.model" && echo "run: old and new ranker models are the same bytes" || echo "run: the models DIFFER"
fi
