#!/usr/bin/env bash
# The weaker LM watermark of e3/run.sh (delta 0.3) keeping the top token (--watermark-keep-top): its cost,
# whether the residual test still finds it in students distilled from the API (top-20, text).
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm5.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e4
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
java -cp /work/wm5.jar -Dai.djl.offline=true tools/LmWatermarkCost.java $E/keep0.3 $L/r0/teacher /work/shared/data/debian-descriptions/test.jsonl.gz 50000 2>&1 | grep "^key"
$J serve $L/r0/teacher --name teacher --port 8098 --watermark-key-file $E/keep0.3 > $E/serve.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8098/v1/models > /dev/null && break; sleep 1; done
HTTP='teacher={http: {url: "http://127.0.0.1:8098/v1", model: teacher, concurrency: 2}, terms: mit}'
run() { name=$1; shift; s=$(date +%s); $J run recipes/lm-debian-quick.yaml --out $E/$name --no-progress --threads 2 $SIZES "$@" > $E/$name.log 2>&1; echo "$name rc=$? $(( $(date +%s) - s )) s, done $(date +%T)"; }
run k03-topk --set seed=42 --set "$HTTP"
run k03-seq --set seed=2 --set "$HTTP" --set distillation.variant=sequence --set distillation.max_new_tokens=30 --set distillation.generated_tokens=300000
kill $SP; wait $SP 2>/dev/null
for m in k03-topk k03-seq; do
  for q in 10000 100000; do
    o=$E/audit-$m-$q
    $J audit --watermark-key-file $E/keep0.3 --suspect $E/$m/student-distilled --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
    echo "$m $q: $(grep -v WARN $o.log | head -2 | tr '\n' ' ' | cut -c1-260)"
  done
done
for q in 10000 100000; do
  o=$E/audit-scratch-$q
  $J audit --watermark-key-file $E/keep0.3 --suspect $E/k03-topk/student-scratch --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
  echo "scratch $q: $(grep -v WARN $o.log | head -1)"
done
echo E4DONE
