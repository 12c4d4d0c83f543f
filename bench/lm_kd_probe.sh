#!/bin/bash
# Issue 11's 50% goal: full-distribution KD students (seed 1) at other alpha / T than the
# benchmark's 0.5 / 1, on the teacher of bench/lm_benchmark.sh (run its `teacher` step first).
# Compare on validation bits/byte (runs/lm-probe/*/metrics.json). docs/lm-benchmarks.md has the results.
set -euo pipefail
cd "$(dirname "$0")/.."
teacher="$(realpath runs/lm-bench/teacher/teacher)"
mkdir -p runs/lm-probe
for cfg in "1.0 1" "1.0 2"; do
  set -- $cfg; a=$1; t=$2; name=full-a$a-t$t-s1
  s=$(date +%s)
  ./distill run recipes/lm-debian.yaml --acknowledge-unknown-terms --set data.split_seed=42 \
    --set student.training.steps=1000 --set teacher.training.steps=1500 \
    --set teacher.layers= --set teacher.width= --set teacher.heads= --set teacher.positions= --set teacher.training= \
    --set teacher.path="$teacher" --set evaluation.scratch=false --set seed=1 --set distillation.variant=full \
    --set distillation.alpha="$a" --set distillation.temperature="$t" --set name="lm-probe-$name" \
    --out "runs/lm-probe/$name" > "runs/lm-probe/$name.log" 2>&1
  echo "$name $(( $(date +%s) - s )) s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a runs/lm-probe/timings.txt
done
