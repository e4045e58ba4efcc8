#!/usr/bin/env python3
"""otto_testset.py - a stdlib-only port of the OTTO organiser's local test
set rule (github.com/otto-de/recsys-dataset: src/testset.py and
src/labels.py), written from its rules, for cross-checking `ottorec split`.
It uses Python's own `random` exactly as testset.py does (random.seed(seed)
once, then random.randint(1, len(test_events)) per test session in order).

usage: otto_testset.py --train-set IN.jsonl --output-path DIR [--days 2] [--seed 42]
writes DIR/train_sessions.jsonl, DIR/test_sessions.jsonl, DIR/test_labels.jsonl
(the organiser's names; test_sessions_full.jsonl is kept in memory only).
"""
import argparse
import json
import random
from pathlib import Path


def ground_truth(events):
    """labels.py: walk backwards; each event gets the labels of what follows.
    A label is kept only when truthy, so a next click on aid 0 gives none."""
    prev = {"clicks": None, "carts": set(), "orders": set()}
    out = []
    for ev in reversed(events):
        labels = {}
        for key in ("clicks", "carts", "orders"):
            if prev[key]:
                labels[key] = prev[key] if key == "clicks" else set(prev[key])
        out.append(dict(ev, labels=labels))
        if ev["type"] == "clicks":
            prev["clicks"] = ev["aid"]
        if ev["type"] == "carts":
            prev["carts"].add(ev["aid"])
        elif ev["type"] == "orders":
            prev["orders"].add(ev["aid"])
    out.reverse()
    return out[:-1]


def split_events(events):
    test_events = ground_truth(events)
    split_idx = random.randint(1, len(test_events))
    test_events = test_events[:split_idx]
    labels = test_events[-1]["labels"]
    return [{k: v for k, v in e.items() if k != "labels"} for e in test_events], labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-set", type=Path, required=True)
    ap.add_argument("--output-path", type=Path, required=True)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    random.seed(a.seed)
    sessions = [json.loads(line) for line in open(a.train_set)]
    max_ts = max(s["events"][-1]["ts"] for s in sessions)
    split_ts = max_ts - a.days * 24 * 60 * 60 * 1000
    train, test_full, train_items = [], [], set()
    for s in sessions:
        if s["events"][0]["ts"] > split_ts:
            test_full.append(s)
        else:
            evs = [e for e in s["events"] if e["ts"] < split_ts]
            if len(evs) >= 2:
                train_items.update(e["aid"] for e in evs)
                train.append({"session": s["session"], "events": evs})
    test = []
    for s in test_full:
        evs = [e for e in s["events"] if e["aid"] in train_items]
        if len(evs) >= 2:
            test.append({"session": s["session"], "events": evs})
    a.output_path.mkdir(parents=True, exist_ok=True)
    with open(a.output_path / "train_sessions.jsonl", "w") as f:
        for s in train:
            f.write(json.dumps(s) + "\n")
    with open(a.output_path / "test_sessions.jsonl", "w") as f, \
            open(a.output_path / "test_labels.jsonl", "w") as g:
        for s in test:
            evs, labels = split_events(s["events"])
            f.write(json.dumps({"session": s["session"], "events": evs}) + "\n")
            g.write(json.dumps({"session": s["session"], "labels": labels}, default=list) + "\n")


if __name__ == "__main__":
    main()
