#!/usr/bin/env python3
"""covisit_pandas.py - the peer of `ottorec covisit` + `ottorec recommend
--strategy covisit` for `make bench`: a straightforward pandas
implementation of the same recipe, written the way Chris Deotte's OTTO
"candidate rerank" notebook writes it (self-merge per chunk of sessions,
drop_duplicates, groupby-sum, sort, cumcount; a Python function per
session for the rerank).

  covisit_pandas.py TRAIN.csv TEST.csv SUBMISSION.csv

CSV files as `ottorec export --format csv --type-digits` writes them
(session,aid,ts,type; ts in ms).  Prints one line per stage with its wall
time.  Same rules as ottorec (lib/covisit/or_covisit.h, lib/rec/or_recommend.h); the
only expected differences are float summation order (pandas sums float64
per chunk, then adds chunks), which can swap neighbours of equal weight.
Needs python3-pandas (Debian); not used by the tests.
"""
import itertools
import sys
import time
from collections import Counter

import numpy as np
import pandas as pd

TYPE_WEIGHT = {0: 1, 1: 6, 2: 3}
CHUNK_ROWS = 3_000_000  # events per merge chunk (bounds the merge's memory)


def log(msg, t0):
    print("%-40s %8.2f s" % (msg, time.time() - t0), flush=True)


def pairs(df, window_s, chunk_rows=CHUNK_ROWS):
    """yield per chunk of whole sessions: the deduplicated (session, aid_x,
    aid_y) rows with ts_x and type_y, first pair kept."""
    df = df.sort_values(["session", "ts"], ascending=[True, False])
    df = df.reset_index(drop=True)
    df["n"] = df.groupby("session").cumcount()
    df = df.loc[df.n < 30].drop("n", axis=1)
    starts = np.flatnonzero(np.r_[True, df.session.values[1:] != df.session.values[:-1]])
    # cut at session starts about every chunk_rows rows
    cuts, last = [0], 0
    for s in starts:
        if s - last >= chunk_rows:
            cuts.append(s)
            last = s
    cuts.append(len(df))
    for a, b in zip(cuts[:-1], cuts[1:]):
        d = df.iloc[a:b]
        m = d.merge(d, on="session")
        m = m.loc[((m.ts_x - m.ts_y).abs() < window_s) & (m.aid_x != m.aid_y)]
        m = m[["session", "aid_x", "aid_y", "ts_x", "type_y"]].drop_duplicates(["session", "aid_x", "aid_y"])
        yield m


def top_k(acc, k):
    tmp = acc.reset_index()
    tmp = tmp.sort_values(["aid_x", "wgt", "aid_y"], ascending=[True, False, True])
    tmp["n"] = tmp.groupby("aid_x").aid_y.cumcount()
    tmp = tmp.loc[tmp.n < k]
    return tmp.groupby("aid_x").aid_y.apply(list).to_dict()


def matrices(df, t0):
    tmin, tmax = df.ts.min(), df.ts.max()
    span = tmax - tmin
    acc_c = acc_o = None
    for m in pairs(df, 24 * 60 * 60):
        wc = (1 + 3 * (m.ts_x - tmin) / span) if span > 0 else pd.Series(1.0, index=m.index)
        g = pd.DataFrame({"aid_x": m.aid_x, "aid_y": m.aid_y, "wgt": wc}).groupby(["aid_x", "aid_y"]).wgt.sum()
        acc_c = g if acc_c is None else acc_c.add(g, fill_value=0)
        wo = m.type_y.map(TYPE_WEIGHT).astype("float64")
        g = pd.DataFrame({"aid_x": m.aid_x, "aid_y": m.aid_y, "wgt": wo}).groupby(["aid_x", "aid_y"]).wgt.sum()
        acc_o = g if acc_o is None else acc_o.add(g, fill_value=0)
    top_clicks = top_k(acc_c.rename("wgt"), 20)
    top_buys = top_k(acc_o.rename("wgt"), 15)
    log("clicks + carts-orders matrices", t0)
    b = df.loc[df["type"].isin([1, 2])]
    acc_b = None
    for m in pairs(b, 14 * 24 * 60 * 60):
        g = pd.DataFrame({"aid_x": m.aid_x, "aid_y": m.aid_y, "wgt": 1.0}).groupby(["aid_x", "aid_y"]).wgt.sum()
        acc_b = g if acc_b is None else acc_b.add(g, fill_value=0)
    top_b2b = top_k(acc_b.rename("wgt"), 15) if acc_b is not None else {}
    log("buy2buy matrix", t0)
    return top_clicks, top_buys, top_b2b


