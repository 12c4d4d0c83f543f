#!/usr/bin/env bash
# As run (2026-12-05 04:37-05:42 UTC, jar of 2bd77c3; docs/lm-benchmarks.md, "A test split without near
# duplicates"). Not meant to be run as is: the paths are the run's. /work/nd/d2 and d1 are the `distill`
# launcher's flags with 2 and 1 PyTorch threads (see eq2m-runs.sh's /work/lmeq/d1).
# 1. The 2 MB teacher on the near-duplicate split (the main table's recipe and teacher; the step also
#    trains 50-step students, not used), 2 threads, 501 s:
cd /work/main
DISTILL=/work/nd/d2 DISTILL_JAR=/work/nd/distill.jar SSTEPS=50 DISTILL4J_THREADS=2 OUT=/work/nd/teacher \
  EXTRA="--no-progress --set data.split_by=near_duplicates" bash bench/lm_benchmark.sh teacher
# 2. Each seed's scratch and full-KD students (the main table's 2 x 48, T = 1, alpha = 0.5, constant 3e-3),
#    early stopping on validation, 1 PyTorch thread; seeds 1 and 2 at 4,000 steps side by side, then seed 3
#    at 4,000 beside seeds 1-3 at 1,000 steps (outputs nd4k/ and nd1k/):
lane() { # lane SEED STEPS OUTDIR
  DISTILL=/work/nd/d1 DISTILL_JAR=/work/nd/distill.jar SSTEPS=$2 DISTILL4J_THREADS=1 OUT=/work/nd/$3 \
    TEACHER=/work/nd/teacher/teacher/teacher \
    EXTRA="--no-progress --set data.split_by=near_duplicates --set student.training.select=best_validation" \
    bash bench/lm_benchmark.sh full-s$1
}
lane 1 4000 nd4k & lane 2 4000 nd4k; wait
lane 3 4000 nd4k & (lane 1 1000 nd1k; lane 2 1000 nd1k; lane 3 1000 nd1k); wait
# 3. Tables and held-out scores:
python3 docs/lm-bench-equal-text/eq2m.py /work/nd/nd4k nd4k
python3 docs/lm-bench-equal-text/eq2m.py /work/nd/nd1k nd1k
java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp /work/nd/distill.jar tools/LmHeldOutEval.java \
  ../shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128 /work/nd/teacher/teacher/teacher \
  /work/nd/nd4k/full-s{1,2,3}/student-{scratch,distilled} /work/nd/nd1k/full-s{1,2,3}/student-{scratch,distilled}
# 4. How much of test and validation the training split contains, by document and by group:
java -cp distill-cli/target/distill.jar tools/LmSplitOverlap.java ../shared/data/debian-descriptions/train.jsonl.gz 2000000 42
# 5. (05:44-06:11 UTC, beside CI and a test build) full KD with 400k tokens of the teacher's text added to the
#    student's transfer set (bench/lm_benchmark.sh fulltext-sN; the scratch twins are nd4k/full-sN's), seeds 1, 2:
textlane() { # textlane SEED
  DISTILL=/work/nd/d1 DISTILL_JAR=/work/nd/distill.jar SSTEPS=4000 DISTILL4J_THREADS=1 OUT=/work/nd/nd4k \
    TEACHER=/work/nd/teacher/teacher/teacher \
    EXTRA="--no-progress --set data.split_by=near_duplicates --set student.training.select=best_validation" \
    bash bench/lm_benchmark.sh fulltext-s$1
}
textlane 1 & textlane 2; wait
