#!/usr/bin/env python3
"""Summarises bench/lm_benchmark.sh's runs (OUT/*/metrics.json, provenance.json, timings.tsv,
stepcost.log) into docs/lm-bench/summary.json and docs/lm-bench/table.md (the tables of
docs/lm-benchmarks.md). Missing rows are reported as not run. Seed 1's full-distribution row is
the run `teacher` when the teacher was trained there, else `full-s1` (a saved TEACHER); rows
that selected their best validation step (STUDENT_SHARE runs) record it.

    python3 bench/lm_benchmark_summary.py [OUT=runs/lm-bench] [DOCS=docs/lm-bench]
"""
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "runs/lm-bench"
docs = sys.argv[2] if len(sys.argv) > 2 else "docs/lm-bench"
os.makedirs(docs, exist_ok=True)


def load(name):
    p = os.path.join(out, name, "metrics.json")
    if not os.path.exists(p):
        return None
    m = json.load(open(p))
    rows = {r["model"]: r for r in m["models"]}
    prov = os.path.join(out, name, "student-distilled", "provenance.json")
    manifest = json.load(open(prov)) if os.path.exists(prov) else {}
    # label_collection since the manifest took the classifiers' format; collection in older runs.
    coll = manifest.get("label_collection") or manifest.get("collection") or {}
    return m, rows, coll


FIRST = "teacher" if load("teacher") else "full-s1"
m0, rows0, _ = load(FIRST)
teacher = rows0["teacher"]
train_positions = m0["corpus"]["train_tokens"]
student_tokens = rows0["student-scratch"]["training_tokens"]
V = 258
scratch = {1: rows0["student-scratch"]}
full2 = load("full-s2")
if full2:
    scratch[2] = full2[1]["student-scratch"]

ROWS = [
    ("seq", "(a) sequence-level KD, teacher text"),
    ("top1", "(b) top-1 over HTTP"),
    ("top5", "(c) top-5 over HTTP"),
    ("top20", "(d) top-20 over HTTP"),
    ("sampled", "(e) sampled KD, 12 draws"),
    ("full", "(f) full distribution, in-process"),
    # Teacher text joins the students' documents (distillation.teacher_text_tokens).
    ("seqtext", "(a+) own text + teacher text, CE only"),
    ("top20text", "(d+) top-20 on own text + teacher text, in-process"),
    ("top20texthttp", "(d+) the same over HTTP (96-token continuations)"),
    ("fulltext", "(f+) full distribution on own text + teacher text"),
]


def run_name(key, seed):
    return FIRST if (key, seed) == ("full", 1) else f"{key}-s{seed}"


summary = {
    "corpus": {k: m0["corpus"].get(k) for k in ("documents", "bytes", "train_tokens", "student_share",
                                                 "student_documents")},
    "unigram_test_bits_per_byte": m0["unigram"]["test_bits_per_byte"],
    "teacher": {k: teacher.get(k) for k in ("parameters", "test_bits_per_byte", "validation_bits_per_byte",
                                        "training_tokens", "training_tokens_per_second",
                                        "generation_tokens_per_second")},
    "student_parameters": rows0["student-scratch"]["parameters"],
    "student_training_tokens": student_tokens,
    "train_positions": train_positions,
    "scratch": {s: {"test_bits_per_byte": r["test_bits_per_byte"],
                    "training_tokens_per_second": r["training_tokens_per_second"],
                    "top1_agreement": r["top1_agreement_with_teacher"],
                    "generation_tokens_per_second": r["generation_tokens_per_second"],
                    "selected_step": r.get("selected_step")}
                for s, r in scratch.items()},
    "rows": {},
}
t_bpb = teacher["test_bits_per_byte"]
for key, label in ROWS:
    row = {"label": label, "seeds": {}}
    for seed in (1, 2):
        r = load(run_name(key, seed))
        if r is None:
            continue
        m, rows, coll = r
        d = rows["student-distilled"]
        s = scratch.get(seed)
        e = {"test_bits_per_byte": d["test_bits_per_byte"],
             "training_tokens": d["training_tokens"],
             "training_tokens_per_second": d["training_tokens_per_second"],
             "top1_agreement": d.get("top1_agreement_with_teacher"),
             "selected_step": d.get("selected_step"),
             "collection": {k: coll.get(k) for k in ("source", "bytes", "seconds", "tokens", "documents",
                                                     "requests", "short_positions", "unmapped_tokens",
                                                     "teacher_text")
                            if k in coll}}
        if s is not None:
            e["gap_closed"] = (s["test_bits_per_byte"] - d["test_bits_per_byte"]) / (s["test_bits_per_byte"] - t_bpb)
        if "student-scratch" in rows:
            e["tokens_per_second_ratio_same_run"] = (rows["student-scratch"]["training_tokens_per_second"]
                                                     / d["training_tokens_per_second"])
        row["seeds"][seed] = e
    seeds = row["seeds"]
    if seeds:
        row["mean_test_bits_per_byte"] = statistics.mean(v["test_bits_per_byte"] for v in seeds.values())
        gaps = [v["gap_closed"] for v in seeds.values() if "gap_closed" in v]
        if gaps:
            row["mean_gap_closed"] = statistics.mean(gaps)
    # Bytes of teacher output: what was stored (top-k caches, generated text) or what a cache of
    # the in-process signal would hold over the training split (full: V float32; sampled: 12 x
    # (int32 id + float16 weight), an upper bound since repeated draws merge).
    text = [v["collection"]["teacher_text"]["tokens"] for v in seeds.values() if "teacher_text" in v["collection"]]
    text_tokens = statistics.mean(text) if text else 0
    if key == "seqtext":
        row["teacher_output_bytes"] = text_tokens or None
        row["teacher_output_note"] = "generated text (tokens = bytes + BOS/EOS), mean per seed"
    elif key in ("top20text", "top20texthttp"):
        b = [v["collection"].get("bytes") for v in seeds.values() if v["collection"].get("bytes")]
        row["teacher_output_bytes"] = statistics.mean(b) + text_tokens if b else None
        row["teacher_output_note"] = "top-k cache over own + teacher text, plus the text, mean per seed"
    elif key == "fulltext":
        row["teacher_output_bytes"] = (train_positions + text_tokens) * V * 4
        row["teacher_output_note"] = "equivalent: float32 logits over own + teacher text (computed each step)"
    elif key.startswith("top"):
        b = [v["collection"].get("bytes") for v in seeds.values() if v["collection"].get("bytes")]
        row["teacher_output_bytes"] = b[0] if b else None
        row["teacher_output_note"] = "top-k cache file (int32 id + float16 log-prob per entry)"
    elif key == "seq":
        b = [v["collection"].get("tokens") for v in seeds.values() if v["collection"].get("tokens")]
        row["teacher_output_bytes"] = statistics.mean(b) if b else None
        row["teacher_output_note"] = "generated text (tokens = bytes + BOS/EOS), per seed"
    elif key == "full":
        row["teacher_output_bytes"] = train_positions * V * 4
        row["teacher_output_note"] = "equivalent: float32 logits over the train split (computed each step)"
    elif key == "sampled":
        row["teacher_output_bytes"] = train_positions * 12 * 6
        row["teacher_output_note"] = "equivalent: <= 12 (int32, float16) per position (drawn each step)"
    summary["rows"][key] = row

