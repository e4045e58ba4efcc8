#!/bin/sh
# bench/serve.sh - `ottorec serve` under wrk (Debian's wrk) on loopback:
# per served strategy, requests/s and p50/p99/p999 latency of POST
# /recommend with one 20-event session a request (the test set's sessions
# of at least 20 events, cut to their first 20), and the server's startup
# time and RSS before traffic.  Models: SERVE_MODEL (default $DIR/run, the
# `run --strategy all` of bench/pipeline.sh, which holds train.store and
# test.store).  Targets (issue 18): covisit >= 20,000 req/s and p99 < 2 ms,
# ranker >= 5,000 req/s and p99 < 5 ms on 2 cores; startup < 2 s and RSS
# < 1 GiB with full-scale models.  SERVE_SECONDS (10) per strategy,
# SERVE_THREADS (2) server threads, SERVE_CONNECTIONS (8) wrk connections
# on one wrk thread.  Strategies: covisit, ranker, blend (its weights and
# index as serve finds them in the run directory) and seed.  Then a soak
# (SERVE_SOAK_SECONDS, 60) of covisit with every 10th request a bad one,
# after a warm-up of the same traffic (SERVE_WARMUP_SECONDS, 10: the model
# pages the bodies read are mapped in by then): the answers by status
# against what was sent (no error among the good ones), and RSS (total and
# private) after the warm-up and every 10 s of the soak.  The load average is printed: the box may be shared.
set -eu
: "${OTTOREC:?}"
DIR=${BENCH_DIR:-/tmp/ottorec-bench}
MODEL=${SERVE_MODEL:-$DIR/run}
SECS=${SERVE_SECONDS:-10}
THREADS=${SERVE_THREADS:-2}
CONNS=${SERVE_CONNECTIONS:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "serve bench: wrk is missing (apt-get install wrk)"; exit 1; }
[ -s "$MODEL/test.store" ] || { echo "serve bench: no $MODEL/test.store (run bench/pipeline.sh, or set SERVE_MODEL)"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/serve-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
"$OTTOREC" export --quiet -o "$W/test.jsonl" "$MODEL/test.store"
python3 -c '
import json, sys
out = open(sys.argv[2], "w")
n = 0
for line in open(sys.argv[1]):
    s = json.loads(line)
    if len(s["events"]) >= 20 and n < 20000:
        s["events"] = s["events"][:20]
        out.write(json.dumps(s, separators=(",", ":")) + "\n")
        n += 1
print(n)
' "$W/test.jsonl" "$W/bodies.jsonl" > "$W/n"
echo "== serve: $(cat "$W/n") sessions of 20 events from $MODEL/test.store; $THREADS server threads, wrk 1 thread $CONNS connections, $SECS s each"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for s in covisit ranker blend seed; do
	case $s in
	ranker) [ -s "$MODEL/ranker.model" ] || { echo "$s: no ranker.model, skipped"; continue; } ;;
	seed) [ -s "$MODEL/index.ann" ] || { echo "$s: no index.ann, skipped"; continue; } ;;
	esac
	rm -f "$W/port"
	"$OTTOREC" serve -q --model "$MODEL" --strategy $s --threads "$THREADS" --listen 127.0.0.1:0 \
		--port-file "$W/port" 2>"$W/serve.err" &
	pid=$!
	i=0
	while [ ! -s "$W/port" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	[ -s "$W/port" ] || { echo "$s: serve did not start: $(cat "$W/serve.err")"; continue; }
	rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$pid/status)
	ready=$(sed -n 's/.*ready in \([0-9.]*\) s.*/\1/p' "$W/serve.err")
	SERVE_BODIES="$W/bodies.jsonl" wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$HERE/serve_wrk.lua" \
		"http://127.0.0.1:$(cat "$W/port")" > "$W/wrk.txt" 2>&1 || true
	res=$(sed -n 's/^RESULT //p' "$W/wrk.txt")
	kill -TERM $pid
	wait $pid || echo "$s: serve exited with $?"
	echo "serve $s: ${res:-wrk failed: $(tail -3 "$W/wrk.txt")}; startup $ready s, RSS before traffic $rss MiB"
done
# the soak: covisit, SERVE_SOAK_SECONDS (60) with every 10th request a bad one, after a warm-up
SOAK=${SERVE_SOAK_SECONDS:-60}
WARM=${SERVE_WARMUP_SECONDS:-10}
rm -f "$W/port"
"$OTTOREC" serve -q --model "$MODEL" --strategy covisit --threads "$THREADS" --listen 127.0.0.1:0 \
	--port-file "$W/port" 2>"$W/serve.err" &
pid=$!
i=0
while [ ! -s "$W/port" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
rss() { awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } END { printf "%.0f/%.0f", r / 1024, a / 1024 }' /proc/$pid/status; }
rss_start=$(rss)
SERVE_BODIES="$W/bodies.jsonl" SERVE_BAD_EVERY=10 wrk -t1 -c"$CONNS" -d"${WARM}s" -s "$HERE/serve_wrk.lua" \
	"http://127.0.0.1:$(cat "$W/port")" > "$W/warm.txt" 2>&1 || true
rss_warm=$(rss)
SERVE_BODIES="$W/bodies.jsonl" SERVE_BAD_EVERY=10 wrk -t1 -c"$CONNS" -d"${SOAK}s" -s "$HERE/serve_wrk.lua" \
	"http://127.0.0.1:$(cat "$W/port")" > "$W/wrk.txt" 2>&1 &
wpid=$!
series=""
t=0
while [ $t -lt "$SOAK" ]; do
	sleep 10; t=$((t + 10))
	kill -0 $wpid 2>/dev/null && series="$series $(rss)"
done
wait $wpid || true
rss_end=$(rss)
kill -TERM $pid
wait $pid || echo "soak: serve exited with $?"
echo "soak covisit ${SOAK} s, 10% bad: $(sed -n 's/^RESULT //p' "$W/wrk.txt")"
echo "soak RSS total/private (RssAnon) MiB: at start $rss_start; after the ${WARM} s warm-up ($(sed -n 's/^RESULT \([^;]*\);.*/\1/p' "$W/warm.txt")) $rss_warm; every 10 s:$series; at the end $rss_end"
echo "targets: covisit >= 20000 req/s, p99 < 2 ms; ranker >= 5000 req/s, p99 < 5 ms (2 cores); startup < 2 s, RSS < 1024 MiB at scale 1.0"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
