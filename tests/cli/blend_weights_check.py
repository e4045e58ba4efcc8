# tests/cli/blend_weights_check.py WEIGHTS BLEND_MD README HELP_TEXT -
# used by test_blend.sh: exit 0 when the weights file that `ottorec tune`
# wrote has its header once and then exactly one "type feature weight"
# line per type (clicks, carts, orders) and per feature of the features
# table in docs/blend.md, each weight a finite number; and when the feature
# counts that README.md, docs/blend.md and `recommend -h` state are that
# many.  Says what is wrong on stderr otherwise.
import math
import re
import sys

weights, blend_md, readme, help_text = sys.argv[1:5]
bad = []
feats = []
for line in open(blend_md):
    if line.startswith("| `"):
        feats += re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])
if len(feats) != len(set(feats)) or not feats:
    bad.append("docs/blend.md's features table names %r" % feats)
rows = [l.split() for l in open(weights) if l.strip() and not l.startswith("#")]
if not rows or rows[0] != ["ottorec-blend-weights", "1"]:
    bad.append("the first line is not the header: %r" % (rows[:1],))
want = sorted((t, f) for t in ("clicks", "carts", "orders") for f in feats)
got = sorted(tuple(r[:2]) for r in rows[1:])
if got != want:
    bad.append("%d lines for %d; missing %s, extra %s, repeated %s" % (
        len(got), len(want), sorted(set(want) - set(got)), sorted(set(got) - set(want)),
        sorted(set(x for x in got if got.count(x) > 1))))
for r in rows[1:]:
    try:
        ok = len(r) == 3 and math.isfinite(float(r[2]))
    except ValueError:
        ok = False
    if not ok:
        bad.append("not 'type feature weight': %r" % r)
n = len(feats)
texts = {"recommend -h": open(help_text).read(), "README.md": open(readme).read(),
         "docs/blend.md": open(blend_md).read()}
for where, rx, per in (("recommend -h", r"with (\d+) features", n),
                       ("README.md", r"with (\d+) features", n),
                       ("docs/blend.md", r"aid \+ (\d+) floats", n),
                       ("docs/blend.md", r"type's (\d+)\s+weights", n),
                       ("docs/blend.md", r"writes all (\d+) lines", 3 * n)):
    nums = [int(x) for x in re.findall(rx, texts[where])]
    if not nums or any(x != per for x in nums):
        bad.append("%s says %s where /%s/ should be %d (%d features)" % (where, nums, rx, per, n))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
