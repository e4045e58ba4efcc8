#!/usr/bin/env python3
"""otto_metric.py - a stdlib-only port of the OTTO organiser's metric
(github.com/otto-de/recsys-dataset, src/evaluate.py), written from its
rules, for cross-checking `ottorec evaluate`.

usage: otto_metric.py LABELS.jsonl SUBMISSION.csv
prints {"clicks": r, "carts": r, "orders": r, "total": s} (repr floats).

Same as evaluate.py: first line skipped; each line stripped and split on
","; "sid_type" split on "_"; predictions int()s split on " " ([] if empty);
a later row for a (session, type) replaces an earlier one; Recall@20 with
sets for carts/orders and a truthy click label; weights 0.10/0.30/0.60.
Where evaluate.py would fail, the decisions ottorec takes: a labelled type
without a row of that type is a miss (Python: KeyError); a type whose
denominator is 0 has recall 0 (Python: ZeroDivisionError); blank lines are
skipped (Python: ValueError).
"""
import json
import sys

K = 20
WEIGHTS = {"clicks": 0.10, "carts": 0.30, "orders": 0.60}


def main():
    labels = {}
    for line in open(sys.argv[1]):
        if not line.strip():
            continue
        d = json.loads(line)
        labels[d["session"]] = {
            "clicks": d["labels"].get("clicks", None),
            "carts": set(d["labels"].get("carts", [])),
            "orders": set(d["labels"].get("orders", [])),
        }
    preds = {}
    for line in open(sys.argv[2]).readlines()[1:]:
        if not line.strip():
            continue
        sid_type, p = line.strip().split(",")
        sid, typ = sid_type.split("_")
        preds.setdefault(int(sid), {})[typ] = [int(x) for x in p.split(" ")] if p != "" else []
    hits = {"clicks": 0.0, "carts": 0, "orders": 0}
    total = {"clicks": 0, "carts": 0, "orders": 0}
    for sid, lab in labels.items():
        pred = preds.get(sid, {})
        if lab["clicks"]:
            total["clicks"] += 1
            hits["clicks"] += float(lab["clicks"] in pred.get("clicks", [])[:K])
        for t in ("carts", "orders"):
            if lab[t]:
                total[t] += min(len(lab[t]), K)
                hits[t] += len(set(pred.get(t, [])[:K]).intersection(lab[t]))
    recalls = {t: (hits[t] / total[t] if total[t] else 0.0) for t in ("clicks", "carts", "orders")}
    result = 0.0
    for t, r in recalls.items():
        result += r * WEIGHTS[t]
    recalls["total"] = result
    print(json.dumps(recalls))


if __name__ == "__main__":
    main()
