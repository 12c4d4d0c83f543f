#!/usr/bin/env bash
# What a share of the windows buys a distiller: students of the clean teacher (in process, top-20,
# alpha 0.5) with distillation.teacher_share 0.1, 0.25 and 0.5, seeds 2 and 3 (their 100% twins are
# ../residual's clean-topk-s2 and -s3, the same scratch students). Setting of the residual round.
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm8.jar"
export OPT_OUT_TRACKING=true
E=/work/lmq/e7
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
CLEAN='teacher={path: /work/lmq/r0/teacher, terms: mit}'
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
for seed in 2 3; do
  for share in 0.1 0.25 0.5; do
    run clean-share$share-s$seed --set seed=$seed --set "$CLEAN" --set distillation.teacher_share=$share --cache-dir $E/cache
  done
done
echo TRAINDONE
