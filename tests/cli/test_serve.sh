#!/bin/sh
# test_serve.sh - `ottorec serve` on small synthetic data, each server on
# an ephemeral loopback port (--listen 127.0.0.1:0 --port-file) started
# and stopped here: for every strategy (covisit, seed, blend, ranker) the
# lists of all test sessions (posted 100 a request) equal `ottorec
# recommend`'s rows byte for byte; ?k=N; bad requests (malformed JSON,
# unknown type, events out of order, too many events or sessions, a body
# over --max-body, unknown paths, wrong methods, a half-sent request) get
# their 4xx and message and leave the server answering; /health, /metrics;
# POST /reload and SIGHUP swap in a new model set and refuse a damaged one
# (the old kept); SIGTERM exits 0; the ranker's statistics from
# OUTDIR/ranker.stats give the same lists, and --stats of other stores than
# --train is refused.  The client is serve_client.py.
. "$TESTS_DIR/cli/lib.sh"

O="$OTTOREC"
CL="python3 $TESTS_DIR/cli/serve_client.py"
S="$T/s"
R="$T/run"
F="$T/f"
"$O" synth --quiet --scale 0.002 --seed 3 -o "$S" >/dev/null 2>&1
mkdir -p "$R"
"$O" covisit --quiet -o "$R/covisit" "$S/train.store" "$S/test.store" >/dev/null 2>&1
"$O" pairs --quiet -o "$T/p.pairs" "$S/train.store" "$S/test.store" >/dev/null 2>&1
"$O" train --quiet -o "$T/emb.npy" "$T/p.pairs" >/dev/null 2>&1
"$O" index build --quiet -o "$R/index.ann" "$T/emb.npy" >/dev/null 2>&1
"$O" split --quiet --days 7 -o "$F" "$S/train.store" >/dev/null 2>&1
"$O" covisit --quiet -o "$F/cv" "$F/train.store" "$F/test.store" >/dev/null 2>&1
"$O" candidates --quiet --test "$F/test.store" --labels "$F/test_labels.jsonl" --covisit "$F/cv" \
	--train "$F/train.store" --train "$F/test.store" --max 40 --negatives 10 -o "$T/c" >/dev/null 2>&1
"$O" fit --quiet --rounds 20 --candidates "$T/c" -o "$R/ranker.model" >/dev/null 2>&1
cp "$S/train.store" "$S/test.store" "$R/"
# blend's weights where `run` writes its tuned ones (every feature used)
mkdir -p "$R/fit"
{
	echo "ottorec-blend-weights 1"
	i=1
	for t in clicks carts orders; do
		for f in hist recent bought ordered count cv_clicks cv_buys b2b cv_last cv_count emb emb_last \
			pop_clicks pop_buys rule_clicks rule_buys; do
			echo "$t $f 0.$(( (i * 37) % 97 + 1 ))"; i=$((i + 1))
		done
	done
} >"$R/fit/blend.weights"
"$O" export --quiet "$S/test.store" -o "$T/test.jsonl" >/dev/null 2>&1
expect_true "the test set has a few thousand sessions" test "$(wc -l <"$T/test.jsonl")" -ge 3000

PID=""
# start_serve NAME ARGS...: a server in the background, its port in $PORT
start_serve() {
	name=$1; shift
	rm -f "$T/port"
	"$O" serve --listen 127.0.0.1:0 --port-file "$T/port" --threads 2 "$@" 2>"$T/serve.err" &
	PID=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 600 ] && kill -0 $PID 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	PORT=$(cat "$T/port" 2>/dev/null)
	if [ -n "$PORT" ]; then pass "$name: listening"
	else fail "$name: listening" "$(head -c 600 "$T/serve.err")"; fi
}
# stop_serve NAME: SIGTERM, and it must exit 0
stop_serve() {
	kill -TERM $PID 2>/dev/null
	wait $PID
	rc=$?
	if [ $rc -eq 0 ]; then pass "$1: SIGTERM exits 0"
	else fail "$1: SIGTERM exits 0" "exit $rc: $(tail -c 600 "$T/serve.err")"; fi
	PID=""
}
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null' EXIT

