#!/usr/bin/env bash
# Issue 13.4, eleventh session (docs/accuracy-plan.md, "Measured, 2026-12-05 (eleventh session)"):
# the distilled text student learns from the 20-epoch teacher's outputs on pairs of training texts
# whose ids are mixed (`augment: {mixup: a}` on text rows, the teacher online, alpha 1), against
# the runs of tools/accuracy-text-t20.sh. Each (variant, seed) is a `distill run` into
# OUT/mixVARIANT-sSEED that starts from a copy of T20/t20-sSEED's teacher and scratch student, which
# `distill run` reuses (the scratch twin of a mixing recipe does not mix, so it is that run's).
# Usage: T20=DIR [SEEDS="1 2 3"] [THREADS=1] [TRANSFER=transfer.jsonl] [ROOT=repository]
#   tools/accuracy-text-mix.sh OUT VARIANT [JAR]
#   ROOT: where recipes/ is, when a copy of this script runs elsewhere (bash reads a script while
#   it runs, so queue copies, not the file you may edit).
#   VARIANT: one of the names in the case below; TRANSFER (for a04unle60): the unlabelled descriptions
#   of tools/TextSuiteTransfer.java. kdE is the recipe's own distillation (cached, alpha 0.5) at
#   E epochs: later --set values win.
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
out="${1:?usage: tools/accuracy-text-mix.sh OUT VARIANT [JAR]}"
name="${2:?variant}"
jar="${3:-$root/distill-cli/target/distill.jar}"
t20="${T20:?T20=the OUT of tools/accuracy-text-t20.sh}"
case "$name" in
  a04) set -- --set 'student.training.augment={mixup: 0.4}' ;;
  a1) set -- --set 'student.training.augment={mixup: 1.0}' ;;
  a04e60) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=60 ;;
  a04e200) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=200 ;;
  a04T2e60) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=60 \
    --set distillation.temperature=2 ;;
  kd40 | kd60 | kd100) set -- --set student.training.epochs="${name#kd}" --set distillation.mode=cached \
    --set distillation.alpha=0.5 ;;
  a04unle60) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=60 \
    --set data.unlabelled="${TRANSFER:?TRANSFER=transfer.jsonl}" ;;
  h64a04e60) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=60 \
    --set 'student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}' ;;
  h64kd10 | h64kd40) set -- --set student.training.epochs="${name#h64kd}" --set distillation.mode=cached \
    --set distillation.alpha=0.5 --set 'student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}' ;;
  h64a04e30 | h64a04e120) set -- --set 'student.training.augment={mixup: 0.4}' \
    --set student.training.epochs="${name#h64a04e}" --set student.scratch_epochs=20 \
    --set 'student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}' ;;
  h64ens3a04e60) set -- --set 'student.training.augment={mixup: 0.4}' --set student.training.epochs=60 \
    --set student.scratch_epochs=20 --set teacher.ensemble=3 \
    --set 'student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}' ;;
  plainA1) set -- ;;
  *) echo "unknown variant $name" >&2; exit 2 ;;
esac
for s in ${SEEDS:-1 2 3}; do
  dir="$out/mix$name-s$s"
  [ -f "$dir/metrics.json" ] && continue
  mkdir -p "$dir" && cp -rn "$t20/t20-s$s/teacher" "$t20/t20-s$s/student_scratch" "$dir/"
  OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -jar "$jar" run "$root/recipes/debian-sections.yaml" \
    --acknowledge-unknown-terms --no-progress --threads "${THREADS:-1}" \
    --set teacher.training.epochs=20 --set student.training.epochs=20 \
    --set distillation.mode=online --set distillation.alpha=1 \
    --out "$dir" --set seed="$s" "$@" > "$dir.log" 2>&1
done
