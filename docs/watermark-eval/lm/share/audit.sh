#!/usr/bin/env bash
# Audit the share students (train.sh) with the served key k1 and two keys never served (k2, k3), at
# 1,000 and 10,000 probe positions of the test split, k1 also at 100,000; the clean served model is
# the baseline (--teacher). Then one share student served without a key, audited over its API.
set -u
cd /work/main
J="java -Dai.djl.offline=true -jar /work/wm8.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e8
mkdir -p $E/audit
row() { python3 -c "
import json; r=json.load(open('$1/watermark.json'))
print('\t'.join(map(str,['$2','$3','$4',$5,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs'],r['queries']])))" || echo "$2 $3 $4 $5 FAILED"; }
echo -e "kind\tmodel\tkey\tpositions\tresidual_log10p\tresidual_z\targmax_log10p\targmax_z\tcells\tpairs\tqueries"
for m in wm-share25-s1 wm-share25-s2 wm-share25-s3 wm-share10-s1 clean-share25-s1; do
  case $m in wm-*) kind=pos ;; *) kind=neg ;; esac
  for k in k1 k2 k3; do
    for q in 1000 10000 100000; do
      [ $q = 100000 ] && [ $k != k1 ] && continue
      o=$E/audit/$m-$k-$q
      $J audit --watermark-key-file $L/keys/$k --suspect $E/$m/student-distilled --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
      row $o $kind e8/$m/student-distilled $k $q
    done
  done
done
port=8096
m=wm-share25-s1
$J serve $E/$m/student-distilled --name suspect --port $port > $E/audit/serve-$port.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:$port/v1/models > /dev/null && break; sleep 1; done
for q in 1000 10000; do
  o=$E/audit/api-$m-k1-$q
  $J audit --watermark-key-file $L/keys/k1 --suspect http://127.0.0.1:$port/v1/models/suspect --teacher $L/r0/teacher --data /work/shared/data/debian-descriptions --queries $q --out $o > $o.log 2>&1
  row $o api e8/$m/student-distilled k1 $q
done
kill $SP; wait $SP 2>/dev/null
echo AUDITDONE
