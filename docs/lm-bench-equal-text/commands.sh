#!/usr/bin/env bash
# The runs of docs/lm-benchmarks.md, "Equal text, less of it" (2026-12-04, as run; /work/lmeq was
# the working directory, distill.jar the CLI jar of commit 3047017, d the launcher's JVM flags with
# 2 PyTorch threads and OMP_WAIT_POLICY=PASSIVE). Not meant to be run as is: the paths are the run's.
set -euo pipefail
J=(java -Dai.djl.offline=true -Djava.awt.headless=true -Dai.djl.pytorch.num_interop_threads=1
   -Dai.djl.pytorch.num_threads=2 -jar /work/lmeq/distill.jar)
C=(recipes/lm-debian.yaml --acknowledge-unknown-terms --no-progress --set data.split_seed=42
   --set student.training.steps=1000 --set teacher.training.steps=1500 --set student.training.select=best_validation)
# 1. Teachers trained on the same bytes as the students, with dropout and early stopping; the same
#    run trains seed 1's scratch and full-KD students (b300k: dropout 0.1; b100k: dropout 0.2).
"${J[@]}" run "${C[@]}" --set data.max_bytes=300000 --set teacher.dropout=0.1 --set teacher.training.select=best_validation \
    --set seed=1 --set distillation.variant=full --out /work/lmeq/b300k/teacher
"${J[@]}" run "${C[@]}" --set data.max_bytes=100000 --set teacher.dropout=0.2 --set teacher.training.select=best_validation \
    --set seed=1 --set distillation.variant=full --out /work/lmeq/b100k/teacher
# 2. The other rows with the saved teacher (bench/lm_benchmark.sh's EXTRA and TEACHER):
OUT=/work/lmeq/b100k-bench DISTILL=/work/lmeq/d TEACHER=/work/lmeq/b100k/teacher/teacher DISTILL_JAR=/work/lmeq/distill.jar \
EXTRA="--set data.max_bytes=100000 --set student.training.select=best_validation --no-progress" \
    bash bench/lm_benchmark.sh full-s2 full-s3 top20-s1 top20-s2 top5-s1 top1-s1
# (b300k's seed 2: as full-s2 with data.max_bytes=300000 and its own teacher)
# 3. Both students with dropout (drop1 = 0.1, drop2 = 0.2; scratch chose 0.1 on seed 1's validation),
#    and full KD at T = 2 (no scratch twin: evaluation.scratch=false), each with
#    --set teacher.path=/work/lmeq/b100k/teacher/teacher (and the architecture keys emptied) and:
#      drop1-sN:  --set seed=N --set distillation.variant=full --set student.dropout=0.1
#      drop2-s1:  --set seed=1 --set distillation.variant=full --set student.dropout=0.2
#      fullT2-sN: --set seed=N --set distillation.variant=full --set distillation.temperature=2 --set evaluation.scratch=false
# 4. Every saved model on the 500 KB after the students' text (documents 216-1374 for b100k):
java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -cp /work/lmeq/distill.jar tools/LmHeldOutEval.java \
    ../shared/data/debian-descriptions/train.jsonl.gz 100000 500000 128 MODEL_DIR...
# 5. The table: python3 docs/lm-bench-equal-text/table.py (reads the runs' directories)
# 6. Patience (docs/lm-benchmarks.md, "Patience: both students twice as long"; 2026-12-04 23:25 to 2026-12-05
#    01:xx, /work/lmeq/patience.sh, two to three at a time with -Dai.djl.pytorch.num_threads=1): each run as in
#    step 3 with --set student.training.steps=2000 and
#      drop1-sN:     --set seed=N --set student.dropout=0.1                 (N = 1, 2, 3; scratch and KD, dropout 0.1)
#      drop2-s1:     --set seed=1 --set student.dropout=0.2
#      fullT2-sN:    --set seed=N --set distillation.temperature=2 --set evaluation.scratch=false
#    and at 4,000 steps (--set student.training.steps=4000 after the above):
#      fullT2-4k-sN: --set seed=N --set distillation.temperature=2 --set evaluation.scratch=false
#      scratch4k-sN: --set seed=N --set distillation.alpha=0 --set student.dropout=0.1 --set evaluation.scratch=false
#    the 100 KB table's new rows (sampled-s1, seq-s1, top5-s2, top1-s2, sampled-s2, seq-s2) as in step 2 with
#    DISTILL4J_THREADS=1; then step 4 on every new model, and: python3 docs/lm-bench-equal-text/patience.py
