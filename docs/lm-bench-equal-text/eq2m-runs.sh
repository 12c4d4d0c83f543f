#!/usr/bin/env bash
# As run (2026-12-05 from 02:21 UTC, two lanes at once, 1 PyTorch thread each, beside a watermark evaluation;
# the first loop waited for the runs before). Not meant to be run as is: the paths are the run's.
#   eq2m-runs.sh SEED
# The 1,000-step runs (seeds 1-2 03:10-03:18 UTC, after CI): OUTDIR=eq2m1k SSTEPS=1000 eq2m-runs.sh SEED
# Seed 3 (4,000 and 1,000 steps) 03:19-03:47 UTC, the two at once, without the first loop.
# Equal text, 2 MB (the main table's setting: the 2 MB teacher, 2 x 48 students, T = 1, alpha = 0.5),
# 4,000 student steps (4x the table's), early stopping on validation recorded as a curve every 400 steps:
# how the share of the gap full KD closes changes with the student's steps. Lane = seed.
cd /work/main
while pgrep -f share03-2k-s2.sh >/dev/null; do sleep 20; done
export DISTILL=/work/lmeq/d1 DISTILL_JAR=/work/lmeq/distill.jar SSTEPS=${SSTEPS:-4000} DISTILL4J_THREADS=1
OUT=/work/lmeq/${OUTDIR:-eq2m} TEACHER=/work/lmeq/share03/teacher/teacher \
  EXTRA="--no-progress --set student.training.select=best_validation" bash bench/lm_benchmark.sh full-s$1
