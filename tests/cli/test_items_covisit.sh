# tests/cli/test_items_covisit.sh - co-visitation and its recommenders on
# item ids of any size: a small synthetic set is exported, its aids mapped
# by two order-preserving maps (sparse: 100000000 + 61 x aid; high: shifted
# so that the largest aid is 2147483647), converted back, split, counted
# and recommended from; every submission (covisit, blend, and covisit for
# the synthetic test week, which has cold aids: none in the tables) and the
# split's labels equal the original run's once the aids are mapped back, and the
# table files are sized by the distinct aids (the same bytes long as the
# original's, and as long as the format says for n_items rows).  Then tables
# of different dictionaries, a damaged dictionary and tables of formats 1
# and 2 (before the dictionary) are refused.
. "$TESTS_DIR/cli/lib.sh"

"$OTTOREC" synth --quiet --scale 0.0005 --seed 5 -o "$T/d" >/dev/null 2>&1
"$OTTOREC" export --quiet -o "$T/all.jsonl" "$T/d/train.store"
"$OTTOREC" export --quiet -o "$T/week.jsonl" "$T/d/test.store"

# map.py MODE IN OUT: MODE sparse|high maps the aids of a JSONL file;
# back-sparse|back-high maps a submission CSV or labels JSONL back
cat >"$T/map.py" <<'PY'
import re, sys
mode, src, dst = sys.argv[1:4]
HIGH = 2147483647 - int(open(sys.argv[4]).read()) if len(sys.argv) > 4 else 0
fwd = {"sparse": lambda a: 100000000 + 61 * a, "high": lambda a: a + HIGH}
def inv(kind):
    def f(a):
        if kind == "sparse":
            assert (a - 100000000) % 61 == 0, a
            return (a - 100000000) // 61
        return a - HIGH
    return f
out = open(dst, "w")
if mode in fwd:
    f = fwd[mode]
    for line in open(src):
        out.write(re.sub(r'"aid":(\d+)', lambda m: '"aid":%d' % f(int(m.group(1))), line))
elif src.endswith(".csv"):
    f = inv(mode[5:])
    lines = open(src).read().split("\n")
    out.write(lines[0] + "\n")
    for line in lines[1:]:
        if line:
            key, labels = line.split(",")
            out.write(key + "," + " ".join(str(f(int(a))) for a in labels.split()) + "\n")
else:
    f = inv(mode[5:])
    for line in open(src):
        out.write(re.sub(r'("clicks":|\[|, ?)(\d+)', lambda m: m.group(1) + str(f(int(m.group(2)))), line))
PY
python3 -c '
import json, sys
print(max(e["aid"] for l in open(sys.argv[1]) for e in json.loads(l)["events"]))' "$T/all.jsonl" >"$T/max.txt"

# the original run
mkdir -p "$T/o" "$T/sparse" "$T/high"
"$OTTOREC" split --quiet -o "$T/o/sp" "$T/d/train.store"
expect_ok "covisit on the original aids" "$OTTOREC" covisit --json --threads 2 -o "$T/o/cv" "$T/o/sp/train.store" "$T/o/sp/test.store"
cp "$T/stdout" "$T/o/cv.json"
for s in covisit blend; do
	"$OTTOREC" recommend --quiet --strategy $s --test "$T/o/sp/test.store" --covisit "$T/o/cv" -o "$T/o/$s.csv" 2>/dev/null