timings = []
tp = os.path.join(out, "timings.tsv")
if os.path.exists(tp):
    for line in open(tp):
        f = line.rstrip("\n").split("\t")
        timings.append({"step": f[0], "start": f[1], "end": f[2], "seconds": int(f[3]), "load_at_end": f[4]})
summary["timings"] = timings
sc = os.path.join(out, "stepcost.log")
summary["stepcost"] = open(sc).read() if os.path.exists(sc) else None
json.dump(summary, open(os.path.join(docs, "summary.json"), "w"), indent=1)


def f3(x):
    return "–" if x is None else f"{x:.3f}"


def mb(x):
    return "–" if x is None else (f"{x / 1e9:.2f} GB" if x >= 1e9 else f"{x / 1e6:.1f} MB")


lines = ["| row | test bits/byte s1 | s2 | mean | gap closed (s1, s2; mean) | teacher output | step tokens/s vs scratch (same run) |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
         f"| unigram | | | {f3(summary['unigram_test_bits_per_byte'])} | – | – | – |",
         f"| teacher 4 × 128 ({teacher['parameters']:,} params) | | | {f3(t_bpb)} | 100% | – | – |"]
sm = [v["test_bits_per_byte"] for v in summary["scratch"].values()]
lines.append(f"| scratch 2 × 48 ({summary['student_parameters']:,} params), CE | {f3(summary['scratch'].get(1, {}).get('test_bits_per_byte'))} "
             f"| {f3(summary['scratch'].get(2, {}).get('test_bits_per_byte'))} | {f3(statistics.mean(sm))} | 0% | 0 | 1.00 |")
for key, label in ROWS:
    row = summary["rows"][key]
    s = row["seeds"]
    if not s:
        lines.append(f"| {label} | not run | not run | | | | |")
        continue
    g = [f"{100 * s[x]['gap_closed']:.0f}%" if x in s and "gap_closed" in s[x] else "–" for x in (1, 2)]
    gm = f"{100 * row['mean_gap_closed']:.0f}%" if "mean_gap_closed" in row else "–"
    ratios = [f"{s[x]['tokens_per_second_ratio_same_run']:.2f}×" for x in (1, 2) if x in s and "tokens_per_second_ratio_same_run" in s[x]]
    tps = ", ".join(f"{s[x]['training_tokens_per_second']:,.0f}" for x in (1, 2) if x in s)
    lines.append(f"| {label} | {f3(s.get(1, {}).get('test_bits_per_byte'))} | {f3(s.get(2, {}).get('test_bits_per_byte'))} "
                 f"| {f3(row['mean_test_bits_per_byte'])} | {g[0]}, {g[1]}; **{gm}** | {mb(row.get('teacher_output_bytes'))} "
                 f"| {tps} tokens/s" + (f" ({', '.join(ratios)} slower than its run's scratch)" if ratios else "") + " |")
lines.append("")
lines.append("| step | start | end | seconds | load at end |")
lines.append("| --- | --- | --- | ---: | --- |")
for t in timings:
    lines.append(f"| {t['step']} | {t['start']} | {t['end']} | {t['seconds']} | {t['load_at_end']} |")
open(os.path.join(docs, "table.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
