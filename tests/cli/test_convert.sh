# tests/cli/test_convert.sh - `ottorec convert`: the malformed-input table
# (tests/data/malformed/cases.tsv), formats, gzip, stdin, outputs.
. "$TESTS_DIR/cli/lib.sh"
M="$DATA/malformed"

# every malformed input: one clear error, non-zero exit, no crash, no output;
# a third column names another reader than convert ("weights": a blend
# weights file, read by recommend on a small synthetic test set)
while IFS='	' read -r file pattern reader; do
	case "$file" in '#'*|'') continue ;; esac
	case "$reader" in
	weights)
		if [ ! -d "$T/w/cv" ]; then
			"$OTTOREC" synth --quiet --scale 0.0001 --seed 3 -o "$T/w" >/dev/null 2>&1
			"$OTTOREC" covisit --quiet -o "$T/w/cv" "$T/w/train.store" "$T/w/test.store"
		fi
		(cd "$M" && expect_fail "malformed $file" "$pattern" "$OTTOREC" recommend --quiet --strategy blend \
			--test "$T/w/test.store" --covisit "$T/w/cv" --weights "$file" -o "$T/bad.store")
		;;
	*) (cd "$M" && expect_fail "malformed $file" "$pattern" "$OTTOREC" convert --quiet -o "$T/bad.store" "$file") ;;
	esac
	if ls "$T"/bad.store* >/dev/null 2>&1; then fail "no output left for $file"; rm -f "$T"/bad.store*; fi
done < "$M/cases.tsv"

# what those refuse is not all that is near it: RFC 4180 quotes (a comma
# inside a quoted extra column, quoted words), concatenated gzip members
printf 'session,aid,ts,type,"note,s"\n1,5,1659304800,"clicks","a,b"\n1,6,1659304801,carts,""\n' >"$T/q.csv"
printf 'session,aid,ts,type\n1,5,1659304800,clicks\n1,6,1659304801,carts\n' >"$T/plain.csv"
expect_ok "quoted fields (RFC 4180)" "$OTTOREC" convert --quiet -o "$T/q.store" "$T/q.csv"
expect_ok "the same rows unquoted" "$OTTOREC" convert --quiet -o "$T/plain.store" "$T/plain.csv"
expect_same "quoted fields read as unquoted" "$T/q.store" "$T/plain.store"
head -1 "$SAMPLE" | gzip -c >"$T/m.jsonl.gz"
tail -n +2 "$SAMPLE" | gzip -c >>"$T/m.jsonl.gz"
expect_ok "two gzip members" "$OTTOREC" convert --quiet -o "$T/m.store" "$T/m.jsonl.gz"

# a 10 MB line: one error naming the line, memory bounded
{
	echo '{"session":1,"events":[{"aid":1,"ts":1659304800000,"type":"clicks"}]}'
	printf '{"session":2,"events":['
	head -c 10485760 /dev/zero | tr '\0' ' '
	echo ']}'
} > "$T/long.jsonl"
expect_fail "10 MB line" 'long\.jsonl:2: line is longer than the limit of 1048576 bytes' \
	"$OTTOREC" convert --quiet -o "$T/long.store" "$T/long.jsonl"
expect_true "10 MB line leaves no output" test ! -e "$T/long.store"
expect_ok "10 MB line accepted with a higher limit, then fails on content" true
"$OTTOREC" convert --quiet --max-line-bytes 20000000 -o "$T/long.store" "$T/long.jsonl" 2>"$T/err" >/dev/null
expect_true "raised limit: blank events list reported as no events" grep -q 'long\.jsonl:2:1: session 2 has no events' "$T/err"

# a line that ends without newline at the end of the file is fine
printf '{"session":5,"events":[{"aid":1,"ts":1659304800000,"type":"clicks"}]}' > "$T/nonl.jsonl"
expect_ok "last line without newline" "$OTTOREC" convert --quiet -o "$T/nonl.store" "$T/nonl.jsonl"

# the real sample: counts
expect_ok "convert sample" "$OTTOREC" convert --json -o "$T/s.store" "$SAMPLE"
expect_true "sample counts" grep -q '"sessions":20,"events":862' "$T/stdout"

# gzip and stdin give the same store bytes as the plain file
gzip -c "$SAMPLE" > "$T/g.jsonl.gz"
expect_ok "convert gzip to the default output name" "$OTTOREC" convert --quiet "$T/g.jsonl.gz"
expect_same "gzip store (g.store) equals plain store" "$T/g.store" "$T/s.store"
expect_same "two gzip members read as one stream" "$T/m.store" "$T/s.store"
expect_ok "convert stdin" sh -c "'$OTTOREC' convert --quiet -o '$T/stdin.store' - < '$SAMPLE'"
expect_same "stdin store equals file store" "$T/stdin.store" "$T/s.store"

