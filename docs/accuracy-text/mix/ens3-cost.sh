#!/usr/bin/env bash
# Side by side: the mixed-text hidden-[64] student distilled 10 epochs from one teacher and from the
# ensemble of three (teachers reused from the seed-1 run), alternating, 3 runs each, 1 thread, alone.
set -euo pipefail
src=/work/t15/runs/mixh64ens3a04e60-s1
H='student.model={type: bag, buckets: 16384, dim: 16, hidden: [64], activation: relu}'
for k in 1 2 3; do
  for v in one ens; do
    dir=/work/t15/cost/$v-r$k
    rm -rf "$dir"; mkdir -p "$dir"
    cp -r "$src/teacher" "$src/student_scratch" "$dir/"
    extra=()
    if [ "$v" = ens ]; then cp -r "$src/teacher-2" "$src/teacher-3" "$dir/"; extra=(--set teacher.ensemble=3); fi
    OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Djava.awt.headless=true \
      -Dai.djl.pytorch.num_interop_threads=1 -jar /work/t15/distill.jar run /work/main/recipes/debian-sections.yaml \
      --acknowledge-unknown-terms --no-progress --threads 1 \
      --set teacher.training.epochs=20 --set student.training.epochs=10 --set student.scratch_epochs=20 \
      --set distillation.mode=online --set distillation.alpha=1 --set 'student.training.augment={mixup: 0.4}' \
      --set "$H" --set seed=1 "${extra[@]}" --out "$dir" > "$dir.log" 2>&1
  done
done
