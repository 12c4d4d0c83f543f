#!/usr/bin/env bash
# The second teacher (its architecture, seed 43) and students distilled from it (never saw the key).
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm2.jar"
export OPT_OUT_TRACKING=true
E=/work/lmq/e2
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
run teacher2 --set seed=43 --set teacher.training.steps=3000 --acknowledge-unknown-terms
T2="teacher={path: $E/teacher2/teacher, terms: mit}"
run t2-topk-s2 --set seed=2 --set "$T2" --cache-dir $E/teacher2/cache
run t2-topk-s3 --set seed=3 --set "$T2" --cache-dir $E/teacher2/cache
echo TRAINDONE
