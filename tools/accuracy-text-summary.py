#!/usr/bin/env python3
"""Summarises tools/accuracy-text.sh: test macro-F1 and accuracy of the scratch and distilled
students per variant (plain cached outputs, cross-fitted), mean and sample std over seeds, and the
gains (macro-F1, accuracy) in units of the larger std. Usage: tools/accuracy-text-summary.py OUT"""
import json, pathlib, statistics, sys

out = pathlib.Path(sys.argv[1])
rows = {}
for metrics in sorted(out.glob("*-s*/metrics.json")):
    variant, seed = metrics.parent.name.rsplit("-s", 1)
    models = json.loads(metrics.read_text())["models"]
    for role in ("student_scratch", "student_distilled"):
        m = models[role]
        last = m["history"][-1]
        rows.setdefault((variant, role), []).append(
            (int(seed), m["test_macro_f1"], m["test_accuracy"], last.get("val_accuracy")))
    rows.setdefault((variant, "teacher"), []).append(
        (int(seed), models["teacher"]["test_macro_f1"], models["teacher"]["test_accuracy"], None))

def stats(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else float("nan"))

print("| variant | model | seeds | test macro-F1 | test accuracy | validation accuracy |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for (variant, role), rs in sorted(rows.items()):
    f1, acc = stats([r[1] for r in rs]), stats([r[2] for r in rs])
    vals = [r[3] for r in rs if r[3] is not None]
    val = "%.2f%%" % (100 * statistics.mean(vals)) if vals else ""
    print("| %s | %s | %s | %.2f%% ± %.2f | %.2f%% ± %.2f | %s |" % (
        variant, role, ",".join(str(r[0]) for r in sorted(rs)), 100 * f1[0], 100 * f1[1],
        100 * acc[0], 100 * acc[1], val))
print()
for variant in sorted({v for v, _ in rows}):
    s, d = rows.get((variant, "student_scratch")), rows.get((variant, "student_distilled"))
    if not s or not d or len(s) < 2:
        continue
    sf, df = stats([r[1] for r in s]), stats([r[1] for r in d])
    gain = df[0] - sf[0]
    print("%s: distilled - scratch macro-F1 = %+.2f points = %.1f x the larger std (%.2f)" % (
        variant, 100 * gain, gain / max(sf[1], df[1]), 100 * max(sf[1], df[1])))
    sa, da = stats([r[2] for r in s]), stats([r[2] for r in d])
    print("%s: distilled - scratch accuracy = %+.2f points = %.1f x the larger std (%.2f)" % (
        variant, 100 * (da[0] - sa[0]), (da[0] - sa[0]) / max(sa[1], da[1]), 100 * max(sa[1], da[1])))