def popular(test, typ):
    c = test.loc[test["type"] == typ, "aid"].value_counts()
    c = c.reset_index()
    c.columns = ["aid", "count"]
    c = c.sort_values(["count", "aid"], ascending=[False, True])
    return list(c.aid.values[:20])


def fill(result, pop):
    for a in pop:
        if len(result) >= 20:
            break
        if a not in result:
            result.append(a)
    return result


def suggest_clicks(aids, types, top_clicks, pop):
    unique_aids = list(dict.fromkeys(aids[::-1]))
    if len(unique_aids) >= 20:
        weights = np.logspace(0.1, 1, len(aids), base=2, endpoint=True) - 1
        aids_temp = Counter()
        for aid, w, t in zip(aids, weights, types):
            aids_temp[aid] += w * TYPE_WEIGHT[t]
        return fill([k for k, v in aids_temp.most_common(20)], pop)
    aids2 = list(itertools.chain(*[top_clicks[aid] for aid in unique_aids if aid in top_clicks]))
    top_aids2 = [a2 for a2, cnt in Counter(aids2).most_common(20) if a2 not in unique_aids]
    result = unique_aids + top_aids2[:20 - len(unique_aids)]
    return fill(result, pop)


def suggest_buys(aids, types, top_buys, top_b2b, pop):
    unique_aids = list(dict.fromkeys(aids[::-1]))
    unique_buys = list(dict.fromkeys([a for a, t in zip(aids, types) if t in (1, 2)][::-1]))
    if len(unique_aids) >= 20:
        weights = np.logspace(0.5, 1, len(aids), base=2, endpoint=True) - 1
        aids_temp = Counter()
        for aid, w, t in zip(aids, weights, types):
            aids_temp[aid] += w * TYPE_WEIGHT[t]
        aids3 = list(itertools.chain(*[top_b2b[aid] for aid in unique_buys if aid in top_b2b]))
        for aid in aids3:
            aids_temp[aid] += 0.1
        return fill([k for k, v in aids_temp.most_common(20)], pop)
    aids2 = list(itertools.chain(*[top_buys[aid] for aid in unique_aids if aid in top_buys]))
    aids3 = list(itertools.chain(*[top_b2b[aid] for aid in unique_buys if aid in top_b2b]))
    top_aids2 = [a2 for a2, cnt in Counter(aids2 + aids3).most_common(20) if a2 not in unique_aids]
    result = unique_aids + top_aids2[:20 - len(unique_aids)]
    return fill(result, pop)


def main():
    train_csv, test_csv, out = sys.argv[1:4]
    t0 = time.time()
    dt = {"session": "int64", "aid": "int32", "ts": "int64", "type": "int8"}
    train = pd.read_csv(train_csv, dtype=dt)
    test = pd.read_csv(test_csv, dtype=dt)
    for d in (train, test):
        d["ts"] = d.ts // 1000
    df = pd.concat([train, test], ignore_index=True)
    log("read %d + %d events" % (len(train), len(test)), t0)
    top_clicks, top_buys, top_b2b = matrices(df, t0)
    del df, train
    pc, po = popular(test, 0), popular(test, 2)
    rows = ["session_type,labels"]
    test = test.sort_values(["session", "ts"], kind="stable")
    for sid, g in test.groupby("session", sort=False):
        aids, types = g.aid.tolist(), g["type"].tolist()
        c = suggest_clicks(aids, types, top_clicks, pc)
        b = suggest_buys(aids, types, top_buys, top_b2b, po)
        rows.append("%d_clicks,%s" % (sid, " ".join(map(str, c))))
        rows.append("%d_carts,%s" % (sid, " ".join(map(str, b))))
        rows.append("%d_orders,%s" % (sid, " ".join(map(str, b))))
    with open(out, "w") as f:
        f.write("\n".join(rows) + "\n")
    log("recommend %d sessions" % test.session.nunique(), t0)


if __name__ == "__main__":
    main()
