# tests/cli/test_seed.sh - `ottorec recommend --strategy seed` cross-checked
# against the stdlib-only Python port of the rule (tests/ref/seed_ref.py),
# which finds its neighbours itself by exact search: on a small synthetic
# data set and its local split, with small-integer embeddings (exact
# distances, many ties, some aids without a row) indexed exhaustively
# (--nprobe = --nlist, so the index answers what exact search answers), the
# submissions byte for byte for the split's test sessions and its train
# sessions (many long ones); the same bytes for 1 or 2 threads; the whole
# chain pairs -> train -> index -> recommend -> evaluate on real embeddings;
# errors.
. "$TESTS_DIR/cli/lib.sh"
REF="$TESTS_DIR/ref/seed_ref.py"

"$OTTOREC" synth --quiet --scale 0.0005 --seed 11 -o "$T/d" >/dev/null 2>&1
"$OTTOREC" split --quiet -o "$T/sp" "$T/d/train.store"
"$OTTOREC" export --quiet -o "$T/train.jsonl" "$T/sp/train.store"
"$OTTOREC" export --quiet -o "$T/test.jsonl" "$T/sp/test.store"

# integer embeddings in -2..2, 4 wide, for all aids but the top 40
python3 - "$T/train.jsonl" "$T/test.jsonl" "$T/int.npy" <<'EOF'
import json, struct, sys
bound = 1 + max(e["aid"] for p in sys.argv[1:3] for l in open(p) for e in json.loads(l)["events"])
rows, d, x = max(1, bound - 40), 4, 12345
vals = []
for _ in range(rows * d):
    x = (x * 1103515245 + 12345) % 2147483648
    vals.append(float((x >> 16) % 5 - 2))
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, d)
h += " " * (63 - (10 + len(h)) % 64) + "\n"
with open(sys.argv[3], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode())
    f.write(struct.pack("<%df" % len(vals), *vals))
EOF
expect_ok "exhaustive index of integer embeddings" "$OTTOREC" index build --quiet --nlist 8 --nprobe 8 -o "$T/int.idx" "$T/int.npy"
expect_ok "recommend seed, split test" "$OTTOREC" recommend --quiet --threads 2 --strategy seed --test "$T/sp/test.store" --index "$T/int.idx" -o "$T/sub.csv"
python3 "$REF" "$T/test.jsonl" "$T/int.npy" "$T/ref_sub.csv"
expect_same "submission equals the Python reference" "$T/sub.csv" "$T/ref_sub.csv"
expect_ok "recommend seed, split train (long sessions)" "$OTTOREC" recommend --quiet --threads 1 --strategy seed --test "$T/sp/train.store" --index "$T/int.idx" -o "$T/sub_train.csv"
python3 "$REF" "$T/train.jsonl" "$T/int.npy" "$T/ref_sub_train.csv"
expect_same "train-session submission equals the Python reference" "$T/sub_train.csv" "$T/ref_sub_train.csv"
counts=$(python3 -c '
import json, sys
rows = int(sys.argv[2])
s = [[e["aid"] for e in json.loads(l)["events"]] for l in open(sys.argv[1])]
print(sum(len(a) >= 20 for a in s), sum(len(a) < 20 and a[-1] >= rows for a in s))' "$T/train.jsonl" "$(python3 -c '
import struct, sys, ast
b = open(sys.argv[1], "rb").read(); print(ast.literal_eval(b[10:10 + struct.unpack("<H", b[8:10])[0]].decode())["shape"][0])' "$T/int.npy")")
set -- $counts
expect_true "both branches and aids without a row are exercised ($1 long, $2 rowless)" test "$1" -gt 50 -a "$2" -gt 0
expect_ok "recommend seed --threads 2" "$OTTOREC" recommend --quiet --threads 2 --strategy seed --test "$T/sp/train.store" --index "$T/int.idx" -o "$T/sub_train2.csv"
expect_same "seed: same bytes for 1 or 2 threads" "$T/sub_train.csv" "$T/sub_train2.csv"

# the real chain: trained embeddings, a tuned (approximate) index
"$OTTOREC" pairs --quiet -o "$T/p.pairs" "$T/sp/train.store" "$T/sp/test.store"
"$OTTOREC" train --quiet -o "$T/emb.npy" "$T/p.pairs"
"$OTTOREC" index build --quiet -o "$T/emb.idx" "$T/emb.npy"
expect_ok "recommend seed on trained embeddings" "$OTTOREC" recommend --quiet --strategy seed --test "$T/sp/test.store" --index "$T/emb.idx" -o "$T/sub_emb.csv"
expect_ok "evaluate it" "$OTTOREC" evaluate --quiet --json --labels "$T/sp/test_labels.jsonl" "$T/sub_emb.csv"
expect_true "it scores above 0.3" python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["total"] > 0.3 else 1)' "$T/stdout"
expect_true "carts and orders rows repeat the clicks row" python3 -c '
import sys
r = [l.rstrip("\n").split(",", 1) for l in open(sys.argv[1])][1:]
sys.exit(0 if all(r[i][1] == r[i + 1][1] == r[i + 2][1] for i in range(0, len(r), 3)) else 1)' "$T/sub_emb.csv"

# errors
expect_fail "seed without --index" 'index' "$OTTOREC" recommend --strategy seed --test "$T/sp/test.store" -o "$T/x.csv"
cp "$T/int.idx" "$T/bad.idx"
printf '\377\377\377\377' | dd of="$T/bad.idx" bs=1 seek=4100 conv=notrunc 2>/dev/null
expect_fail "seed with a damaged index" 'checksum|damaged|mismatch' "$OTTOREC" recommend --quiet --strategy seed --test "$T/sp/test.store" --index "$T/bad.idx" -o "$T/x.csv"
expect_true "no submission left after a failure" test ! -e "$T/x.csv"
rm -rf "$T"
