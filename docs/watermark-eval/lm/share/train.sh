#!/usr/bin/env bash
# LM watermark, 25% of the transfer set: students that got the watermarked API's top-20 on a seeded
# quarter (and a tenth) of their transfer windows (distillation.teacher_share) and cross-entropy
# alone on the rest; one clean twin (the clean teacher in process, a quarter) as a negative.
# Setting of the residual round (../residual/): r0/teacher served with key k1, the quick recipe made
# larger, split seed 42, students of 29k parameters, 2,000 steps.
# Run twice: first with /work/wm7.jar (commit a51cb71, the up-weighting rule) and E=/work/lmq/e5
# (train-first-rule.out, audit-first-rule.tsv), then as written (commit c168621, the proportional
# rule) with e5's collections copied into e8/cache, so no window was asked twice.
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm8.jar"
export OPT_OUT_TRACKING=true
E=/work/lmq/e8
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
$J serve /work/lmq/r0/teacher --name teacher --port 8095 --watermark-key-file /work/lmq/keys/k1 > $E/serve.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8095/v1/models > /dev/null && break; sleep 1; done
HTTP='teacher={http: {url: "http://127.0.0.1:8095/v1", model: teacher, concurrency: 2}, terms: mit}'
CLEAN='teacher={path: /work/lmq/r0/teacher, terms: mit}'
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
run wm-share25-s1 --set seed=1 --set "$HTTP" --set distillation.teacher_share=0.25 --cache-dir $E/cache
run wm-share25-s2 --set seed=2 --set "$HTTP" --set distillation.teacher_share=0.25 --cache-dir $E/cache
run wm-share25-s3 --set seed=3 --set "$HTTP" --set distillation.teacher_share=0.25 --cache-dir $E/cache
run wm-share10-s1 --set seed=1 --set "$HTTP" --set distillation.teacher_share=0.1 --cache-dir $E/cache
kill $SP; wait $SP 2>/dev/null
run clean-share25-s1 --set seed=1 --set "$CLEAN" --set distillation.teacher_share=0.25 --cache-dir $E/cache
echo TRAINDONE
