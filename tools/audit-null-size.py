"""The audit's test size over null sets (docs/audit.md, "How often an honest model is flagged").

In `tools/audit-eval.sh`'s evaluation every suspect of one architecture is tested against the same
K null models, so its count of honest models below alpha is one draw of one null set: a null set
whose scores happen to spread narrowly flags several honest models at once. This script asks what
the test does over null sets instead. For the teacher-consensus reference set of a results file
(`docs/audit-eval*.json`), it pools, per data set, budget and architecture, every model of that
architecture that is independent of the teacher and exchangeable with the null models (the null
models, the models trained from scratch, the negatives of the teacher's architecture; not the
students of the other teacher, which score lower), all scored against the same consensus. Each
pooled model is then tested, with the audit's t prediction test (`ModelLevelTest`), against every
K-subset of the others (2,000 drawn at random, seed 42, where there are more): the share of those
tests below alpha is the test's size at alpha, which a valid test keeps at or below alpha. The share of null sets under which a model from scratch of
that architecture would be flagged with probability above 5% (the null set's conditional rate,
from the pool's own mean and spread) says how much one evaluation's count depends on its null set.

    python3 tools/audit-null-size.py docs/audit-eval.json [K ...]      (K: 6 by default)
"""
import itertools
import json
import math
import sys

import numpy as np
from scipy import stats

ALPHAS = (0.01, 0.05)


def arch(name):
    parts = name.split("-")
    return parts[2] if name.startswith("teacher-arch") else parts[1]


def pools(budget):
    """Architecture -> Fisher z scores of every independent model exchangeable with the null models."""
    out = {}
    for s in budget["suspects"]:
        if s["distilled"] or s["group"] == "other-teacher":
            continue
        entry = out.setdefault(arch(s["name"]), {"nulls": s["null_scores"], "independent": []})
        if entry["nulls"] != s["null_scores"]:
            raise SystemExit(f"{s['name']}: null scores differ within architecture {arch(s['name'])}")
        entry["independent"].append(s["score"])
    return {a: np.arctanh(np.clip(np.array(e["nulls"] + e["independent"]), -0.999999, 0.999999))
            for a, e in out.items()}


def p_value(z, sample):
    k = len(sample)
    sd = sample.std(ddof=1)
    t = (z - sample.mean()) / (sd * math.sqrt(1 + 1 / k))
    return stats.t.sf(t, k - 1)


def subsets(n, k, rng, limit=2000):
    """Every k-subset of range(n), or `limit` drawn at random (seeded) when there are more."""
    if math.comb(n, k) <= limit:
        return [list(c) for c in itertools.combinations(range(n), k)]
    return [sorted(rng.choice(n, k, replace=False)) for _ in range(limit)]


def size(pool, k):
    """(tests, below each alpha, share of null sets whose conditional rate at 0.01 exceeds 5%)."""
    below = [0] * len(ALPHAS)
    tests = 0
    bad_sets = 0
    sets = 0
    mu, sigma = pool.mean(), pool.std(ddof=1)
    q = stats.t.isf(0.01, k - 1)
    rng = np.random.default_rng(42)
    for i in range(len(pool)):
        others = np.delete(pool, i)
        for subset in subsets(len(others), k, rng):
            sample = others[subset]
            p = p_value(pool[i], sample)
            tests += 1
            for j, a in enumerate(ALPHAS):
                below[j] += p < a
    for subset in subsets(len(pool), k, rng):
        sample = pool[subset]
        threshold = sample.mean() + q * sample.std(ddof=1) * math.sqrt(1 + 1 / k)
        sets += 1
        bad_sets += stats.norm.sf(threshold, mu, sigma) > 0.05
    return tests, below, bad_sets / sets


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    results = json.load(open(sys.argv[1]))
    ks = [int(k) for k in sys.argv[2:]] or [6]
    print("| data | queries | K | models pooled per architecture | tests | size at 0.01 | size at 0.05 "
          "| null sets flagging > 5% at 0.01 |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for data, d in results["datasets"].items():
        tc = d["references"].get("teacher-consensus")
        if tc is None:
            continue
        for budget, b in tc["budgets"].items():
            by_arch = pools(b)
            for k in ks:
                tests = 0
                below = [0] * len(ALPHAS)
                bad = []
                used = {a: pool for a, pool in by_arch.items() if len(pool) > k}
                if not used:
                    continue
                for a, pool in used.items():
                    t, bl, share = size(pool, k)
                    tests += t
                    below = [x + y for x, y in zip(below, bl)]
                    bad.append(share)
                # an architecture with K or fewer pooled models cannot give K others: left out, and said
                sizes = ", ".join(f"{a} {len(p)}" if a in used else f"{a} {len(p)} (too few)"
                                  for a, p in by_arch.items())
                print(f"| {data} | {int(budget):,} | {k} | {sizes} | {tests:,} | {below[0] / tests:.2%} "
                      f"| {below[1] / tests:.2%} | {np.mean(bad):.0%} |")


if __name__ == "__main__":
    main()
