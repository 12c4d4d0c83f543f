#!/bin/bash
# Tuning probe for issue 11's 50% goal: full KD, seed 1, other alpha/T (validation decides).
cd /work/wt/lm-bench
T=/work/wt/lm-bench/runs/lm-bench/teacher/teacher
J=(env OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE nice -n 5 java -Dai.djl.offline=true -Djava.awt.headless=true -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=2 -jar /tmp/lmbench/distill.jar)
for cfg in "1.0 1" "1.0 2"; do
  set -- $cfg; a=$1; t=$2; name=full-a$a-t$t-s1
  s=$(date +%s)
  "${J[@]}" run recipes/lm-debian.yaml --acknowledge-unknown-terms --set data.split_seed=42 \
    --set student.training.steps=1000 --set teacher.training.steps=1500 \
    --set teacher.layers= --set teacher.width= --set teacher.heads= --set teacher.positions= --set teacher.training= \
    --set teacher.path=$T --set evaluation.scratch=false --set seed=1 --set distillation.variant=full \
    --set distillation.alpha=$a --set distillation.temperature=$t --set name=lm-probe-$name \
    --out /tmp/lmprobe/$name > /tmp/lmprobe/$name.log 2>&1
  echo "$name $(( $(date +%s) - s )) s rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/lmprobe/timings.txt
done
