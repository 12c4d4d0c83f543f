#!/usr/bin/env python3
"""Paired intervals for finished language-model runs: `distill eval` on each run's saved students
(distilled against scratch, the teacher as the gap's reference), on the test documents and, where
the run singled them out, on those without a near duplicate in training.

    tools/lm_paired_intervals.py RECIPE RUN_DIR... [--set KEY=VALUE ...] > intervals.tsv

RUN_DIR is a `distill run` output directory of a language-model recipe; the teacher is the one its
metrics.json names (a saved model's path, or RUN_DIR/teacher when the run trained it). The --set
overrides must give the run's data settings (split seed, split_by, ...): every model's bits per
byte is checked against the run's metrics.json, to the 4 digits printed, before a row is written.
DISTILL names the command (default ./distill; e.g. "java -Dai.djl.offline=true -jar COPY.jar" to keep
a long evaluation off a jar that a rebuild could replace).
"""
import json
import os
import shlex
import re
import subprocess
import sys
from pathlib import Path

FLOAT = r"(-?[0-9.]+)"


def teacher_of(run: Path, metrics: dict) -> Path:
    desc = metrics["models"][0]["description"]
    if desc.startswith("saved language model "):
        return Path(desc[len("saved language model "):])
    return run / "teacher"


def evaluate(recipe, run, teacher, split, sets):
    cmd = shlex.split(os.environ.get("DISTILL", "./distill")) + ["eval", str(run / "student-distilled"), "--recipe", recipe, "--split", split,
           "--against", str(run / "student-scratch"), "--teacher", str(teacher)]
    for s in sets:
        cmd += ["--set", s]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    bits = [float(x) for x in re.findall(r"bits/byte:\s+" + FLOAT, out)]  # model, teacher, against
    saved = re.search(r"this saves:\s+" + FLOAT + r" bits/byte over it \(95% interval " + FLOAT + " to " + FLOAT, out)
    p = re.search(r"sign-flip test: p = ([0-9.e+-]+) .*better on ([0-9,]+) of ([0-9,]+) documents", out)
    gap = re.search(r"closes " + FLOAT + r"% of it \(95% interval " + FLOAT + r"% to " + FLOAT, out)
    return bits, saved.groups(), p.groups(), gap.groups() if gap else ("", "", "")


def main():
    args = sys.argv[1:]
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    rest = [a for i, a in enumerate(args) if a != "--set" and (i == 0 or args[i - 1] != "--set")]
    recipe, runs = rest[0], [Path(r) for r in rest[1:]]
    print("\t".join(["run", "split", "documents", "bits_saved", "saved_low", "saved_high", "sign_flip_p",
                     "documents_distilled_better", "gap_share_pct", "gap_low_pct", "gap_high_pct"]))
    for run in runs:
        m = json.loads((run / "metrics.json").read_text())
        rows = {r["model"]: r for r in m["models"]}
        novel = (m["corpus"].get("split_overlap") or {}).get("test_without_near_duplicate")
        for split, key in [("test", "test_bits_per_byte"),
                           ("test_without_near_duplicate", "test_without_near_duplicate_bits_per_byte")]:
            if split != "test" and not novel and key not in rows["student-distilled"]:
                # A run from before the novel documents were scored: the recipe may still single them
                # out (the same split), checked by the test row above.
                try:
                    bits, saved, p, gap = evaluate(recipe, run, teacher_of(run, m), split, sets)
                except subprocess.CalledProcessError:
                    continue
            else:
                bits, saved, p, gap = evaluate(recipe, run, teacher_of(run, m), split, sets)
            want = [rows[r].get(key) for r in ("student-distilled", "teacher", "student-scratch")]
            if None not in want and any(abs(b - w) > 6e-5 for b, w in zip(bits, want)):
                sys.exit(f"{run} {split}: eval gives {bits}, the run reported {want}: check the --set overrides")
            print("\t".join([str(run), split, p[2].replace(",", ""), *saved, p[0], p[1].replace(",", ""), *gap]),
                  flush=True)


if __name__ == "__main__":
    main()
