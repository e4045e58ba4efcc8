# tests/cli/test_export_info.sh - `ottorec export` and `ottorec info`: the
# JSONL round trip of the real OTTO sample (byte-identical), CSV round trips,
# the info table and its JSON (numbers checked against values numpy gives),
# usage errors, failures that leave no file.
. "$TESTS_DIR/cli/lib.sh"

# -h answers on stdout, exit 0
expect_ok "export -h" "$OTTOREC" export -h
expect_true "export -h shows usage" grep -q 'usage: ottorec export STORE' "$T/stdout"
expect_ok "info -h" "$OTTOREC" info -h
expect_true "info -h names the percentile method" grep -q 'linear interpolation' "$T/stdout"

# the sample as a store
expect_ok "convert sample" "$OTTOREC" convert --quiet -o "$T/s.store" "$SAMPLE"

# JSONL round trip: byte-identical to the publisher's file
expect_ok "export jsonl to stdout" sh -c "'$OTTOREC' export '$T/s.store' > '$T/s.jsonl'"
expect_same "sample JSONL round trip (stdout)" "$T/s.jsonl" "$SAMPLE"
expect_ok "export jsonl -o" "$OTTOREC" export --quiet -o "$T/o.jsonl" "$T/s.store"
expect_same "sample JSONL round trip (-o)" "$T/o.jsonl" "$SAMPLE"

# CSV: name picks the format; header; back through convert gives the same JSONL
expect_ok "export csv by name" "$OTTOREC" export --quiet "$T/s.store" -o "$T/s.csv"
expect_true "csv header" sh -c "head -1 '$T/s.csv' | grep -qx 'session,aid,ts,type'"
expect_true "csv first row" sh -c "sed -n 2p '$T/s.csv' | grep -qx '0,1517085,1659304800025,clicks'"
expect_true "csv has one row per event" sh -c "[ \$(wc -l < '$T/s.csv') -eq 863 ]"
expect_ok "convert csv back" "$OTTOREC" convert --quiet -o "$T/c.store" "$T/s.csv"
expect_ok "export csv store" sh -c "'$OTTOREC' export '$T/c.store' > '$T/c.jsonl'"
expect_same "sample CSV round trip" "$T/c.jsonl" "$SAMPLE"
expect_ok "export csv --type-digits" "$OTTOREC" export --quiet --format csv --type-digits -o "$T/d.txt" "$T/s.store"
expect_true "type digits" sh -c "sed -n 2p '$T/d.txt' | grep -qx '0,1517085,1659304800025,0'"
expect_ok "convert type-digit csv back" "$OTTOREC" convert --quiet --format csv -o "$T/d.store" "$T/d.txt"
expect_ok "export type-digit store" sh -c "'$OTTOREC' export '$T/d.store' > '$T/d.jsonl'"
expect_same "type-digit CSV round trip" "$T/d.jsonl" "$SAMPLE"
expect_ok "--format jsonl wins over the .csv name" "$OTTOREC" export --quiet --format jsonl -o "$T/j.csv" "$T/s.store"
expect_same "jsonl under a .csv name" "$T/j.csv" "$SAMPLE"

# --ts-seconds: the sample has milliseconds, so it is refused and nothing is left
expect_fail "ts-seconds refused on ms data" 'not a whole second' \
	"$OTTOREC" export --quiet --ts-seconds -o "$T/secs.csv" "$T/s.store"
expect_true "refused ts-seconds leaves no file" test ! -e "$T/secs.csv"
expect_true "refused ts-seconds leaves no temporary" sh -c "! ls '$T' | grep -q 'secs.csv.tmp'"
# whole seconds are fine
printf 'session,aid,ts,type\n1,5,1659304800,clicks\n1,6,1659304801,orders\n' > "$T/sec_in.csv"
expect_ok "convert csv in seconds" "$OTTOREC" convert --quiet -o "$T/sec.store" "$T/sec_in.csv"
expect_ok "export --ts-seconds" "$OTTOREC" export --quiet --ts-seconds -o "$T/sec_out.csv" "$T/sec.store"
expect_same "ts-seconds CSV round trip" "$T/sec_out.csv" "$T/sec_in.csv"

# failures: bad output path, full disk on stdout, missing store, usage
expect_fail "export to a missing directory" 'cannot create output' \
	"$OTTOREC" export --quiet -o "$T/no/such/dir/out.jsonl" "$T/s.store"
expect_true "bad path leaves nothing" test ! -e "$T/no"
if [ -w /dev/full ]; then
	expect_fail "export to a full disk (stdout)" 'cannot write' \
		sh -c "'$OTTOREC' export --quiet '$T/s.store' > /dev/full"
fi
expect_fail "export of a missing store" 'cannot open event store' \
	"$OTTOREC" export --quiet -o "$T/x.jsonl" "$T/missing.store"
