# tests/cli/test_parquet.sh - `ottorec convert` and `evaluate` on Parquet:
# every fixture of tests/data/parquet/ (written by nodejs-polars and
# hyparquet-writer, see make_fixtures.mjs) gives the same store as converting
# the writer's CSV export; truncated and corrupt files give errors, not
# crashes; labels Parquet is read where labels JSONL is.
. "$TESTS_DIR/cli/lib.sh"
P="$DATA/parquet"

conv() { "$OTTOREC" convert --quiet -o "$@"; }

for c in sample medium hy_medium pl_timestamp_ms; do
	expect_ok "convert $c.csv" conv "$T/csv-$c.store" "$P/$c.csv"
done
for f in pl_default pl_uncompressed pl_snappy pl_zstd pl_gzip; do
	expect_ok "convert $f.parquet" conv "$T/$f.store" "$P/$f.parquet"
	expect_same "$f.parquet equals its CSV export" "$T/$f.store" "$T/csv-sample.store"
done
for f in pl_rowgroups hy_default hy_plain hy_delta; do
	expect_ok "convert $f.parquet" conv "$T/$f.store" "$P/$f.parquet"
	expect_same "$f.parquet equals its CSV export" "$T/$f.store" "$T/csv-medium.store"
done
expect_same "polars reads hyparquet's file as written" "$T/csv-hy_medium.store" "$T/csv-medium.store"
expect_ok "convert pl_timestamp_ms.parquet" conv "$T/tsms.store" "$P/pl_timestamp_ms.parquet"
expect_same "TIMESTAMP(ms) column equals its CSV export" "$T/tsms.store" "$T/csv-pl_timestamp_ms.store"

# the default output name, --json, and a Parquet file among other inputs
cp "$P/pl_zstd.parquet" "$T/train.parquet"
expect_ok "convert --json" "$OTTOREC" convert --json -o "$T/j.store" "$T/train.parquet"
expect_true "json counts" grep -q '"sessions":20,"events":862' "$T/stdout"
head -n 1 "$P/medium.csv" > "$T/m.csv"
expect_ok "Parquet and CSV inputs together" conv "$T/two.store" "$P/pl_zstd.parquet" "$P/medium.csv"
expect_fail "a session in two inputs" 'session 0: .*' conv "$T/dup.store" "$P/pl_zstd.parquet" "$P/sample.csv"

# faults: a clear message naming the file, no crash, no output left
expect_fail "null aid" 'pl_null_aid\.parquet: row 2 \(row group 0\): column aid is null' \
	conv "$T/bad.store" "$P/pl_null_aid.parquet"
expect_ok "convert hy_ts_us.parquet (TIMESTAMP micros)" conv "$T/tsus.store" "$P/hy_ts_us.parquet"
expect_same "TIMESTAMP(us) column equals the ms CSV export" "$T/tsus.store" "$T/csv-pl_timestamp_ms.store"
expect_fail "rows out of time order" 'pl_unordered\.parquet: row 3 \(row group 0\): ts 1661119250 is earlier than the previous row of session 1' \
	conv "$T/bad.store" "$P/pl_unordered.parquet"
expect_fail "labels file is not events" 'pl_labels\.parquet: no column "aid"' conv "$T/bad.store" "$P/pl_labels.parquet"
expect_fail "stdin" 'unsupported: Parquet from standard input' sh -c "'$OTTOREC' convert --quiet -o '$T/bad.store' - < '$P/pl_zstd.parquet'"
gzip -c "$P/pl_zstd.parquet" > "$T/z.parquet.gz"
expect_fail "gzip-wrapped" 'unsupported: gzip-compressed Parquet' conv "$T/bad.store" "$T/z.parquet.gz"
size=$(wc -c < "$P/hy_delta.parquet")
for cut in 4 11 100 1000 20000 $((size - 9)) $((size - 1)); do
	head -c "$cut" "$P/hy_delta.parquet" > "$T/cut.parquet"
	expect_fail "truncated at $cut bytes" 'cut\.parquet: .*(byte|truncated|magic)' conv "$T/bad.store" "$T/cut.parquet"
done
# the footer intact but the data pages cut out from the middle
{ head -c 1000 "$P/hy_delta.parquet"; head -c $((size - 2000)) /dev/zero; tail -c 1000 "$P/hy_delta.parquet"; } > "$T/hole.parquet"
expect_fail "zeroed pages" 'hole\.parquet: (row group|byte)' conv "$T/bad.store" "$T/hole.parquet"
# random byte damage: errors or (harmless bytes) success, never a crash
python3 - "$P/pl_zstd.parquet" "$T" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
rng = random.Random(3)
for i in range(20):
    b = bytearray(data)
    for _ in range(3):
        b[rng.randrange(len(b))] = rng.randrange(256)
    open("%s/rnd%d.parquet" % (sys.argv[2], i), "wb").write(b)
PY
crashes=0
for i in $(seq 0 19); do
	"$OTTOREC" convert --quiet -o "$T/rnd.store" "$T/rnd$i.parquet" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -ge 128 ] || grep -q -E 'Sanitizer|runtime error' "$T/err"; then crashes=$((crashes + 1)); fi
	if [ $rc -ne 0 ] && ! grep -q "rnd$i\.parquet" "$T/err"; then crashes=$((crashes + 1)); fi
done
expect_true "20 damaged files: errors name the file, no crash" test "$crashes" -eq 0
ls "$T"/bad.store* >/dev/null 2>&1 && fail "no output left by failures" || pass "no output left by failures"

# labels Parquet where labels JSONL goes: evaluate with a submission that
# predicts the labels exactly scores 1 on every type, the same with either
python3 - "$P/pl_labels.ndjson" > "$T/labels.jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = rows.setdefault(r["session"], {})
    g = r["ground_truth"]
    if r["type"] == "clicks":
        if g: d["clicks"] = g[0]
    else:
        seen = []
        for a in g:
            if a not in seen: seen.append(a)
        if seen: d[r["type"]] = seen
for s, d in rows.items():
    print(json.dumps({"session": s, "labels": d}, separators=(",", ":")))
PY
python3 - "$T/labels.jsonl" > "$T/sub.csv" <<'PY'
import json, sys
print("session_type,labels")
for line in open(sys.argv[1]):
    r = json.loads(line)
    for t in ("clicks", "carts", "orders"):
        v = r["labels"].get(t)
        v = [v] if isinstance(v, int) else (v or [0])
        print("%d_%s,%s" % (r["session"], t, " ".join(map(str, v))))
PY
ev() { "$OTTOREC" evaluate --quiet --json --labels "$@"; }
expect_ok "evaluate with labels JSONL" ev "$T/labels.jsonl" "$T/sub.csv"
sed 's/"[a-z_]*\(seconds\|bytes\)":[0-9.e+-]*//g' "$T/stdout" > "$T/eval-jsonl.txt"
expect_true "exact submission scores 1" grep -q '"clicks":1,"carts":1,"orders":1,' "$T/eval-jsonl.txt"
for f in pl_labels hy_labels; do
	expect_ok "evaluate with $f.parquet" ev "$P/$f.parquet" "$T/sub.csv"
	sed 's/"[a-z_]*\(seconds\|bytes\)":[0-9.e+-]*//g' "$T/stdout" > "$T/eval-pq.txt"
	expect_same "$f.parquet scores as its JSONL" "$T/eval-pq.txt" "$T/eval-jsonl.txt"
done
rm -rf "$T"
