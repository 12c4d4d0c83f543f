#!/usr/bin/env bash
# Audit every model with the served key k1 and two keys never served (k2, k3), at 1,000 and 10,000
# probe positions of the test split, with the clean served model as the baseline (--teacher).
set -u
cd /work/main
J="java -Dai.djl.offline=true -jar /work/wm4.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e2
POS="wm1-topk/student-distilled e2/wm-topk-s2/student-distilled e2/wm-topk-s3/student-distilled e2/wm-topk-a1/student-distilled e2/wm-topk-wide/student-distilled e2/wm-top1/student-distilled wm1-seq/student-distilled e2/wm-seq-s2/student-distilled e2/wm-mix25-s1/student-distilled e2/wm-mix25-s2/student-distilled"
NEG="r0/student-scratch r0/student-distilled e2/wm-topk-s2/student-scratch e2/wm-topk-s3/student-scratch e2/wm-topk-a1/student-scratch e2/wm-topk-wide/student-scratch e2/wm-mix25-s1/student-scratch e2/wm-top1/student-scratch e2/clean-topk-s2/student-distilled e2/clean-topk-s3/student-distilled e2/clean-topk-s4/student-distilled e2/clean-topk-wide/student-distilled e2/clean-seq-s6/student-distilled e2/clean-full-s7/student-distilled e2/clean-full-s7/student-scratch e2/teacher2/teacher e2/teacher2/student-scratch e2/teacher2/student-distilled e2/t2-topk-s2/student-distilled e2/t2-topk-s3/student-distilled"
mkdir -p $E/audit
echo -e "kind\tmodel\tkey\tpositions\tresidual_log10p\tresidual_z\targmax_log10p\targmax_z\tcells\tpairs"
for kind in pos neg; do
  if [ $kind = pos ]; then list=$POS; else list=$NEG; fi
  for m in $list; do
    for k in k1 k2 k3; do
      for q in 1000 10000; do
        o=$E/audit/$(echo $m | tr / -)-$k-$q
        $J audit --watermark-key-file $L/keys/$k --suspect $L/$m --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
        python3 -c "
import json,sys; r=json.load(open('$o/watermark.json'))
print('\t'.join(map(str,['$kind','$m','$k',$q,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs']])))" || echo "$kind $m $k $q FAILED"
      done
    done
  done
done
# the student of the context-1 key (served in the first round) against its keys
for k in k1 k2 k3; do
  o=$E/audit/context1-$k
  $J audit --watermark-key-file $L/keys-context1/$k --suspect $L/wm1-topk-context1/student-distilled --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries 10000 --out $o > $o.log 2>&1
  python3 -c "
import json; r=json.load(open('$o/watermark.json'))
print('\t'.join(map(str,['ctx1','wm1-topk-context1/student-distilled','$k',10000,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs']])))"
done
# black box: two students served without any key, audited through their OpenAI-compatible API
# (top-20 log-probabilities of echo requests), against the clean teacher as the baseline
port=8094
for m in wm1-topk/student-distilled wm1-seq/student-distilled e2/wm-mix25-s1/student-distilled r0/student-scratch r0/student-distilled; do
  $J serve $L/$m --name suspect --port $port > $E/audit/serve-$port.log 2>&1 &
  SP=$!
  for i in $(seq 1 60); do curl -sf http://127.0.0.1:$port/v1/models > /dev/null && break; sleep 1; done
  for q in 1000 10000; do
    o=$E/audit/api-$(echo $m | tr / -)-k1-$q
    $J audit --watermark-key-file $L/keys/k1 --suspect http://127.0.0.1:$port/v1/models/suspect --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
    python3 -c "
import json; r=json.load(open('$o/watermark.json'))
print('\t'.join(map(str,['api','$m','k1',$q,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs'],r['queries']])))" || echo "api $m $q FAILED"
  done
  kill $SP; wait $SP 2>/dev/null
  port=$((port + 1))
done
echo AUDITDONE