expect_true "missing store leaves no output" test ! -e "$T/x.jsonl"
expect_fail "export of a non-store" 'not an ottorec event store' \
	"$OTTOREC" export --quiet -o "$T/x.jsonl" "$SAMPLE"
expect_fail "export --format xml" 'expected jsonl or csv' "$OTTOREC" export --format xml "$T/s.store"
expect_fail "export unknown option" 'unknown option' "$OTTOREC" export --bogus "$T/s.store"
expect_fail "export without a store" 'missing STORE' "$OTTOREC" export
expect_fail "export --ts-seconds with jsonl" 'csv only' "$OTTOREC" export --ts-seconds "$T/s.store"
expect_fail "export --json to stdout" 'needs -o' "$OTTOREC" export --json "$T/s.store"
cp "$T/s.store" "$T/keep.store"
expect_fail "export over its own store" 'is the input' "$OTTOREC" export -o "$T/keep.store" "$T/keep.store"
expect_same "store left as it was" "$T/keep.store" "$T/s.store"
expect_ok "export --json -o" "$OTTOREC" export --quiet --json -o "$T/js.jsonl" "$T/s.store"
expect_true "export --json parses" sh -c "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"events\"]==862 and d[\"bytes\"]==$(wc -c < "$SAMPLE"), d' < '$T/stdout'"

# info: the table
expect_ok "info" "$OTTOREC" info "$T/s.store"
expect_true "info sessions" grep -Eq '^sessions +20$' "$T/stdout"
expect_true "info items" grep -Eq '^items \(aids\) +510$' "$T/stdout"
expect_true "info events" grep -Eq '^events +862$' "$T/stdout"
expect_true "info clicks" grep -Eq '^  clicks +800 +92\.81%$' "$T/stdout"
expect_true "info first event" grep -q '2022-07-31T22:00:00.025Z' "$T/stdout"
expect_true "info session row" grep -Eq '^events per session +43\.10 +84\.31 +2 +4 +25\.25 +206\.20 +228\.50 +276$' "$T/stdout"
expect_true "info item row" grep -Eq '^events per item +1\.69 +2\.01 +1 +1 +2 +3 +4 +27$' "$T/stdout"
expect_ok "info --verify" "$OTTOREC" info --verify "$T/s.store"
expect_true "info --verify says so" grep -q '(verified)' "$T/stdout"

# info --json: one line; the numbers numpy/pandas give for this sample
expect_ok "info --json" "$OTTOREC" info --json --verify "$T/s.store"
expect_true "info --json is one line" sh -c "[ \$(wc -l < '$T/stdout') -eq 1 ]"
expect_true "info --json parses" sh -c "python3 -c 'import json,sys; json.load(sys.stdin)' < '$T/stdout'"
expect_true "info --json numbers" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s, i = d["events_per_session"], d["events_per_item"]
assert (d["sessions"], d["events"], d["items"]) == (20, 862, 510), d
assert (d["clicks"]["count"], d["carts"]["count"], d["orders"]["count"]) == (800, 52, 10), d
assert d["verified"] is True and d["ts_min"] == 1659304800025 and d["ts_max_utc"] == "2022-08-28T21:59:57.885Z", d
assert (s["mean"], s["std"], s["min"], s["p50"], s["p75"], s["p90"], s["p95"], s["max"]) == \
       (43.1, 84.31326298862756, 2, 4, 25.25, 206.20000000000005, 228.50000000000003, 276), s
assert (i["mean"], i["std"], i["min"], i["p50"], i["p75"], i["p90"], i["p95"], i["max"]) == \
       (1.6901960784313725, 2.008357283741975, 1, 1, 2, 3, 4, 27), i
# log-2 histograms (report plots them): every session and item once, up to
# the bucket of the largest (276 events: [256, 512), bucket 8; 27: bucket 4)
sh, ih = d["session_hist"], d["item_hist"]
assert (sum(sh), len(sh), sh[-1] > 0, sh[0]) == (20, 9, True, 0), sh
assert (sum(ih), len(ih), ih[-1] > 0) == (510, 5, True), ih
assert sum(c * 2 ** k for k, c in enumerate(ih)) <= 862 < sum(c * 2 ** (k + 1) for k, c in enumerate(ih)), ih
' "$T/stdout"

# info failures
expect_fail "info of a missing store" 'cannot open event store' "$OTTOREC" info "$T/missing.store"
expect_fail "info without a store" 'missing STORE' "$OTTOREC" info
expect_fail "info unknown option" 'unknown option' "$OTTOREC" info --bogus "$T/s.store"
# a damaged store: --verify reports it (flip one byte in the aid section)
cp "$T/s.store" "$T/bad.store"
python3 - "$T/bad.store" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
off = struct.unpack_from("<Q", b, 160 + 2 * 32)[0]  # section 2: aid (or_store.h)
b[off] ^= 0x01
open(p, "wb").write(b)
PY
expect_fail "info --verify on a damaged store" 'checksum mismatch' "$OTTOREC" info --verify "$T/bad.store"

rm -rf "$T"
