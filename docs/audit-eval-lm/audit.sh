#!/bin/bash
# The audits of docs/audit.md's language-model evaluation: every distilled and every scratch student
# of RUNS as the suspect, against run1's teacher and references of the teacher's architecture (other
# seeds), with and without null models (the scratch students; a scratch suspect's nulls are the
# others). One row per audit in O/NAME.tsv, each audit's output in O/NAME/.
#   audit.sh O NAME QUERIES "REFERENCE SEEDS" "RUNS"     (commands.sh: as run)
set -uo pipefail
O=$1 NAME=$2 Q=$3 REF_SEEDS=$4 RUNS=$5
D=$O/d
T=$O/run1/teacher
DATA=/work/shared/data/debian-descriptions/test.jsonl.gz
mkdir -p $O/$NAME
REFS=""
for s in $REF_SEEDS; do REFS="$REFS --reference $O/ref-s$s/teacher"; done
echo -e "suspect\tkind\tnulls\tp\tt\tr_suspect\tverdict" > $O/$NAME.tsv
for run in $RUNS; do
  for kind in distilled scratch; do
    S=$O/$run/student-$kind
    NULLS=""
    for other in $RUNS; do
      [ "$kind" = scratch ] && [ "$other" = "$run" ] && continue
      NULLS="$NULLS --null-model $O/$other/student-scratch"
    done
    for mode in nulls refs; do
      out=$O/$NAME/$run-$kind-$mode
      extra=$([ $mode = nulls ] && echo "$NULLS" || echo "")
      $D audit --suspect $S --teacher $T $REFS $extra --data $DATA --queries $Q --out $out > $out.log 2>&1 || { echo "fail $out" >> $O/$NAME.tsv; continue; }
      python3 - "$out/audit.json" "$run" "$kind" "$mode" >> $O/$NAME.tsv <<'PY'
import json,sys
a=json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], "%.3g"%a["p_value"], "%.2f"%a["statistic_t"], "%.3f"%a["suspect_idiosyncrasy_correlation"], a["verdict"]]))
PY
    done
  done
done
