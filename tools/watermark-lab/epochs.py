#!/usr/bin/env python3
"""Watermark detection against the students' training length (docs/audit.md, "Students trained longer").

Reads the evaluation's results (tools/watermark-eval.sh with -Dwatermark.eval.epochs=E; on Fashion-MNIST
the default 15 epochs are docs/watermark-eval/results-keyK.json) and each watermarked student's test
accuracy (the results' test_accuracy, or, for results written before it existed, the student's logits
on the 10,000 test rows in the evaluation's suspect cache, Fashion-MNIST only), and writes a Markdown
table and a JSON summary.

    epochs.py RESULTS_DIR SUSPECTS_DIR|- OUT_PREFIX
      RESULTS_DIR   holds e{E}-key{K}.json for every epoch count E and key K run (e15-key{K}.json may be
                    copies of docs/watermark-eval/results-key{K}.json)
      SUSPECTS_DIR  distill-core/target/watermark-eval/suspects-with-transfer, or - for none
"""
import glob
import json
import os
import re
import sys

import numpy as np

import common



def load_runs(results_dir):
    """{(epochs, key): results} for every e{E}-key{K}.json in results_dir."""
    runs = {}
    for f in glob.glob(os.path.join(results_dir, "e*-key*.json")):
        m = re.match(r"e(\d+)-key(\d+)\.json", os.path.basename(f))
        runs[(int(m.group(1)), int(m.group(2)))] = json.load(open(f))
    return runs


def sections(results):
    """(section of the results, probes): served rows, those served to the 25% collector, fresh rows."""
    mix = max((k for k in results if k.startswith("served_to_mix_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    return [("served_rows_10000", "10,000 served"),
            (mix, "{:,} served to the 25% collector".format(int(mix.rsplit("_", 1)[1]))),
            ("test_rows_10000", "10,000 fresh test rows")]


def main(results_dir, suspects_dir, out_prefix):
    runs = load_runs(results_dir)
    rows = []
    for (epochs, key), res in sorted(runs.items()):
        for section, probes in sections(res):
            for r in res[section]:
                if not r["distilled"]:
                    continue
                # wm{share}-{i}-T{t}-key{k}[-e{E}]
                share, _, temp = r["model"].split("-")[:3]
                rows.append({"epochs": epochs, "key": key, "student": share[2:] + "%, " + temp,
                             "model": r["model"], "probes": probes, "p": r["p"]})
        negatives = [r["p"] for section, _ in sections(res) for r in res[section] if not r["distilled"]]
        rows.append({"epochs": epochs, "key": key, "student": "negatives below 0.01", "model": "",
                     "probes": "all three", "p": sum(p < 0.01 for p in negatives), "of": len(negatives)})
    accuracy = {}
    for res in runs.values():
        accuracy.update({m: a for m, a in res.get("test_accuracy", {}).items() if m.startswith("wm")})
    labels = None
    for r in rows:
        f = os.path.join(suspects_dir, r["model"] + ".json")
        if r["model"] and r["model"] not in accuracy and suspects_dir != "-" and os.path.exists(f):
            if labels is None:
                labels = common.labels("t10k-labels-idx1-ubyte.gz")
            x = np.array(json.load(open(f))["testLogits"], dtype=np.float32).reshape(-1, 10)[:10000]
            accuracy[r["model"]] = float((x.argmax(1) == labels).mean())
    epochs_run = sorted({e for e, _ in runs})
    keys = sorted({k for _, k in runs})
    lines = ["| student | probes | " + " | ".join("%d epochs: keys %s" % (e, ", ".join(map(str, keys)))
                                                  for e in epochs_run) + " |",
             "| --- | --- |" + " ---: |" * len(epochs_run)]
    order = []
    for r in rows:
        if (r["student"], r["probes"]) not in order:
            order.append((r["student"], r["probes"]))
    for student, probes in order:
        cells = []
        for e in epochs_run:
            vals = []
            for k in keys:
                hit = [r for r in rows if r["student"] == student and r["probes"] == probes
                       and r["epochs"] == e and r["key"] == k]
                if not hit:
                    vals.append("-")
                elif "of" in hit[0]:
                    vals.append("%d/%d" % (hit[0]["p"], hit[0]["of"]))
                else:
                    p = hit[0]["p"]
                    vals.append(("**%.1e**" if p < 1e-6 else "%.1e") % p)
            cells.append(", ".join(vals))
        lines.append("| %s | %s | %s |" % (student, probes, " | ".join(cells)))
    lines += ["", "Test accuracy of the watermarked students (10,000 test rows), keys " + ", ".join(map(str, keys)) + ":", "",
              "| student | " + " | ".join("%d epochs" % e for e in epochs_run) + " |",
              "| --- |" + " ---: |" * len(epochs_run)]
    students = []
    for r in rows:
        if r["model"] and r["student"] not in students:
            students.append(r["student"])
    for student in students:
        cells = []
        for e in epochs_run:
            models = []  # one per key, in key order
            for r in rows:
                if r["student"] == student and r["epochs"] == e and r["model"] in accuracy and r["model"] not in models:
                    models.append(r["model"])
            accs = [accuracy[m] for m in models]
            cells.append(", ".join("%.2f%%" % (100 * a) for a in accs) if accs else "-")
        lines.append("| %s | %s |" % (student, " | ".join(cells)))
    open(out_prefix + ".md", "w").write("\n".join(lines) + "\n")
    json.dump({"rows": rows, "test_accuracy": accuracy}, open(out_prefix + ".json", "w"), indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:4])
