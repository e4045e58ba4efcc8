#!/usr/bin/env python3
"""covisit_ref.py - a stdlib-only reference of the co-visitation recipe of
Chris Deotte's OTTO "candidate rerank" notebook, as ottorec implements it
(rules in lib/covisit/or_covisit.h and lib/rec/or_recommend.h), written with plain dicts
and lists so that tests/cli/test_covisit.sh can compare ottorec's tables and
submission with it exactly.

  covisit_ref.py tables  OUT_DIR STORE.jsonl...   -> OUT_DIR/<kind>.txt
      one line per row entry "a b weight" (weight as float.hex), rows by a,
      entries best first
  covisit_ref.py recommend TABLE_DIR TEST.jsonl SUB.csv
      reads OUT_DIR/<kind>.txt, writes the submission CSV
  covisit_ref.py compare TABLE.covisit REF.txt
      reads ottorec's binary table (format 3, layout in lib/covisit/or_covisit.h;
      rows and neighbours are items, mapped to aids by its dictionary section)
      and checks every row, neighbour and weight (exact) against the reference

JSONL input is the OTTO format that `ottorec export` writes.
"""
import json
import struct
import sys
from collections import Counter

KINDS = ("clicks", "carts_orders", "buy2buy")
TYPES = {"clicks": 0, "carts": 1, "orders": 2}


