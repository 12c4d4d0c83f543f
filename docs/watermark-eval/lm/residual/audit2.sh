#!/usr/bin/env bash
# The models audit.sh could not reach: the students of the second teacher (still training then), the
# student whose transfer set is 25% the clean teacher's text, and the API audit of the 25% student
# (its port was taken by clean25.sh's server).
set -u
cd /work/main
J="java -Dai.djl.offline=true -jar /work/wm4.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e2
for m in e2/t2-topk-s2/student-distilled e2/t2-topk-s3/student-distilled e2/clean-mix25-s1/student-distilled; do
  for k in k1 k2 k3; do
    for q in 1000 10000; do
      o=$E/audit/$(echo $m | tr / -)-$k-$q
      $J audit --watermark-key-file $L/keys/$k --suspect $L/$m --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
      python3 -c "
import json; r=json.load(open('$o/watermark.json'))
print('\t'.join(map(str,['neg','$m','$k',$q,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs']])))"
    done
  done
done
port=8099
m=e2/wm-mix25-s1/student-distilled
$J serve $L/$m --name suspect --port $port > $E/audit/serve-$port.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:$port/v1/models > /dev/null && break; sleep 1; done
for q in 1000 10000; do
  o=$E/audit/api-$(echo $m | tr / -)-k1-$q
  $J audit --watermark-key-file $L/keys/k1 --suspect http://127.0.0.1:$port/v1/models/suspect --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
  python3 -c "
import json; r=json.load(open('$o/watermark.json'))
print('\t'.join(map(str,['api','$m','k1',$q,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs'],r['queries']])))"
done
kill $SP; wait $SP 2>/dev/null
echo AUDITDONE
