#!/usr/bin/env bash
# The issue-13 pilot (docs/accuracy-plan.md): Fashion-MNIST, 12,000 training rows (10% of them held
# out for validation), a 10-epoch teacher (TEACHER_EPOCHS), CNN students for STUDENT_EPOCHS epochs, one seed, one
# PyTorch thread. Runs share one output directory, so the teacher and a scratch twin with the same
# configuration are trained once and reused (RoleTrainer's fingerprints); each run's metrics.json
# is copied to $OUT/<run>.json. Usage: tools/accuracy-pilot.sh [OUT] [JAR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-runs/accuracy-pilot}"
jar="${2:-$root/distill-cli/target/distill.jar}"
epochs="${STUDENT_EPOCHS:-5}"
mkdir -p "$out"
run() {
  local name="$1"; shift
  local t0=$(date +%s)
  OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=1 -jar "$jar" \
    run "$root/recipes/fashion-mnist-consistent.yaml" --out "$out/run" --threads 1 --no-progress \
    --set data.train_limit=12000 --set teacher.training.epochs="${TEACHER_EPOCHS:-10}" \
    --set student.training.epochs="$epochs" --set evaluation.latency_runs=10 "$@" > "$out/$name.log" 2>&1
  cp "$out/run/metrics.json" "$out/$name.json"
  echo "$name: $(( $(date +%s) - t0 )) s wall" | tee -a "$out/times.txt"
}
# Plain cached KD (no augmentation for either twin: cached outputs cannot follow it).
run cached --set distillation.mode=cached --set distillation.alpha=0.9 \
  --set 'student.training.augment={shift: 0, flip: false}'
# Consistent KD with mixup: online teacher on the shifted, flipped, mixed batch; no hard term.
run online-mixup --set 'student.training.augment={shift: 2, flip: true, mixup: 0.2}'
# Consistent KD through K=4 cached views (FKD): shift and flip, replayed one view per epoch.
run views4 --set distillation.mode=views --set distillation.views=4 --set distillation.alpha=0.9 \
  --set 'student.training.augment={shift: 2, flip: true}'
# The same two without flips: the recipe's teacher is trained with shifts only, and Fashion-MNIST's
# footwear all faces one way, so a flipped view is one the teacher never saw.
if [ "${NO_FLIP_RUNS:-1}" = 1 ]; then
  run views4-noflip --set distillation.mode=views --set distillation.views=4 --set distillation.alpha=0.9 \
    --set 'student.training.augment={shift: 2, flip: false}'
  run online-mixup-noflip --set 'student.training.augment={shift: 2, flip: false, mixup: 0.2}'
fi