# --- the same lists as recommend, per strategy ---------------------------
"$O" recommend --quiet --strategy covisit --test "$S/test.store" --covisit "$R/covisit" -o "$T/covisit.csv"
"$O" recommend --quiet --strategy seed --test "$S/test.store" --index "$R/index.ann" -o "$T/seed.csv"
"$O" recommend --quiet --strategy ranker --test "$S/test.store" --covisit "$R/covisit" \
	--model "$R/ranker.model" --train "$S/train.store" --train "$S/test.store" -o "$T/ranker.csv"
"$O" recommend --quiet --strategy blend --test "$S/test.store" --covisit "$R/covisit" --index "$R/index.ann" \
	--weights "$R/fit/blend.weights" -o "$T/blend.csv"
"$O" recommend --quiet --strategy blend --test "$S/test.store" --covisit "$R/covisit" --index "$R/index.ann" \
	-o "$T/blend_builtin.csv"
expect_true "blend: the weights file changes the lists" sh -c "! cmp -s '$T/blend.csv' '$T/blend_builtin.csv'"
n=$(wc -l <"$T/test.jsonl")
head -n $((n / 2)) "$T/test.jsonl" >"$T/half1.jsonl"
tail -n +$((n / 2 + 1)) "$T/test.jsonl" >"$T/half2.jsonl"
for s in covisit seed blend ranker; do
	start_serve "$s" --model "$R" --strategy $s -q
	expect_ok "$s: every test session through serve" $CL recommend "$PORT" "$T/test.jsonl" 20 100 "$T/got_$s.csv"
	expect_same "$s: serve's lists are recommend's" "$T/$s.csv" "$T/got_$s.csv"
	# two clients at once (both workers busy: shared models, the ranker too)
	$CL recommend "$PORT" "$T/half1.jsonl" 20 50 "$T/h1.csv" 2>"$T/h1.err" &
	c1=$!
	$CL recommend "$PORT" "$T/half2.jsonl" 20 50 "$T/h2.csv" 2>"$T/h2.err"
	wait $c1
	tail -n +2 "$T/h2.csv" | cat "$T/h1.csv" - >"$T/both.csv"
	expect_same "$s: the same lists with two clients at once" "$T/$s.csv" "$T/both.csv"
	stop_serve "$s"
done

# blend: OUTDIR's index and weights named at start; --weights another file
start_serve "blend" --model "$R" --strategy blend -q
expect_true "blend: the start line names the index and the weights" \
	grep -q "^ottorec serve: blend on .*(model version 1, index $R/index.ann, weights $R/fit/blend.weights)$" "$T/serve.err"
stop_serve "blend"
printf 'ottorec-blend-weights 1\nclicks recent 1\ncarts hist 1\norders bought 1\norders pop_buys 0.5\n' >"$T/w2"
"$O" recommend --quiet --strategy blend --test "$S/test.store" --covisit "$R/covisit" --index "$R/index.ann" \
	--weights "$T/w2" -o "$T/blend_w2.csv"
start_serve "blend --weights" --model "$R" --strategy blend --weights "$T/w2" -q
expect_ok "blend --weights: every test session" $CL recommend "$PORT" "$T/test.jsonl" 20 100 "$T/got_w2.csv"
expect_same "blend --weights: recommend --weights's lists" "$T/blend_w2.csv" "$T/got_w2.csv"
stop_serve "blend --weights"

# --- the ranker's item statistics from OUTDIR/ranker.stats (not built) ---
"$O" stats --quiet --train "$S/train.store" --train "$S/test.store" -o "$R/ranker.stats" >/dev/null 2>&1
start_serve "ranker, OUTDIR/ranker.stats" --model "$R" --strategy ranker -q
expect_ok "ranker with ranker.stats: every test session" $CL recommend "$PORT" "$T/test.jsonl" 20 100 "$T/got_rs.csv"
expect_same "ranker with ranker.stats: recommend's lists" "$T/ranker.csv" "$T/got_rs.csv"
stop_serve "ranker, OUTDIR/ranker.stats"
expect_fail "serve refuses --stats of other stores than --train" "$R/ranker.stats: item statistics of 2 stores" \
	"$O" serve --model "$R" --strategy ranker --stats "$R/ranker.stats" --train "$S/train.store" --listen 127.0.0.1:0 -q