def load(paths):
    """sessions as lists of (aid, ts_seconds, type), in file order."""
    out = []
    for p in paths:
        with open(p) as f:
            for line in f:
                d = json.loads(line)
                out.append([(e["aid"], e["ts"] // 1000, TYPES[e["type"]]) for e in d["events"]])
    return out


def load_ids(path):
    with open(path) as f:
        return [json.loads(line)["session"] for line in f]


def window(evs, buys_only, last_n):
    if buys_only:
        evs = [e for e in evs if e[2] != 0]
    order = sorted(range(len(evs)), key=lambda i: -evs[i][1])  # stable
    return [evs[i] for i in order[:last_n]]


def build(sessions, kind, last_n=30, window_s=None, top_k=None, tw=(1.0, 6.0, 3.0), per_type=False):
    if window_s is None:
        window_s = 14 * 86400 if kind == "buy2buy" else 86400
    if top_k is None:
        top_k = 20 if kind == "clicks" else 15
    all_ts = [t for s in sessions for (_, t, _) in s]
    tmin, tmax = min(all_ts), max(all_ts)
    m = {}
    for s in sessions:
        w = window(s, kind == "buy2buy", last_n)
        seen = set()
        for (a, ta, _) in w:
            for (b, tb, yb) in w:
                if a == b or abs(ta - tb) >= window_s:
                    continue
                key = (a, b, yb) if (per_type and kind == "carts_orders") else (a, b)
                if key in seen:
                    continue
                seen.add(key)
                if kind == "clicks":
                    wt = 1.0 if tmax == tmin else 1 + 3 * (ta - tmin) / (tmax - tmin)
                elif kind == "carts_orders":
                    wt = tw[yb]
                else:
                    wt = 1.0
                m[(a, b)] = m.get((a, b), 0.0) + wt
    rows = {}
    for (a, b), wt in m.items():
        rows.setdefault(a, []).append((b, wt))
    for a in rows:
        rows[a].sort(key=lambda e: (-e[1], e[0]))
        rows[a] = rows[a][:top_k]
    return rows


def write_rows(rows, path):
    with open(path, "w") as f:
        for a in sorted(rows):
            for b, wt in rows[a]:
                f.write("%d %d %s\n" % (a, b, wt.hex()))


def read_rows(path):
    rows = {}
    with open(path) as f:
        for line in f:
            a, b, wt = line.split()
            rows.setdefault(int(a), []).append((int(b), float.fromhex(wt)))
    return rows


def logspace_weights(lo, n):
    """numpy.logspace(lo, 1, n, base=2) - 1, numpy's linspace arithmetic."""
    if n == 1:
        ys = [lo]
    else:
        step = (1.0 - lo) / (n - 1)
        ys = [i * step + lo for i in range(n)]
        ys[-1] = 1.0
    return [2.0 ** y - 1.0 for y in ys]


def popular(sessions, typ, k):
    c = Counter(a for s in sessions for (a, _, t) in s if t == typ)
    return [a for a, _ in sorted(c.items(), key=lambda e: (-e[1], e[0]))[:k]]


def most_common(counter, k):
    # Counter.most_common: value descending, ties in insertion order
    return [a for a, _ in sorted(counter.items(), key=lambda e: -e[1])[:k]]


def fill(result, pop, k):
    for a in pop:
        if len(result) >= k:
            break
        if a not in result:
            result.append(a)
    return result


def suggest(s, tables, top_clicks, top_orders, buys, k=20, threshold=20, tw=(1.0, 6.0, 3.0)):
    aids = [a for (a, _, _) in s]
    types = [t for (_, _, t) in s]
    unique = list(dict.fromkeys(aids[::-1]))
    ubuys = list(dict.fromkeys([a for (a, _, t) in s if t != 0][::-1]))
    if len(unique) >= threshold:
        weights = logspace_weights(0.5 if buys else 0.1, len(aids))
        temp = {}
        for a, w, t in zip(aids, weights, types):
            temp[a] = temp.get(a, 0.0) + w * tw[t]
        if buys:
            for b in ubuys:
                for (x, _) in tables["buy2buy"].get(b, []):
                    temp[x] = temp.get(x, 0.0) + 0.1
        result = most_common(temp, k)
    else:
        t1 = tables["carts_orders" if buys else "clicks"]
        cand = []
        for a in unique:
            cand += [x for (x, _) in t1.get(a, [])]
        if buys:
            for b in ubuys:
                cand += [x for (x, _) in tables["buy2buy"].get(b, [])]
        cnt = {}
        for x in cand:
            cnt[x] = cnt.get(x, 0) + 1
        top = [x for x in most_common(cnt, k) if x not in unique]
        result = unique[:k]
        result += top[:k - len(result)]
    return fill(result, top_orders if buys else top_clicks, k)


def main():
    mode = sys.argv[1]
    if mode == "tables":
        out = sys.argv[2]
        sessions = load(sys.argv[3:])
        for kind in KINDS:
            write_rows(build(sessions, kind), "%s/%s.txt" % (out, kind))
    elif mode == "recommend":
        tdir, test, sub = sys.argv[2], sys.argv[3], sys.argv[4]
        tables = {kind: read_rows("%s/%s.txt" % (tdir, kind)) for kind in KINDS}
        sessions = load([test])
        ids = load_ids(test)
        tc, to = popular(sessions, 0, 20), popular(sessions, 2, 20)
        with open(sub, "w") as f:
            f.write("session_type,labels\n")
            for sid, s in zip(ids, sessions):
                c = suggest(s, tables, tc, to, False)
                b = suggest(s, tables, tc, to, True)
                f.write("%d_clicks,%s\n" % (sid, " ".join(map(str, c))))
                f.write("%d_carts,%s\n" % (sid, " ".join(map(str, b))))
                f.write("%d_orders,%s\n" % (sid, " ".join(map(str, b))))
    elif mode == "compare":
        data = open(sys.argv[2], "rb").read()
        ref = read_rows(sys.argv[3])
        assert data[:8] == b"OTTOCOVI", "bad magic"
        # layout: lib/covisit/or_covisit.h (fields at 32, sections at 160)
        assert struct.unpack_from("<I", data, 8)[0] == 3, "format version"
        n_items, = struct.unpack_from("<I", data, 36)
        n, = struct.unpack_from("<Q", data, 56)
        secs = [struct.unpack_from("<QQ", data, 160 + 32 * i) for i in range(4)]
        off = struct.unpack_from("<%dQ" % (n_items + 1), data, secs[0][0])
        nb = struct.unpack_from("<%dI" % n, data, secs[1][0])
        wt = struct.unpack_from("<%dd" % n, data, secs[2][0])
        aids = struct.unpack_from("<%dI" % n_items, data, secs[3][0])
        bad = 0
        for i, a in enumerate(aids):
            got = [(aids[nb[j]], wt[j]) for j in range(off[i], off[i + 1])]
            want = ref.get(a, [])
            if got != want:
                if bad < 3:
                    print("row %d: ottorec %r, reference %r" % (a, got[:5], want[:5]))
                bad += 1
        if set(ref) - set(aids):
            print("reference has rows of aids not in the table's dictionary")
            bad += 1
        if bad:
            print("%d rows differ" % bad)
            sys.exit(1)
        print("%d rows, %d entries agree" % (n_items, n))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