done
# the synthetic test week with tables of the split's test sessions only: it
# has cold aids (not in the tables' dictionary), which have no rows but
# count in the history
"$OTTOREC" covisit --quiet -o "$T/o/cvt" "$T/o/sp/test.store"
"$OTTOREC" recommend --quiet --strategy covisit --test "$T/d/test.store" --covisit "$T/o/cvt" -o "$T/o/week.csv"
"$OTTOREC" export --quiet -o "$T/o/sp_test.jsonl" "$T/o/sp/test.store"
aids='
import json, sys
def aids(p): return {e["aid"] for l in open(p) for e in json.loads(l)["events"]}
'
distinct=$(python3 -c "$aids
print(len(aids(sys.argv[1])))" "$T/all.jsonl")
cold=$(python3 -c "$aids
print(len(aids(sys.argv[1]) - aids(sys.argv[2])))" "$T/week.jsonl" "$T/o/sp_test.jsonl")

# sizes_ok JSON DIR: each table file is as long as format 3 says for the
# number of rows and entries (4096-byte header, 4096-aligned sections:
# offsets 8 (n + 1), neighbours 4 e, weights 8 e, dictionary 4 n; the file
# ends where the last section ends)
cat >"$T/sizes.py" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
n = j["items"]
al = lambda b: (b + 4095) // 4096 * 4096
for k in ("clicks", "carts_orders", "buy2buy"):
    e = j[k]["entries"]
    want = 4096 + al(8 * (n + 1)) + al(4 * e) + al(8 * e) + 4 * n
    got = os.path.getsize(os.path.join(sys.argv[2], k + ".covisit"))
    if got != want:
        sys.exit("%s: %d bytes, expected %d for %d items and %d entries" % (k, got, want, n, e))
PY
expect_true "original tables are sized by their items" python3 "$T/sizes.py" "$T/o/cv.json" "$T/o/cv"

for m in sparse high; do
	python3 "$T/map.py" $m "$T/all.jsonl" "$T/$m.jsonl" "$T/max.txt"
	python3 "$T/map.py" $m "$T/week.jsonl" "$T/${m}_week.jsonl" "$T/max.txt"
	"$OTTOREC" convert --quiet -o "$T/$m.store" "$T/$m.jsonl"
	"$OTTOREC" convert --quiet -o "$T/${m}_week.store" "$T/${m}_week.jsonl"
	expect_ok "$m: split of the mapped store" "$OTTOREC" split --quiet -o "$T/$m/sp" "$T/$m.store"
	python3 "$T/map.py" back-$m "$T/$m/sp/test_labels.jsonl" "$T/$m/labels_back.jsonl" "$T/max.txt"
	expect_same "$m: the split's labels map back to the original's" "$T/o/sp/test_labels.jsonl" "$T/$m/labels_back.jsonl"
	expect_ok "$m: covisit" "$OTTOREC" covisit --json --threads 2 -o "$T/$m/cv" "$T/$m/sp/train.store" "$T/$m/sp/test.store"
	cp "$T/stdout" "$T/$m/cv.json"
	expect_true "$m: as many items as the original" grep -q "\"items\":$(grep -o '"items":[0-9]*' "$T/o/cv.json" | cut -d: -f2)," "$T/$m/cv.json"
	expect_true "$m: the tables are sized by their items" python3 "$T/sizes.py" "$T/$m/cv.json" "$T/$m/cv"
	for k in clicks carts_orders buy2buy; do
		expect_true "$m: $k.covisit is as long as the original's" \
			test "$(stat -c %s "$T/$m/cv/$k.covisit")" -eq "$(stat -c %s "$T/o/cv/$k.covisit")"
	done
	for s in covisit blend; do
		expect_ok "$m: recommend --strategy $s" "$OTTOREC" recommend --quiet --strategy $s \
			--test "$T/$m/sp/test.store" --covisit "$T/$m/cv" -o "$T/$m/$s.csv"
		python3 "$T/map.py" back-$m "$T/$m/$s.csv" "$T/$m/${s}_back.csv" "$T/max.txt"
		expect_same "$m: the $s submission maps back to the original's" "$T/o/$s.csv" "$T/$m/${s}_back.csv"
	done
	"$OTTOREC" covisit --quiet -o "$T/$m/cvt" "$T/$m/sp/test.store"
	expect_ok "$m: recommend for the week with cold aids" "$OTTOREC" recommend --quiet --strategy covisit \
		--test "$T/${m}_week.store" --covisit "$T/$m/cvt" -o "$T/$m/week.csv"
	python3 "$T/map.py" back-$m "$T/$m/week.csv" "$T/$m/week_back.csv" "$T/max.txt"
	expect_same "$m: that submission maps back to the original's" "$T/o/week.csv" "$T/$m/week_back.csv"
done
expect_true "the week has cold aids ($cold)" test "$cold" -gt 0
expect_true "the data has many distinct aids ($distinct)" test "$distinct" -gt 500
expect_true "the high map reaches 2147483647" grep -q '"aid":2147483647[,}]' "$T/high.jsonl"

# tables of different dictionaries, a damaged dictionary, an old format
mkdir -p "$T/mix"
cp "$T/o/cv/"*.covisit "$T/mix/"
cp "$T/sparse/cv/carts_orders.covisit" "$T/mix/"
expect_fail "recommend refuses tables of different dictionaries" \
	'carts_orders.covisit: its item dictionary differs from that of the tables' \
	"$OTTOREC" recommend --quiet --test "$T/o/sp/test.store" --covisit "$T/mix" -o "$T/x.csv"
expect_fail "tune refuses them too" 'item dictionary differs' \
	"$OTTOREC" tune --quiet --test "$T/o/sp/test.store" --labels "$T/o/sp/test_labels.jsonl" --covisit "$T/mix"
cp "$T/o/cv/carts_orders.covisit" "$T/mix/"
# the dictionary is section 3: its offset is at header byte 160 + 3 x 32
# (lib/base/or_sfile.h's section table)
dict_at=$(python3 -c '
import struct, sys
print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(), 256)[0])' "$T/mix/buy2buy.covisit")
printf '\377\377' | dd of="$T/mix/buy2buy.covisit" bs=1 seek=$((dict_at + 402)) conv=notrunc 2>/dev/null
expect_fail "recommend refuses a damaged dictionary, naming the file and section" \
	'buy2buy.covisit: checksum mismatch in the item dictionary section' \
	"$OTTOREC" recommend --quiet --test "$T/o/sp/test.store" --covisit "$T/mix" -o "$T/x.csv"
cp "$T/o/cv/buy2buy.covisit" "$T/mix/"
for v in 1 2; do
	printf "\\00$v" | dd of="$T/mix/clicks.covisit" bs=1 seek=8 conv=notrunc 2>/dev/null
	expect_fail "a format-$v table is refused with how to rebuild it" \
		"clicks.covisit: co-visitation table format version $v, .*reads version 3.*rebuild it with \`ottorec covisit\`" \
		"$OTTOREC" recommend --quiet --test "$T/o/sp/test.store" --covisit "$T/mix" -o "$T/x.csv"
done
expect_true "no submission left after the failures" test ! -e "$T/x.csv"
rm -rf "$T"
