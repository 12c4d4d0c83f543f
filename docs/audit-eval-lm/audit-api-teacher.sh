#!/bin/bash
# The held-out language-model audit with the teacher behind distill serve's OpenAI-compatible API
# (its top 20 a position are all the audit compares anyway) and the suspects as directories.
set -uo pipefail
O=/work/lmaudit2
D=$O/d
DATA=/work/shared/data/debian-descriptions/test.jsonl.gz
mkdir -p $O/audit-api-teacher
$D serve $O/run1/teacher --name teacher --port 0 > $O/audit-api-teacher/serve.log 2>&1 &
pid=$!
url=""
for i in $(seq 1 300); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' $O/audit-api-teacher/serve.log | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
T=$url/v1/models/teacher
REFS=""
for s in 31 32 33 34 35 36 37 38 39 40; do REFS="$REFS --reference $O/ref-s$s/teacher"; done
RUNS="run1 full-s102 full-s103 topk-s104 sequence-s105 full-s106 topk-s107 sequence-s108 full-s109 topk-s110 sequence-s111"
echo -e "suspect\tkind\tnulls\tp\tt\tr_suspect\tverdict" > $O/audit-api-teacher.tsv
for run in $RUNS; do
  for kind in distilled scratch; do
    NULLS=""
    for other in $RUNS; do
      [ "$kind" = scratch ] && [ "$other" = "$run" ] && continue
      NULLS="$NULLS --null-model $O/$other/student-scratch"
    done
    out=$O/audit-api-teacher/$run-$kind
    $D audit --suspect $O/$run/student-$kind --teacher $T $REFS $NULLS --data $DATA --queries 1000 --out $out > $out.log 2>&1 \
      && python3 - "$out/audit.json" "$run" "$kind" >> $O/audit-api-teacher.tsv <<'PY'
import json,sys
a=json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], "nulls-api-teacher", "%.3g"%a["p_value"], "%.2f"%a["statistic_t"], "%.3f"%a["suspect_idiosyncrasy_correlation"], a["verdict"]]))
PY
  done
done
kill $pid; wait $pid 2>/dev/null
