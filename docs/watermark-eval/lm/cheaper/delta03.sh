#!/usr/bin/env bash
# A weaker LM watermark (delta 0.3: within the classifier's KL bound of 0.01 nats): its cost, and
# whether the residual test still finds it in students distilled from the API (top-20, text).
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm4.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e3
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
[ -f $E/k03 ] || $J audit --generate-watermark-key $E/k03 --lm --watermark-delta 0.3
java -cp /work/wm4.jar -Dai.djl.offline=true tools/LmWatermarkCost.java $E/k03 $L/r0/teacher /work/shared/data/debian-descriptions/test.jsonl.gz 50000 2>&1 | grep "^key"
$J serve $L/r0/teacher --name teacher --port 8097 --watermark-key-file $E/k03 > $E/serve.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8097/v1/models > /dev/null && break; sleep 1; done
HTTP='teacher={http: {url: "http://127.0.0.1:8097/v1", model: teacher, concurrency: 2}, terms: mit}'
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
run d03-topk --set seed=42 --set "$HTTP"
run d03-seq --set seed=2 --set "$HTTP" --set distillation.variant=sequence --set distillation.max_new_tokens=30 --set distillation.generated_tokens=300000
kill $SP; wait $SP 2>/dev/null
for m in d03-topk d03-seq; do
  for q in 10000 100000; do
    o=$E/audit-$m-$q
    $J audit --watermark-key-file $E/k03 --suspect $E/$m/student-distilled --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
    echo "$m $q: $(grep -v WARN $o.log | head -2 | tr '\n' ' ' | cut -c1-260)"
  done
done
for q in 10000 100000; do
  o=$E/audit-scratch-$q
  $J audit --watermark-key-file $E/k03 --suspect $E/d03-topk/student-scratch --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
  echo "scratch $q: $(grep -v WARN $o.log | head -1)"
done
echo E3DONE
