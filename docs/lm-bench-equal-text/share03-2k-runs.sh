#!/usr/bin/env bash
# As run (2026-12-05 01:17-01:38 UTC for seed 1, 02:02-02:21 UTC for seed 2, 03:51-04:06 UTC for seed 3, two
# lanes at once, 1 PyTorch thread each; seed N's steps were full-sN and fulltext-sN). Not meant to be run as is: the paths are the run's.
#   share03-2k-runs.sh drop|text [SEED]
# 3% of the text, 2,000 student steps: the scratch twin with dropout 0.1 (and KD on its own text with dropout),
# and full KD with 400k tokens of teacher text (no dropout), the same teacher (/work/lmeq/share03/teacher)
cd /work/main
export DISTILL=/work/lmeq/d1 DISTILL_JAR=/work/lmeq/distill.jar STUDENT_SHARE=0.03 SSTEPS=2000 DISTILL4J_THREADS=1
lane=$1
seed=${2:-1}
if [ "$lane" = drop ]; then
  OUT=/work/lmeq/share03-drop2k TEACHER=/work/lmeq/share03/teacher/teacher EXTRA="--no-progress --set student.dropout=0.1" bash bench/lm_benchmark.sh full-s$seed
else
  OUT=/work/lmeq/share03-text2k TEACHER=/work/lmeq/share03/teacher/teacher EXTRA="--no-progress" bash bench/lm_benchmark.sh fulltext-s$seed
fi