rm -f "$R/ranker.stats"

# --period: recommend's covisit fill-ups from another store, as serve's
head -200 "$T/test.jsonl" >"$T/few.jsonl"
"$O" convert --quiet -o "$T/few.store" "$T/few.jsonl" >/dev/null 2>&1
expect_ok "recommend covisit --period" "$O" recommend --quiet --strategy covisit --test "$T/few.store" \
	--period "$S/train.store" --covisit "$R/covisit" -k 7 -o "$T/few_period.csv"
"$O" recommend --quiet --strategy covisit --test "$T/few.store" --covisit "$R/covisit" -k 7 -o "$T/few_self.csv"
expect_true "--period changes the fill-ups" sh -c "! cmp -s '$T/few_period.csv' '$T/few_self.csv'"
BL="--covisit $R/covisit --index $R/index.ann --weights $R/fit/blend.weights"
expect_ok "recommend blend --period" "$O" recommend --quiet --strategy blend --test "$T/few.store" \
	--period "$S/train.store" $BL -k 7 -o "$T/few_blend_period.csv"
"$O" recommend --quiet --strategy blend --test "$T/few.store" $BL -k 7 -o "$T/few_blend_self.csv"
expect_true "blend: --period changes the lists" sh -c "! cmp -s '$T/few_blend_period.csv' '$T/few_blend_self.csv'"
start_serve "blend --period" --model "$R" --strategy blend --period "$S/train.store" -q
expect_ok "blend --period, ?k=7" $CL recommend "$PORT" "$T/few.jsonl" 7 13 "$T/got_few_blend.csv"
expect_same "serve blend --period is recommend blend --period" "$T/few_blend_period.csv" "$T/got_few_blend.csv"
stop_serve "blend --period"
start_serve "covisit --period" --model "$R" --period "$S/train.store"
expect_ok "?k=7" $CL recommend "$PORT" "$T/few.jsonl" 7 13 "$T/got_few.csv"
expect_same "serve --period is recommend --period" "$T/few_period.csv" "$T/got_few.csv"
expect_true "one access-log line per request" grep -q '^ottorec serve: POST /recommend 200 .* 13 sessions$' "$T/serve.err"