# reformatted JSON (spaces, other key order, extra keys, type digits) reads the same
python3 - "$SAMPLE" > "$T/pretty.jsonl" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    s = json.loads(line)
    evs = []
    for e in s["events"]:
        d = {"type": e["type"], "ts": e["ts"], "extra": {"x": [1, "y"]}, "aid": e["aid"]}
        if i % 2:
            d["type"] = ["clicks", "carts", "orders"].index(e["type"])
        evs.append(d)
    print(json.dumps({"meta": None, "events": evs, "session": s["session"]}, indent=None))
PY
expect_ok "convert reformatted JSON" "$OTTOREC" convert --quiet -o "$T/pretty.store" "$T/pretty.jsonl"
expect_same "reformatted JSON gives the same store" "$T/pretty.store" "$T/s.store"

# CSV in seconds, ms, with and without header, other column order, CRLF
python3 - "$SAMPLE" "$T" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    s = json.loads(line)
    for e in s["events"]:
        rows.append((s["session"], e["aid"], e["ts"], e["type"]))
t = sys.argv[2]
with open(t + "/ms.csv", "w") as f:
    f.write("session,aid,ts,type\n")
    for r in rows: f.write("%d,%d,%d,%s\n" % r)
with open(t + "/noheader.csv", "w") as f:
    for r in rows: f.write("%d,%d,%d,%d\n" % (r[0], r[1], r[2], ["clicks","carts","orders"].index(r[3])))
with open(t + "/reordered.csv", "w", newline="") as f:
    f.write("type,ts,extra,aid,session\r\n")
    for r in rows: f.write('"%s",%d,zz,%d,%d\r\n' % (r[3], r[2], r[1], r[0]))
secs = [r for r in rows if r[2] % 1000 == 0]
with open(t + "/s.csv", "w") as f:
    f.write("session,aid,ts,type\n")
    for r in rows: f.write("%d,%d,%d,%s\n" % (r[0], r[1], r[2] // 1000, r[3]))
PY
for f in ms noheader reordered; do
	expect_ok "convert $f.csv" "$OTTOREC" convert --quiet -o "$T/$f.store" "$T/$f.csv"
	expect_same "$f.csv gives the same store" "$T/$f.store" "$T/s.store"
done
expect_ok "convert seconds CSV" "$OTTOREC" convert --json -o "$T/secs.store" "$T/s.csv"
expect_true "seconds CSV read as seconds" grep -q '"events":862' "$T/stdout"
expect_ok "forced --ts-unit ms on seconds CSV" "$OTTOREC" convert --quiet --ts-unit ms -o "$T/secs_ms.store" "$T/s.csv"

# several inputs into one store; a session repeated across files is an error
head -n 10 "$SAMPLE" > "$T/a.jsonl"; tail -n 10 "$SAMPLE" > "$T/b.jsonl"
expect_ok "two inputs" "$OTTOREC" convert --quiet -o "$T/ab.store" "$T/a.jsonl" "$T/b.jsonl"
expect_same "two inputs give the same store" "$T/ab.store" "$T/s.store"
expect_fail "session repeated across inputs" 'a\.jsonl:1: session 0: session id 0 appears a second time' \
	"$OTTOREC" convert --quiet -o "$T/aa.store" "$T/a.jsonl" "$T/a.jsonl"

# Parquet input gets the default output name without its extension
cp "$DATA/parquet/hy_default.parquet" "$T/p.parquet"
"$OTTOREC" convert --quiet "$T/p.parquet" 2>/dev/null
expect_true "default output name for .parquet is .store" test -f "$T/p.store"

# usage errors
expect_fail "no input" 'no INPUT given' "$OTTOREC" convert
expect_fail "missing file" 'cannot open .*nope\.jsonl: No such file' "$OTTOREC" convert -o "$T/x.store" "$T/nope.jsonl"
expect_fail "bad option value" '--format must be jsonl, csv, parquet or auto' "$OTTOREC" convert --format xml "$SAMPLE"
expect_fail "unwritable output" 'cannot create output' "$OTTOREC" convert --quiet -o /nonexistent-dir/x.store "$SAMPLE"
expect_ok "convert -h" "$OTTOREC" convert -h
expect_true "usage mentions time order rule" grep -q 'time order' "$T/stdout"
rm -rf "$T"
