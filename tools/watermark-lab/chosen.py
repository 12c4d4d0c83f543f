#!/usr/bin/env python3
"""The watermark evaluation with each student's epochs chosen as its owner would choose them.

For every watermarked Fashion-MNIST student (share, architecture, temperature) and key, the epoch
count among those run (tools/watermark-eval.sh -Dwatermark.eval.epochs=E, 15 = the default) with the
best accuracy on the evaluation's unused rows (training rows 50,000-59,999: no model trained on them,
and they are not the test rows), then that student's p-values (docs/audit.md, "Students trained to
convergence").

    chosen.py RESULTS_DIR SUSPECTS_DIR     (as epochs.py: e{E}-key{K}.json, the suspect cache)
"""
import json
import os
import sys

import numpy as np

import common
from epochs import load_runs

TEST, EXTRA_FROM, EXTRA_TO = 10_000, 50_000, 60_000  # the probe pool: test rows, then these training rows


def main(results_dir, suspects_dir):
    labels = common.labels("train-labels-idx1-ubyte.gz")[EXTRA_FROM:EXTRA_TO]
    runs = load_runs(results_dir)
    mix = "served_to_mix_4927"
    lines = ["| student | key | validation accuracy by epochs | chosen | p, served (100%: 10,000; 25%: 4,927 to its collector) | p, 10,000 fresh test rows |",
             "| --- | ---: | --- | ---: | ---: | ---: |"]
    chosen_all = []
    for key in sorted({k for _, k in runs}):
        for base in ("wm100-0-T4", "wm100-1-T1", "wm100-2-T2", "wm25-0-T4", "wm25-1-T1", "wm25-2-T2"):
            val = {}
            for (e, k) in sorted(runs):
                if k != key:
                    continue
                name = "%s-key%d%s" % (base, key, "" if e == 15 else "-e%d" % e)
                f = os.path.join(suspects_dir, name + ".json")
                if not os.path.exists(f):
                    continue
                x = np.array(json.load(open(f))["testLogits"], dtype=np.float32).reshape(-1, 10)
                val[e] = (float((x[TEST:TEST + len(labels)].argmax(1) == labels).mean()), name)
            best = max(val, key=lambda e: (val[e][0], -e))  # ties: the shorter schedule
            res, name = runs[(best, key)], val[best][1]
            served = res["served_rows_10000" if base.startswith("wm100") else mix]
            p_served = next(r["p"] for r in served if r["model"] == name)
            p_fresh = next(r["p"] for r in res["test_rows_10000"] if r["model"] == name)
            chosen_all.append({"student": base, "key": key, "validation": {e: v[0] for e, v in val.items()},
                               "epochs": best, "p_served": p_served, "p_fresh": p_fresh})
            lines.append("| %s | %d | %s | %d | %s | %.1e |" % (
                base, key, ", ".join("%d: %.2f%%" % (e, 100 * v[0]) for e, v in sorted(val.items())), best,
                ("**%.1e**" if p_served < 1e-6 else "%.1e") % p_served, p_fresh))
    below = sum(c["p_served"] < 1e-6 for c in chosen_all)
    lines.append("")
    lines.append("%d of %d chosen students below 1e-6 on served rows." % (below, len(chosen_all)))
    print("\n".join(lines))
    return chosen_all


if __name__ == "__main__":
    out = main(sys.argv[1], sys.argv[2])
    if len(sys.argv) > 3:
        json.dump(out, open(sys.argv[3], "w"), indent=1)
