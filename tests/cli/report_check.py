#!/usr/bin/env python3
"""report_check.py LOGS PAGE [--dom] - the data marks of `ottorec report`'s
page against the numbers in the run's logs (tests/cli/test_report.sh).

For each chart (an <svg data-section=S>) the expected number of points,
bars and marks is worked out here from LOGS/<stage>.txt, independently of
the C code, and compared with the marks found in PAGE (the page as written,
or with --dom the DOM chromium parsed and dumped).  Without --dom each SVG
must also parse as XML, and the page must hold no script and reach no
network.  Prints what differs and exits 1, else exits 0 silently.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

STRATEGIES = ["seed", "covisit", "blend", "ranker"]
TYPES = ["clicks", "carts", "orders"]


def logs(d):
    out = {}
    for name in os.listdir(d):
        if name.endswith(".txt"):
            try:
                with open(os.path.join(d, name)) as f:
                    out[name[:-4]] = json.loads(f.readline())
            except ValueError:
                pass
    return out


def expected(L):
    want = {}
    evals = []
    for s in STRATEGIES:
        if s == "ranker" and "evaluate-valid" in L:
            evals.append(L["evaluate-valid"])
        if "evaluate-" + s in L:
            evals.append(L["evaluate-" + s])
    bl = [e for e in evals if "length_buckets" in e]
    if bl:
        for t in TYPES + ["total"]:
            want["by-length-" + t] = {"bar": sum(v is not None for e in bl for v in e["length_" + t])}
    cand = L.get("candidates-fit", {}).get("recall_curve")
    if cand:
        fin = L.get("evaluate-valid") or L.get("evaluate-ranker")
        want["candidates"] = {"point": sum(len(cand[t]) for t in TYPES),
                              "mark": 3 if fin else 0}
    fit = L.get("fit", {}).get("model", {}).get("summary")
    if fit:
        for t in TYPES:
            n = min(20, sum(1 for v in fit[t]["gain"].values() if v > 0))
            if n:
                want["features-" + t] = {"bar": n}
    mf = L.get("train")
    if mf:
        n = lambda k: sum(v is not None for v in mf.get(k, []))
        want["training-mf-loss"] = {"point": n("loss_curve") + n("curve_train_loss") + n("curve_valid_loss")}
        want["training-mf-accuracy"] = {"point": n("curve_valid_accuracy")}
    if "item2vec" in L:
        want["training-item2vec"] = {"point": len(L["item2vec"]["epoch_loss"])}
    stages = L.get("pipeline", {}).get("stages")
    if stages:
        want["timeline-wall"] = {"bar": len(stages)}
        want["timeline-rss"] = {"bar": sum(not s["resumed"] for s in stages)}
    info = [L[k] for k in ("info-train", "info-test") if k in L]
    if info:
        want["data-sessions"] = {"point": sum(sum(c > 0 for c in i["session_hist"]) for i in info)}
        want["data-items"] = {"point": sum(sum(c > 0 for c in i["item_hist"]) for i in info)}
    return want


def found(page, dom):
    got, bad = {}, []
    for m in re.finditer(r'<svg\b[^>]*\bdata-section="([^"]*)".*?</svg>', page, re.S):
        svg = m.group(0)
        got[m.group(1)] = {k: len(re.findall(r'<\w+\b[^>]*\bdata-%s=""' % k, svg))
                           for k in ("point", "bar", "mark")}
        if not dom:
            try:
                ET.fromstring(svg)
            except ET.ParseError as e:
                bad.append("section %s: the SVG is not well-formed XML: %s" % (m.group(1), e))
    return got, bad


def main():
    d, path = sys.argv[1], sys.argv[2]
    dom = "--dom" in sys.argv[3:]
    page = open(path, encoding="utf-8").read()
    want = expected(logs(d))
    got, bad = found(page, dom)
    if not dom:
        if re.search(r"<script|<link|@import|url\(", page, re.I):
            bad.append("the page loads or runs something")
        if re.findall(r"https?://(?!www\.w3\.org/2000/svg)", page):
            bad.append("the page names a network address")
    if not want:
        bad.append("nothing expected: the logs hold no numbers (a broken fixture?)")
    for sec in sorted(set(want) | set(got)):
        w = {k: 0 for k in ("point", "bar", "mark")}
        w.update(want.get(sec, {}))
        g = got.get(sec)
        if g is None:
            bad.append("section %s: no chart (expected %s)" % (sec, w))
        elif g != w:
            bad.append("section %s: found %s, expected %s" % (sec, g, w))
    for b in bad:
        print(b, file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
