#!/usr/bin/env bash
# LM watermark evaluation, second round: more students that learnt from the API watermarked with k1
# (context 2), and at least 20 models that did not. Every run: the quick recipe made larger, split seed 42.
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm2.jar"
export OPT_OUT_TRACKING=true
E=/work/lmq/e2
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
$J serve /work/lmq/r0/teacher --name teacher --port 8093 --watermark-key-file /work/lmq/keys/k1 > $E/serve.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8093/v1/models > /dev/null && break; sleep 1; done
HTTP='teacher={http: {url: "http://127.0.0.1:8093/v1", model: teacher, concurrency: 2}, terms: mit}'
CLEAN='teacher={path: /work/lmq/r0/teacher, terms: mit}'
SEQ="--set distillation.variant=sequence --set distillation.max_new_tokens=30"
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
# learnt from the watermarked API
run wm-topk-s2 --set seed=2 --set "$HTTP" --cache-dir /work/lmq/wm1-topk/cache
run wm-topk-s3 --set seed=3 --set "$HTTP" --cache-dir /work/lmq/wm1-topk/cache
run wm-topk-a1 --set seed=4 --set "$HTTP" --set distillation.alpha=1 --cache-dir /work/lmq/wm1-topk/cache
run wm-topk-wide --set seed=5 --set "$HTTP" --set student.width=48 --set student.heads=4 --set student.layers=2 --cache-dir /work/lmq/wm1-topk/cache
run wm-seq-s2 --set seed=2 --set "$HTTP" $SEQ --set distillation.generated_tokens=300000
run wm-mix25-s1 --set seed=1 --set "$HTTP" $SEQ --set distillation.teacher_text_tokens=600000
run wm-mix25-s2 --set seed=2 --set "$HTTP" $SEQ --set distillation.teacher_text_tokens=600000
run wm-top1 --set seed=6 --set "$HTTP" --set distillation.k=1 --cache-dir $E/cache-top1
kill $SP; wait $SP 2>/dev/null
# never saw the key
run clean-topk-s2 --set seed=2 --set "$CLEAN" --cache-dir /work/lmq/r0/cache
run clean-topk-s3 --set seed=3 --set "$CLEAN" --cache-dir /work/lmq/r0/cache
run clean-topk-s4 --set seed=4 --set "$CLEAN" --cache-dir /work/lmq/r0/cache
run clean-topk-wide --set seed=5 --set "$CLEAN" --set student.width=48 --set student.heads=4 --set student.layers=2 --cache-dir /work/lmq/r0/cache
run clean-seq-s6 --set seed=6 --set "$CLEAN" $SEQ --set distillation.generated_tokens=300000
run clean-full-s7 --set seed=7 --set "$CLEAN" --set distillation.variant=full
run teacher2 --set seed=43 --set teacher.training.steps=3000
T2="teacher={path: $E/teacher2/teacher, terms: mit}"
run t2-topk-s2 --set seed=2 --set "$T2" --cache-dir $E/teacher2/cache
run t2-topk-s3 --set seed=3 --set "$T2" --cache-dir $E/teacher2/cache
echo TRAINDONE
