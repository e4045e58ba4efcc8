# tests/cli/test_validation.sh - `ottorec split` and `ottorec evaluate`
# cross-checked against stdlib-only Python ports of the organiser's rules
# (tests/ref/otto_testset.py, tests/ref/otto_metric.py): the same train and
# test sessions (store bytes), the same cut points and label sets for
# several seeds and windows; scores equal to 1e-12 on submissions made to
# hit every edge case; errors, lenient mode and usage.
. "$TESTS_DIR/cli/lib.sh"
REF="$TESTS_DIR/ref"

# ---- a small data set with the awkward cases ---------------------------------
# sessions of 1..600 events (cut draws of many bit lengths), aid 0 clicked
# often (the no-click-label quirk), a session starting exactly at split_ts,
# events exactly at split_ts, test-only aids, ids not in order.
python3 - "$T/data.jsonl" <<'PY'
import json, random, sys
rng = random.Random(1234)
DAY = 86400000
BASE = 1659304800000
MAX_TS = BASE + 14 * DAY
def aid():
    r = rng.random()
    if r < 0.08: return 0
    if r < 0.6: return rng.randint(1, 60)
    if r < 0.97: return rng.randint(61, 3000)
    return rng.randint(900000, 900050)      # rare: often only in test
types = ["clicks"] * 16 + ["carts"] * 3 + ["orders"]
sessions = []
ids = list(range(5000))
for k in range(0, 5000, 97):                # some ids out of order
    j = min(k + 5, 4999); ids[k], ids[j] = ids[j], ids[k]
for sid in ids:
    r = rng.random()
    n = rng.randint(1, 4) if r < 0.5 else rng.randint(5, 40) if r < 0.97 else rng.randint(200, 600)
    start = BASE + rng.randint(0, 14 * DAY - 1)
    ts = sorted(min(start + rng.randint(0, 3 * DAY) * (rng.random() < 0.5), MAX_TS - 1) for _ in range(n))
    sessions.append({"session": sid, "events": [{"aid": aid(), "ts": t, "type": rng.choice(types)} for t in ts]})
split2 = MAX_TS - 2 * DAY
sessions.append({"session": 10000, "events": [{"aid": 1, "ts": split2, "type": "clicks"}, {"aid": 2, "ts": split2, "type": "clicks"}, {"aid": 3, "ts": split2 + 1, "type": "carts"}]})
sessions.append({"session": 10001, "events": [{"aid": 1, "ts": split2 - 5, "type": "clicks"}, {"aid": 2, "ts": split2 - 1, "type": "clicks"}, {"aid": 3, "ts": split2, "type": "carts"}]})
sessions.append({"session": 10002, "events": [{"aid": 5, "ts": split2 + 1, "type": "clicks"}, {"aid": 0, "ts": split2 + 2, "type": "clicks"}, {"aid": 7, "ts": split2 + 3, "type": "clicks"}]})
sessions.append({"session": 10003, "events": [{"aid": 4, "ts": MAX_TS - 10, "type": "clicks"}, {"aid": 9, "ts": MAX_TS, "type": "orders"}]})
with open(sys.argv[1], "w") as f:
    for s in sessions:
        f.write(json.dumps(s, separators=(",", ":")) + "\n")
PY
"$OTTOREC" convert --quiet -o "$T/data.store" "$T/data.jsonl"

# compare label files: same sessions in the same order, same click, same sets
cat > "$T/same_labels.py" <<'PY'
import json, sys
def load(p):
    out = []
    for line in open(p):
        d = json.loads(line)
        l = d["labels"]
        out.append((d["session"], l.get("clicks"), sorted(l.get("carts", [])), sorted(l.get("orders", []))))
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print("first difference at row %d: %r vs %r" % (i + 1, x, y)); break
    print("rows: %d vs %d" % (len(a), len(b)))
    sys.exit(1)
print("%d label rows agree" % len(a))
PY

