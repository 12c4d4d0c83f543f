#!/usr/bin/env bash
# Patience at equal text of 2 MB: the main table's setting (2 MB teacher of 1,500 steps, 2 x 48
# students, T = 1, alpha = 0.5, constant rate) with 8,000 student steps (2x the 4,000-step section)
# and early stopping on validation (curve every 800 steps). Seed 1, 2 threads.
while pgrep -f "lm-cap-s2" >/dev/null; do sleep 10; done
cd /work/main
export DISTILL=/work/lmcap/d1 DISTILL_JAR=/work/lmcap/distill.jar DISTILL4J_THREADS=2 SSTEPS=8000
OUT=/work/lmcap/p8k EXTRA="--no-progress --set student.training.select=best_validation" bash bench/lm_benchmark.sh teacher
