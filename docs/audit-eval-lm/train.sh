#!/bin/bash
# Models for the language-model audit evaluation (docs/audit.md): the quick LM recipe's teacher,
# distilled students and their scratch twins (null models), and references of the teacher's
# architecture trained from scratch with other seeds. Every model is skipped when it exists.
#   train.sh O "RUN1 RECIPE OVERRIDES" "VARIANT:SEED ..." "REFERENCE SEEDS"     (commands.sh: as run)
set -euo pipefail
O=$1 RUN1_SET=$2 SPECS=$3 REF_SEEDS=$4
D=$O/d
R=/work/main/recipes/lm-debian-quick.yaml
ACK=--acknowledge-unknown-terms
SPLIT="--set data.split_seed=42"
log() { echo "$(date -u +%H:%M:%S) $*" >> $O/timings.log; }
log start
# run1: the teacher (seed 42), scratch and full-KD students (seed 43).
# shellcheck disable=SC2086 # RUN1_SET is a list of options
[ -d $O/run1 ] || $D run $R --out $O/run1 $ACK $SPLIT $RUN1_SET --set distillation.variant=full > $O/run1.log 2>&1
log run1
T=$O/run1/teacher
# A recipe whose teacher is the saved one.
sed -e "s#^teacher: .*#teacher:#" $R | python3 -c "
import sys,re
s=sys.stdin.read()
s=re.sub(r'teacher:[^\n]*\n(  [^\n]*\n)+', 'teacher: {path: $T}\n', s, count=1)
s=s.replace('../../shared', '/work/shared')
print(s)" > $O/student.yaml
for spec in $SPECS; do
  v=${spec%%:*}; s=${spec##*:}
  [ -d $O/$v-s$s ] || $D run $O/student.yaml --out $O/$v-s$s $ACK $SPLIT --set seed=$s --set distillation.variant=$v > $O/$v-s$s.log 2>&1
  log $v-s$s
done
for s in $REF_SEEDS; do
  [ -d $O/ref-s$s ] || $D run $R --out $O/ref-s$s $ACK $SPLIT --set seed=$s --set distillation.variant=full \
      --set student.training.steps=1 --set evaluation.scratch=false > $O/ref-s$s.log 2>&1
  log ref-s$s
done
log done