# --- bad requests ---------------------------------------------------------
# bad NAME STATUS PATTERN PATH [BODY-TEXT]
bad() {
	name=$1; want=$2; pattern=$3; path=$4
	if [ $# -gt 4 ]; then printf '%s' "$5" >"$T/body"; $CL post "$PORT" "$path" "$T/body" >"$T/ans"
	else $CL post "$PORT" "$path" >"$T/ans"; fi
	if grep -q "^$want	{\"error\":\".*$pattern" "$T/ans"; then pass "$name"
	else fail "$name" "wanted $want /$pattern/, got: $(head -c 400 "$T/ans")"; fi
}
EV='{"aid":1,"ts":1661200010000,"type":"clicks"}'
bad "malformed JSON" 400 "request:1:24: expected '{' starting an event" /recommend '{"session":4,"events":[}'
bad "unknown type" 400 'type must be' /recommend '{"session":4,"events":[{"aid":1,"ts":5,"type":"views"}]}'
bad "events out of order" 400 'session 4: event 2: ts 5 is earlier' /recommend \
	'{"session":4,"events":[{"aid":1,"ts":9,"type":"clicks"},{"aid":2,"ts":5,"type":"clicks"}]}'
bad "no events" 400 'has no events' /recommend '{"session":4,"events":[]}'
bad "empty body" 400 'no session line' /recommend ''
bad "the second line named" 400 'request:2:1: ' /recommend "{\"session\":4,\"events\":[$EV]}
nonsense"
bad "k out of range" 400 'k must be an integer in 1..100' '/recommend?k=0' "{\"session\":4,\"events\":[$EV]}"
bad "unknown path" 404 'no such path: /nope' /nope
bad "GET /recommend" 405 'method not allowed' /recommend
bad "POST /health" 405 'method not allowed' /health ''
expect_true "a cold aid is fine (no rows, popular fill-ups)" sh -c \
	"printf '%s' '{\"session\":4,\"events\":[{\"aid\":2000000000,\"ts\":5,\"type\":\"clicks\"}]}' >'$T/cold' &&
	 $CL post $PORT /recommend '$T/cold' | grep -q '^200	{\"session\":4,\"clicks\":\[2000000000,[0-9]'"
stop_serve "defaults"

start_serve "small limits" --model "$R" -q --max-body 2000 --max-events 5 --max-sessions 2 --timeout 1
E6="{\"session\":4,\"events\":[$EV,$EV,$EV,$EV,$EV,$EV]}"
bad "too many events" 400 'session 4 has 6 events, more than 5 (--max-events)' /recommend "$E6"
L="{\"session\":4,\"events\":[$EV]}"
bad "too many sessions" 400 'request:3: more than 2 sessions in one request (--max-sessions)' /recommend "$L
$L
$L"
python3 -c 'print("x" * 5000, end="")' >"$T/big"
expect_true "a body over --max-body: 413" sh -c "$CL post $PORT /recommend '$T/big' | grep -q '^413	{\"error\":\"request body of 5000 bytes is over 2000 (--max-body)'"
printf 'POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Le' >"$T/half"
expect_ok "a half-sent request is cut off (--timeout 1)" $CL raw "$PORT" "$T/half"
expect_true "and gets nothing" test ! -s "$T/stdout"
bad "still answering after all that" 400 'more than 5' /recommend "$E6"
expect_true "/health" sh -c "$CL post $PORT /health | grep -q '^200	{\"status\":\"ok\",\"strategy\":\"covisit\",\"model_version\":1}'"
$CL post "$PORT" /metrics >"$T/metrics"
expect_true "/metrics counts the 400s" grep -q '^ottorec_requests_total{code="400"} 3$' "$T/metrics"
expect_true "/metrics counts the 413" grep -q '^ottorec_requests_total{code="413"} 1$' "$T/metrics"
expect_true "/metrics has the latency histogram" grep -q '^ottorec_request_seconds_bucket{le="+Inf"} [0-9]' "$T/metrics"
expect_true "/metrics has the model version" grep -q '^ottorec_model_version{strategy="covisit"} 1$' "$T/metrics"
stop_serve "small limits"

# --- reload ---------------------------------------------------------------
R2="$T/run2"
mkdir -p "$R2"
cp -r "$R/covisit" "$R2/"
cp "$S/test.store" "$R2/"
start_serve "reload" --model "$R2"
expect_true "POST /reload: version 2" sh -c "$CL post $PORT /reload '$T/body' | grep -q '^200	{\"reloaded\":true,\"model_version\":2}'"
cp "$R2/covisit/clicks.covisit" "$T/good.covisit"
head -c 5000 "$T/good.covisit" >"$T/bad.covisit"
mv "$T/bad.covisit" "$R2/covisit/clicks.covisit"
expect_true "a damaged model is refused (500, naming it)" sh -c \
	"$CL post $PORT /reload '$T/body' | grep -q '^500	{\"error\":\"reload refused, the old models are kept: .*clicks.covisit'"
$CL recommend "$PORT" "$T/few.jsonl" 20 50 "$T/after.csv" 2>/dev/null
"$O" recommend --quiet --strategy covisit --test "$T/few.store" --period "$S/test.store" --covisit "$R/covisit" -o "$T/few20.csv"
expect_same "the old models still answer" "$T/few20.csv" "$T/after.csv"
kill -HUP $PID
i=0
while ! grep -q 'reload refused' "$T/serve.err" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
expect_true "SIGHUP with the damaged model: refused" grep -q 'ottorec serve: reload refused, the old models are kept' "$T/serve.err"
mv "$T/good.covisit" "$R2/covisit/clicks.covisit"
kill -HUP $PID
i=0
while ! grep -q 'reloaded' "$T/serve.err" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
expect_true "SIGHUP with the model back: version 3" sh -c "$CL post $PORT /health | grep -q '\"model_version\":3}'"
stop_serve "reload"

# --- usage errors ---------------------------------------------------------
expect_fail "--model is required" "give the run's output directory with --model" "$O" serve
expect_fail "an unknown strategy" "strategy must be covisit, seed, blend or ranker, not 'best'" \
	"$O" serve --model "$R" --strategy best
expect_fail "--weights is blend's" "weights is for --strategy blend" "$O" serve --model "$R" --weights "$T/w2"
expect_fail "a missing --weights file is named" "$T/nothere.weights" \
	"$O" serve --model "$R" --strategy blend --weights "$T/nothere.weights" --listen 127.0.0.1:0 -q
printf 'ottorec-blend-weights 1\nclicks nonsense 1\n' >"$T/w_bad"
expect_fail "a bad weights file is named by line" "$T/w_bad:2: unknown feature 'nonsense'" \
	"$O" serve --model "$R" --strategy blend --weights "$T/w_bad" --listen 127.0.0.1:0 -q
expect_fail "a bad --listen" "listen must be IPV4:PORT" "$O" serve --model "$R" --listen localhost
expect_fail "no test period" "no .*/test.store: give the test period with --period" "$O" serve --model "$R/covisit"
expect_fail "a missing model is named" "ranker.model" "$O" serve --model "$R2" --strategy ranker --train "$S/train.store"

# --- requests in flight: a reload and a SIGTERM wait for them -------------
# in_flight N: wait (bounded) until /metrics counts N requests in flight
# besides its own
in_flight() {
	i=0
	while [ $i -lt 300 ]; do
		$CL post "$PORT" /metrics | grep -q "^ottorec_requests_in_flight $(($1 + 1))\$" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
R3="$T/run3"
mkdir -p "$R3"
cp -r "$R/covisit" "$R3/"
cp "$S/test.store" "$R3/"
"$O" recommend --quiet --strategy covisit --test "$T/few.store" --period "$S/test.store" --covisit "$F/cv" -o "$T/few_fit.csv"
expect_true "the split's matrices give other lists (so the swap shows)" sh -c "! cmp -s '$T/few20.csv' '$T/few_fit.csv'"
start_serve "in flight" --model "$R3"
rm -f "$T/go"
$CL slow "$PORT" "$T/few.jsonl" "$T/go" >"$T/slow.out" &
CPID=$!
expect_true "a request held in flight" in_flight 1
rm -rf "$R3/covisit.new"
cp -r "$F/cv" "$R3/covisit.new"
rm -rf "$R3/covisit.old"
mv "$R3/covisit" "$R3/covisit.old" && mv "$R3/covisit.new" "$R3/covisit"
expect_true "reload while it is in flight" sh -c "$CL post $PORT /reload '$T/body' | grep -q '\"model_version\":2}'"
$CL recommend "$PORT" "$T/few.jsonl" 20 50 "$T/new.csv" 2>/dev/null
expect_same "a new request gets the new models" "$T/few_fit.csv" "$T/new.csv"
touch "$T/go"
wait $CPID
$CL tocsv "$T/slow.out" "$T/old.csv"
expect_same "the request in flight finished on the old models" "$T/few20.csv" "$T/old.csv"
rm -f "$T/go"
$CL slow "$PORT" "$T/few.jsonl" "$T/go" >"$T/slow.out" &
CPID=$!
expect_true "another request held in flight" in_flight 1
kill -TERM $PID
i=0
while ! grep -q 'finishing 1 request(s) in flight' "$T/serve.err" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
expect_true "SIGTERM waits for it" grep -q 'SIGTERM: finishing 1 request(s) in flight' "$T/serve.err"
touch "$T/go"
wait $CPID
expect_true "which is answered" grep -q '^200	{"session":' "$T/slow.out"
wait $PID
rc=$?
PID=""
expect_true "then the server exits 0" test $rc -eq 0
