#!/bin/bash
# The audits of docs/audit.md's language-model evaluation: every distilled and every scratch student
# as the suspect, against the teacher, 5 references (the teacher's architecture, other seeds), with
# and without null models (the scratch students; a scratch suspect's nulls are the other four).
set -uo pipefail
O=/work/lmaudit2
D=$O/d
T=$O/run1/teacher
DATA=/work/shared/data/debian-descriptions/test.jsonl.gz
mkdir -p $O/audit-all-$Q
REFS=""
for s in 31 32 33 34 35 36 37 38 39 40; do REFS="$REFS --reference $O/ref-s$s/teacher"; done
RUNS="run1 full-s102 full-s103 topk-s104 sequence-s105 full-s106 topk-s107 sequence-s108 full-s109 topk-s110 sequence-s111"
echo -e "suspect\tkind\tnulls\tp\tt\tr_suspect\tverdict" > $O/audit-all-$Q.tsv
for run in $RUNS; do
  for kind in distilled scratch; do
    S=$O/$run/student-$kind
    NULLS=""
    for other in $RUNS; do
      [ "$kind" = scratch ] && [ "$other" = "$run" ] && continue
      NULLS="$NULLS --null-model $O/$other/student-scratch"
    done
    for mode in nulls refs; do
      out=$O/audit-all-$Q/$run-$kind-$mode
      extra=$([ $mode = nulls ] && echo "$NULLS" || echo "")
      $D audit --suspect $S --teacher $T $REFS $extra --data $DATA --queries $Q --out $out > $out.log 2>&1 || { mkdir -p $O/audit-all-$Q; echo "fail $out" >> $O/audit-all-$Q.tsv; continue; }
      python3 - "$out/audit.json" "$run" "$kind" "$mode" >> $O/audit-all-$Q.tsv <<'PY'
import json,sys
a=json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], "%.3g"%a["p_value"], "%.2f"%a["statistic_t"], "%.3f"%a["suspect_idiosyncrasy_correlation"], a["verdict"]]))
PY
    done
  done
done