for case in "42 2" "0 1" "12345678901 3" "-5 2" "7 0"; do
	set -- $case
	seed=$1 days=$2
	what="seed $seed days $days"
	py="$T/py_${seed}_$days" c="$T/c_${seed}_$days"
	if ! python3 "$REF/otto_testset.py" --train-set "$T/data.jsonl" --output-path "$py" --seed "$seed" --days "$days" 2>"$T/pyerr"; then
		fail "reference split ($what)" "$(head -c 600 "$T/pyerr")"; continue
	fi
	expect_ok "split store ($what)" "$OTTOREC" split --quiet --seed "$seed" --days "$days" -o "$c" "$T/data.store"
	"$OTTOREC" convert --quiet -o "$py/train.store" "$py/train_sessions.jsonl" 2>/dev/null
	expect_same "train sessions equal Python's ($what)" "$py/train.store" "$c/train.store"
	if [ -s "$py/test_sessions.jsonl" ]; then
		"$OTTOREC" convert --quiet -o "$py/test.store" "$py/test_sessions.jsonl" 2>/dev/null
		expect_same "test sessions and cut points equal Python's ($what)" "$py/test.store" "$c/test.store"
	else
		expect_true "no test sessions, like Python ($what)" test ! -s "$c/test_labels.jsonl"
	fi
	expect_ok "label sets equal Python's ($what)" python3 "$T/same_labels.py" "$py/test_labels.jsonl" "$c/test_labels.jsonl"
done

# the aid-0 quirk is really exercised: label rows without "clicks" whose
# first click after the cut is on aid 0 while a later click is not
python3 - "$T/data.jsonl" "$T/py_42_2" > "$T/quirk" <<'PY'
import json, sys
d = sys.argv[2]
items = set()
for line in open(d + "/train_sessions.jsonl"):
    items.update(e["aid"] for e in json.loads(line)["events"])
full = {}
for line in open(sys.argv[1]):
    s = json.loads(line); full[s["session"]] = [e for e in s["events"] if e["aid"] in items]
n = 0
for s, l in zip(open(d + "/test_sessions.jsonl"), open(d + "/test_labels.jsonl")):
    s, l = json.loads(s), json.loads(l)
    after = [e["aid"] for e in full[s["session"]][len(s["events"]):] if e["type"] == "clicks"]
    if "clicks" not in l["labels"] and after and after[0] == 0 and any(after):
        n += 1
print(n)
PY
expect_true "the aid-0 click quirk occurs in the cross-check ($(cat "$T/quirk") sessions)" test "$(cat "$T/quirk")" -gt 0

# JSONL input (plain and gzip) splits exactly like the store; no temp left
expect_ok "split JSONL input" "$OTTOREC" split --quiet -o "$T/cj" "$T/data.jsonl"
expect_same "JSONL input: same train" "$T/cj/train.store" "$T/c_42_2/train.store"
expect_same "JSONL input: same labels" "$T/cj/test_labels.jsonl" "$T/c_42_2/test_labels.jsonl"
gzip -c "$T/data.jsonl" > "$T/data.jsonl.gz"
expect_ok "split gzip input" "$OTTOREC" split --quiet -o "$T/cg" "$T/data.jsonl.gz"
expect_same "gzip input: same test" "$T/cg/test.store" "$T/c_42_2/test.store"
expect_true "no temporary input store left" sh -c "! ls -A '$T/cj' '$T/cg' | grep -q split-input"
expect_ok "split --json" "$OTTOREC" split --json -o "$T/cjs" "$T/data.store"
expect_true "split --json reports counts" grep -q '"test_sessions":[1-9]' "$T/stdout"
expect_ok "split the real sample" "$OTTOREC" split --quiet -o "$T/sample" "$SAMPLE"

# errors
expect_fail "split bad input" 'not_json\.jsonl:1' "$OTTOREC" split --quiet -o "$T/bad" "$DATA/malformed/not_json.jsonl"
expect_true "split bad input leaves no outputs" sh -c "! ls -A '$T/bad' 2>/dev/null | grep -q ."
expect_fail "split without -o" 'give the output directory' "$OTTOREC" split "$T/data.store"
expect_fail "split bad days" '--days must be an integer' "$OTTOREC" split --days x -o "$T/x" "$T/data.store"
expect_fail "split missing input" 'cannot open .*nope' "$OTTOREC" split --quiet -o "$T/x" "$T/nope.jsonl"
expect_ok "split -h" "$OTTOREC" split -h
expect_true "split usage names testset.py" grep -q 'testset.py' "$T/stdout"

