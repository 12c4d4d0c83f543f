#!/usr/bin/env bash
# As run (2026-12-05 07:17-08:43 UTC, jar of 2bd77c3, the one nd-runs.sh used; docs/lm-benchmarks.md,
# "Five teachers"). Not meant to be run as is: the paths are the run's; /work/nd/d1 is the `distill`
# launcher with 1 PyTorch thread (see eq2m-runs.sh's /work/lmeq/d1).
# 1. Two more teachers on the near-duplicate split of the first 2 MB (the main table's 4 x 128, 1,500 steps),
#    recipe seeds 2 and 3, each run also training that seed's full-KD student (and for seed 2 its scratch
#    twin again, to check it equals nd4k/full-s2's: it does, to every digit) with 4,000 steps and early
#    stopping on validation; side by side, 1 PyTorch thread each (seed 2: 2,443 s, seed 3: 2,014 s in all):
teachlane() { # teachlane K [noscratch]
  X=(); [ "${2:-}" = noscratch ] && X=(--set evaluation.scratch=false)
  /work/nd/d1 run recipes/lm-debian.yaml --acknowledge-unknown-terms --set data.split_seed=42 \
    --set student.training.steps=4000 --set teacher.training.steps=1500 --no-progress \
    --set data.split_by=near_duplicates --set student.training.select=best_validation \
    --set seed=$1 --set distillation.variant=full "${X[@]}" --set name=lm-bench-ndteacher-s$1 \
    --out /work/nd/ndteach/s$1 > /work/nd/ndteach/s$1.log 2>&1
}
cd /work/main
teachlane 2 & teachlane 3 noscratch; wait
# then seeds 4 and 5, new student seeds with their scratch twins (1,985 s and 1,976 s):
teachlane 4 & teachlane 5; wait
for k in 2 3 4 5; do cp /work/nd/ndteach/s$k/metrics.json docs/lm-bench-equal-text/ndteach-s$k.json; done
# 2. Held-out bits/byte (the 500 KB of later packages), 1 thread each:
cd /work/nd
J="java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp /work/nd/distill.jar /work/main/tools/LmHeldOutEval.java"
$J /work/main/../shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128 ndteach/s2/teacher ndteach/s2/student-distilled
$J /work/main/../shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128 ndteach/s3/teacher \
  ndteach/s3/student-distilled ndteach/s2/student-scratch
for k in 4 5; do
  $J /work/main/../shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128 ndteach/s$k/teacher \
    ndteach/s$k/student-scratch ndteach/s$k/student-distilled
done
# (their rows are heldout-ndteach.tsv)
# 3. The table: python3 docs/lm-bench-equal-text/ndteach.py
