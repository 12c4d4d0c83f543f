#!/usr/bin/env python3
"""Equal text of 2 MB, 4,000 student steps: the share of the teacher-scratch gap full KD closes, step by step.

Reads each seed's metrics.json (bench/lm_benchmark.sh full-sN with SSTEPS=4000 and
student.training.select=best_validation; eq2m-runs.sh) and writes eq2m.md and eq2m.json: validation
bits/byte of the scratch and the distilled student every 400 steps (one run each; with a constant
learning rate the curve at step s is the run that stops at s, less early stopping), the share of the
gap closed on validation at each step, and test bits/byte at the step validation chose.

    eq2m.py RUN_DIR [NAME]   (RUN_DIR/full-s1/metrics.json, RUN_DIR/full-s2/metrics.json, ...; writes NAME.md
                              and NAME.json, default eq2m: the near-duplicate split's runs are nd4k)
"""
import glob
import json
import os
import sys


def main(run_dir, name="eq2m"):
    here = os.path.dirname(os.path.abspath(__file__))
    seeds = {}
    for f in sorted(glob.glob(os.path.join(run_dir, "full-s*", "metrics.json"))):
        seed = int(f.split("full-s")[1].split("/")[0])
        seeds[seed] = {m["model"]: m for m in json.load(open(f))["models"]}
    lines = ["| step | " + " | ".join("seed %d: scratch / full KD (gap closed)" % s for s in seeds) + " | mean gap closed |",
             "| ---: |" + " ---: |" * (len(seeds) + 1)]
    out = {"seeds": {}}
    steps = None
    for s, m in seeds.items():
        t = m["teacher"]["validation_bits_per_byte"]
        sc = dict((int(a), b) for a, b in m["student-scratch"]["validation_curve"])
        kd = dict((int(a), b) for a, b in m["student-distilled"]["validation_curve"])
        steps = sorted(set(sc) & set(kd)) if steps is None else [x for x in steps if x in sc and x in kd]
        out["seeds"][s] = {
            "teacher_validation": t,
            "teacher_test": m["teacher"]["test_bits_per_byte"],
            "curve": [[x, sc[x], kd[x], (sc[x] - kd[x]) / (sc[x] - t)] for x in sorted(set(sc) & set(kd))],
            "scratch": {k: m["student-scratch"][k] for k in ("selected_step", "validation_bits_per_byte", "test_bits_per_byte")},
            "distilled": {k: m["student-distilled"][k] for k in ("selected_step", "validation_bits_per_byte", "test_bits_per_byte")},
        }
    for x in steps:
        cells, shares = [], []
        for s in seeds:
            row = next(r for r in out["seeds"][s]["curve"] if r[0] == x)
            shares.append(row[3])
            cells.append("%.3f / %.3f (%.0f%%)" % (row[1], row[2], 100 * row[3]))
        lines.append("| %d | %s | %.0f%% |" % (x, " | ".join(cells), 100 * sum(shares) / len(shares)))
    lines += ["", "| seed | teacher test | scratch: best step, test | full KD: best step, test | gap closed on test |",
              "| ---: | ---: | ---: | ---: | ---: |"]
    for s, r in out["seeds"].items():
        t, sc, kd = r["teacher_test"], r["scratch"], r["distilled"]
        share = (sc["test_bits_per_byte"] - kd["test_bits_per_byte"]) / (sc["test_bits_per_byte"] - t)
        r["test_gap_closed"] = share
        lines.append("| %d | %.3f | %d, %.3f | %d, %.3f | %.0f%% |" % (
            s, t, sc["selected_step"], sc["test_bits_per_byte"], kd["selected_step"], kd["test_bits_per_byte"], 100 * share))
    open(os.path.join(here, name + ".md"), "w").write("\n".join(lines) + "\n")
    json.dump(out, open(os.path.join(here, name + ".json"), "w"), indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