# ---- evaluate --------------------------------------------------------------
# labels with every edge: click 0 (falsy), null click, empty and long sets,
# repeated aids in a list, Python's own spacing; then submissions with rows
# beyond 20 aids, repeated aids, empty rows, missing types and sessions,
# unknown sessions, replaced rows, CRLF and blank lines.
python3 - "$T" <<'PY'
import json, random, sys
t = sys.argv[1]
rng = random.Random(99)
labels = []
for s in range(3000):
    l = {}
    r = rng.random()
    if r < 0.05: l["clicks"] = 0
    elif r < 0.08: l["clicks"] = None
    elif r < 0.85: l["clicks"] = rng.randint(0, 80)
    if rng.random() < 0.4: l["carts"] = [rng.randint(0, 80) for _ in range(rng.choice([0, 1, 2, 3, 5, 25, 40]))]
    if rng.random() < 0.25: l["orders"] = [rng.randint(0, 80) for _ in range(rng.choice([0, 1, 2, 21, 30]))]
    labels.append((s * 3 + 1, l))
with open(t + "/ev_labels.jsonl", "w") as f:
    for s, l in labels:
        f.write(json.dumps({"session": s, "labels": l}) + "\n")
def preds(l, typ):
    base = []
    if typ == "clicks" and l.get("clicks") is not None: base.append(l["clicks"])
    base += l.get(typ if typ != "clicks" else "carts", [])
    base += [rng.randint(0, 80) for _ in range(rng.choice([0, 3, 19, 20, 21, 30]))]
    rng.shuffle(base)
    return base[:rng.choice([0, 5, 20, 21, 45])]
for name, crlf in (("a", False), ("b", True)):
    lines = ["session_type,labels"]
    for s, l in labels:
        r = rng.random()
        if r < 0.05: continue                           # session without rows
        for typ in ("clicks", "carts", "orders"):
            if rng.random() < 0.07: continue            # a missing type
            lines.append("%d_%s,%s" % (s, typ, " ".join(map(str, preds(l, typ)))))
            if rng.random() < 0.03:                     # replaced later
                lines.append("%d_%s,%s" % (s, typ, " ".join(map(str, preds(l, typ)))))
        if rng.random() < 0.02: lines.append("%d_clicks,1 2 3" % (s + 1))   # unknown session
        if rng.random() < 0.01: lines.append("")
    tail = lines[1:]; rng.shuffle(tail); lines = lines[:1] + tail
    with open(t + "/ev_%s.csv" % name, "w", newline="") as f:
        f.write(("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n"))
PY
cat > "$T/close.py" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = [k for k in ("clicks", "carts", "orders", "total") if abs(a[k] - b[k]) > 1e-12]
if bad:
    print("differ:", {k: (a[k], b[k]) for k in bad}); sys.exit(1)
PY
for sub in a b; do
	python3 "$REF/otto_metric.py" "$T/ev_labels.jsonl" "$T/ev_$sub.csv" > "$T/py_$sub.json"
	expect_ok "evaluate submission $sub" "$OTTOREC" evaluate --quiet --json --labels "$T/ev_labels.jsonl" "$T/ev_$sub.csv"
	cp "$T/stdout" "$T/c_$sub.json"
	expect_ok "submission $sub: scores equal Python's to 1e-12" python3 "$T/close.py" "$T/py_$sub.json" "$T/c_$sub.json"
done

# the split's own labels, in our compact form and in Python's form, with
# a submission built from the test sessions' last aids
for case in 42_2 0_1 12345678901_3; do
	python3 - "$T/c_$case/test_labels.jsonl" "$T/sub_$case.csv" <<'PY'
import json, random, sys
rng = random.Random(5)
with open(sys.argv[2], "w") as f:
    f.write("session_type,labels\n")
    for line in open(sys.argv[1]):
        d = json.loads(line); l = d["labels"]
        for typ in ("clicks", "carts", "orders"):
            p = [rng.randint(0, 3000) for _ in range(rng.randint(0, 25))]
            if l.get(typ if typ != "clicks" else "carts"): p.insert(rng.randint(0, len(p)), l.get("carts", [0])[0])
            if typ == "clicks" and "clicks" in l and rng.random() < 0.5: p.insert(rng.randint(0, 22), l["clicks"])
            f.write("%d_%s,%s\n" % (d["session"], typ, " ".join(map(str, p))))
