#!/usr/bin/env bash
# LM watermark evaluation: serve the r0 teacher with key k1, distil students from it over HTTP
# (top-20 log-probabilities, and generated text), audit every model with k1 and two keys never served.
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/distill-eval2.jar"
export OPT_OUT_TRACKING=true
SIZES="--set data.max_bytes=2000000 --set teacher.training.steps=3000 --set student.training.steps=2000"
for k in k1 k2 k3; do [ -f /work/lmq/keys/$k ] || $J audit --generate-watermark-key /work/lmq/keys/$k --lm; done
$J serve /work/lmq/r0/teacher --name teacher --port 8093 --watermark-key-file /work/lmq/keys/k1 > /work/lmq/serve.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8093/v1/models > /dev/null && break; sleep 1; done
TEACHER='teacher={http: {url: "http://127.0.0.1:8093/v1", model: teacher, concurrency: 2}, terms: mit}'
start=$(date +%s)
$J run recipes/lm-debian-quick.yaml --out /work/lmq/wm1-topk --no-progress --threads 2 $SIZES --set "$TEACHER" > /work/lmq/wm1-topk.log 2>&1
echo "topk run $(( $(date +%s) - start )) s rc=$?"
start=$(date +%s)
$J run recipes/lm-debian-quick.yaml --out /work/lmq/wm1-seq --no-progress --threads 2 $SIZES --set "$TEACHER" --set distillation.variant=sequence --set distillation.max_new_tokens=30 --set distillation.generated_tokens=300000 > /work/lmq/wm1-seq.log 2>&1
echo "seq run $(( $(date +%s) - start )) s rc=$?"
kill $SP; wait $SP 2>/dev/null
for m in r0/teacher r0/student-scratch r0/student-distilled wm1-topk/student-scratch wm1-topk/student-distilled wm1-seq/student-distilled; do
  for k in k1 k2 k3; do
    o=/work/lmq/audit/$(echo $m | tr / -)-$k
    $J audit --watermark-key-file /work/lmq/keys/$k --suspect /work/lmq/$m --data /work/shared/data/debian-descriptions --queries 10000 --out $o > $o.log 2>&1
    echo "$m $k: $(head -2 $o.log | tr '\n' ' ')"
  done
done
for k in k1 k2 k3; do java -cp /work/distill-eval2.jar -Dai.djl.offline=true tools/LmWatermarkCost.java /work/lmq/keys/$k /work/lmq/r0/teacher /work/shared/data/debian-descriptions/test.jsonl.gz 50000 2>&1 | grep "^key"; done
echo ALLDONE
