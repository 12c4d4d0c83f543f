#!/usr/bin/env bash
# Issue 13.4, tenth session (docs/accuracy-plan.md, "Measured, 2026-12-05 (tenth session)"): the
# Debian sections recipe with a teacher trained 20 epochs and students trained 20, then variants of
# the distilled student. Each (variant, seed) is a `distill run` into OUT/t20VARIANT-sSEED that starts
# from a copy of OUT/t20-sSEED's teacher and scratch student, which `distill run` reuses when their
# settings are unchanged (only what a variant changes is trained again); a variant that changes the
# student model retrains the scratch student too.
# Usage: [SEEDS="1 2 3"] [THREADS=1] [TRANSFER=transfer.jsonl] tools/accuracy-text-t20.sh OUT [JAR]
#   TRANSFER: the unlabelled descriptions written by tools/TextSuiteTransfer.java (its header says
#   how to fetch Debian 13's Translation-en); the variants that need it are skipped without it.
# Then: tools/accuracy-text-summary.py OUT, and validation macro-F1 with tools/TextPriorAdjust.java.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: tools/accuracy-text-t20.sh OUT [JAR]}"
jar="${2:-$root/distill-cli/target/distill.jar}"
run() {
  OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -jar "$jar" run "$root/recipes/debian-sections.yaml" \
    --acknowledge-unknown-terms --no-progress --threads "${THREADS:-1}" \
    --set teacher.training.epochs=20 --set student.training.epochs=20 "$@"
}
variant() { # NAME SEED overrides...
  local name=$1 s=$2 dir="$out/t20$1-s$2"
  shift 2
  [ -f "$dir/metrics.json" ] && return 0
  mkdir -p "$dir" && cp -rn "$out/t20-s$s/teacher" "$out/t20-s$s/student_scratch" "$dir/"
  run --out "$dir" --set seed="$s" "$@"
}
H='student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}'
for s in ${SEEDS:-1 2 3}; do
  [ -f "$out/t20-s$s/metrics.json" ] || run --out "$out/t20-s$s" --set seed="$s"
  variant cal "$s" --set distillation.calibrate_teacher=true
  variant drop "$s" --set 'student.training.augment={drop: 0.2}' --set distillation.mode=online
  variant h64 "$s" --set "$H"
  if [ -n "${TRANSFER:-}" ]; then
    variant unl "$s" --set data.unlabelled="$TRANSFER"
    variant unlA03 "$s" --set data.unlabelled="$TRANSFER" --set distillation.alpha=0.3
  fi
done
# Seed 1 only: the sweeps the choices were made from, and cross-fitted corrected targets (33 min).
variant T1a09 1 --set distillation.alpha=0.9
variant T2a05 1 --set distillation.temperature=2
variant T2a09 1 --set distillation.temperature=2 --set distillation.alpha=0.9
variant T4a05 1 --set distillation.temperature=4
variant calA09 1 --set distillation.calibrate_teacher=true --set distillation.alpha=0.9
variant calA1 1 --set distillation.calibrate_teacher=true --set distillation.alpha=1
variant cf5cor 1 --set distillation.cross_fit=5 --set distillation.correct_teacher=true
if [ -n "${TRANSFER:-}" ]; then
  for a in 0.7 0.9; do variant "unlA${a/./}" 1 --set data.unlabelled="$TRANSFER" --set distillation.alpha="$a"; done
  variant unlT2 1 --set data.unlabelled="$TRANSFER" --set distillation.temperature=2
  # Students of seeds 4-6 from the seed-1 teacher, with the unlabelled rows (in memory).
  for s in 4 5 6; do
    [ -f "$out/disc-mem-s$s/metrics.json" ] || run --out "$out/disc-mem-s$s" --set seed="$s" \
      --set teacher.source=distill4j --set teacher.path="$out/t20-s1/teacher" --set teacher.model= \
      --set teacher.training= --set data.unlabelled="$TRANSFER"
  done
fi