PY
	python3 "$REF/otto_metric.py" "$T/py_$case/test_labels.jsonl" "$T/sub_$case.csv" > "$T/pys_$case.json"
	expect_ok "evaluate split $case (our labels)" "$OTTOREC" evaluate --quiet --json --labels "$T/c_$case/test_labels.jsonl" "$T/sub_$case.csv"
	cp "$T/stdout" "$T/cs_$case.json"
	expect_ok "split $case: our labels score as Python's labels" python3 "$T/close.py" "$T/pys_$case.json" "$T/cs_$case.json"
	expect_ok "evaluate split $case (Python's labels)" "$OTTOREC" evaluate --quiet --json --labels "$T/py_$case/test_labels.jsonl" "$T/sub_$case.csv"
	cp "$T/stdout" "$T/cp_$case.json"
	expect_ok "split $case: Python's labels read the same" python3 "$T/close.py" "$T/pys_$case.json" "$T/cp_$case.json"
done

# human output, gzip submission, stdin
expect_ok "evaluate text output" "$OTTOREC" evaluate --labels "$T/ev_labels.jsonl" "$T/ev_a.csv"
expect_true "text output has the score" grep -q '^score ' "$T/stdout"
gzip -c "$T/ev_a.csv" > "$T/ev_a.csv.gz"
expect_ok "evaluate gzip submission" "$OTTOREC" evaluate --quiet --json --labels "$T/ev_labels.jsonl" "$T/ev_a.csv.gz"
cp "$T/stdout" "$T/gz.json"
expect_ok "gzip gives the same scores" python3 "$T/close.py" "$T/gz.json" "$T/c_a.json"
expect_ok "evaluate from stdin" sh -c "'$OTTOREC' evaluate --quiet --json --labels '$T/ev_labels.jsonl' - < '$T/ev_a.csv' | grep -q '\"total\"'"

# malformed submissions: an error with the line, or skipped with --lenient
{ head -n 5 "$T/ev_a.csv"; echo "12_clicks,1 2 x"; echo "13_click,1"; tail -n +6 "$T/ev_a.csv"; } > "$T/bad.csv"
expect_fail "malformed submission line" 'bad\.csv:6:15: aid is not an integer' \
	"$OTTOREC" evaluate --labels "$T/ev_labels.jsonl" "$T/bad.csv"
expect_ok "lenient skips malformed lines" "$OTTOREC" evaluate --lenient --json --labels "$T/ev_labels.jsonl" "$T/bad.csv"
expect_true "lenient counts them" grep -q '"malformed_lines":2' "$T/stdout"
expect_true "lenient warns with the first" grep -q 'skipped 2 malformed lines (first: .*bad\.csv:6:15' "$T/stderr"
{ tail -n +2 "$T/ev_a.csv"; } > "$T/noheader.csv"
expect_ok "a submission without header" "$OTTOREC" evaluate --labels "$T/ev_labels.jsonl" "$T/noheader.csv"
expect_true "warns that its first row was skipped" grep -q 'looks like a prediction row' "$T/stderr"
printf '{"session":1,"labels":{}}\n{"session":1,"labels":{"clicks":2}}\n' > "$T/dup.jsonl"
expect_fail "duplicate label session" 'dup\.jsonl:2: session 1 appears a second time' \
	"$OTTOREC" evaluate --labels "$T/dup.jsonl" "$T/ev_a.csv"
expect_fail "labels missing" 'cannot open .*nolabels' "$OTTOREC" evaluate --labels "$T/nolabels.jsonl" "$T/ev_a.csv"
expect_fail "no --labels" 'give the ground truth with --labels' "$OTTOREC" evaluate "$T/ev_a.csv"
expect_ok "evaluate -h" "$OTTOREC" evaluate -h
expect_true "evaluate usage names evaluate.py" grep -q 'evaluate.py' "$T/stdout"
rm -rf "$T"
