#!/usr/bin/env bash
# As run (/work/lmeq/patience.sh, lanes A and B; the 4,000-step runs used the same run() function, see
# commands.sh step 6). Not meant to be run as is: the paths are the run's.
# Patience at 100 KB (docs/lm-benchmarks.md "Equal text, less of it"): every student 2,000 steps
# (twice the table's) with early stopping on validation; the scratch twin with dropout 0.1 and 0.2
# (validation chooses), full KD at T = 2 with no dropout. Two lanes, 1 PyTorch thread each.
B=/work/lmeq/b100k-patience
cd /work/main
run() { # NAME SEED ARGS...
  local o=$B/$1; shift; local s=$1; shift
  [ -f $o/metrics.json ] && return 0
  local t0=$(date +%s)
  OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=1 -jar /work/lmeq/distill.jar \
    run recipes/lm-debian.yaml --acknowledge-unknown-terms --no-progress --set data.split_seed=42 \
    --set student.training.steps=2000 --set data.max_bytes=100000 --set student.training.select=best_validation \
    --set teacher.layers= --set teacher.width= --set teacher.heads= --set teacher.positions= --set teacher.training= \
    --set teacher.path=/work/lmeq/b100k/teacher/teacher --set seed=$s --set distillation.variant=full \
    --set name=lm-patience-$(basename $o) "$@" --out $o > $o.log 2>&1
  printf '%s\t%s\t%s\t%s\n' "$(basename $o)" "$(date -u -d @$t0 +%H:%M:%S)" "$(date -u +%H:%M:%S)" "$(( $(date +%s)-t0 ))" >> $B/timings.tsv
}
lane=$1
if [ "$lane" = A ]; then
  run drop1-s1 1 --set student.dropout=0.1
  run drop1-s2 2 --set student.dropout=0.1
  run drop1-s3 3 --set student.dropout=0.1
else
  run fullT2-s1 1 --set distillation.temperature=2 --set evaluation.scratch=false
  run drop2-s1 1 --set student.dropout=0.2
  run fullT2-s2 2 --set distillation.temperature=2 --set evaluation.scratch=false
  run fullT2-s3 3 --set distillation.temperature=2 --set evaluation.scratch=false
fi
