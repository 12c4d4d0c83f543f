#!/usr/bin/env bash
# The share students (train.sh) audited on what the provider's request log holds: the prompts of
# the top-20 requests each distiller sent (tools/LmServedPrompts.java rebuilds them from the recipe
# and the seeded share), with k1 and the keys never served, at 1,000 and 10,000 positions; the
# scratch twin (never saw the key) and the clean 25% twin on the same probes.
set -u
cd /work/main
J="java -Dai.djl.offline=true -jar /work/wm8.jar"
export OPT_OUT_TRACKING=true
L=/work/lmq; E=$L/e8
for s in 1 2 3; do java -cp /work/wm8.jar tools/LmServedPrompts.java recipes/lm-debian-quick.yaml $E/served-s$s.jsonl 0.25 $s data.max_bytes=2000000 data.split_seed=42 >&2; done
java -cp /work/wm8.jar tools/LmServedPrompts.java recipes/lm-debian-quick.yaml $E/served10-s1.jsonl 0.1 1 data.max_bytes=2000000 data.split_seed=42 >&2
mkdir -p $E/audit-served
row() { python3 -c "
import json; r=json.load(open('$1/watermark.json'))
print('\t'.join(map(str,['$2','$3','$4',$5,round(r['log10_p_value'],2),round(r['residual']['z'],2),round(r['argmax']['log10_p_value'],2),round(r['argmax']['z'],2),r['residual']['cells'],r['argmax']['pairs'],r['queries']])))" || echo "$2 $3 $4 $5 FAILED"; }
echo -e "kind\tmodel\tkey\tpositions\tresidual_log10p\tresidual_z\targmax_log10p\targmax_z\tcells\tpairs\tqueries"
audit() { kind=$1; m=$2; probes=$3; for k in k1 k2 k3; do for q in 1000 10000; do
  o=$E/audit-served/$(echo $m | tr / -)-$k-$q
  $J audit --watermark-key-file $L/keys/$k --suspect $E/$m --teacher $L/r0/teacher --data $probes --queries $q --out $o > $o.log 2>&1
  row $o $kind e8/$m $k $q; done; done; }
for s in 1 2 3; do
  audit pos wm-share25-s$s/student-distilled $E/served-s$s.jsonl
  audit neg wm-share25-s$s/student-scratch $E/served-s$s.jsonl
done
audit pos wm-share10-s1/student-distilled $E/served10-s1.jsonl
audit neg clean-share25-s1/student-distilled $E/served-s1.jsonl
echo AUDITDONE
