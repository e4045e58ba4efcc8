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
echo "(outputs kept in $DIR; remove with rm -rf $DIR)"
