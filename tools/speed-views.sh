#!/usr/bin/env bash
# Cost per epoch of the cached-views mode beside the student alone, cached and online distillation
# (docs/accuracy-plan.md): `distill bench speed`, 12,000 rows, 3 interleaved rounds, 1 thread, no
# RSS or PyTorch-reference runs. Usage: tools/speed-views.sh TEACHER_DIR [OUT] [JAR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
teacher="$1"
out="${2:-runs/speed-views}"
jar="${3:-$root/distill-cli/target/distill.jar}"
OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Djava.awt.headless=true \
  -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=1 -jar "$jar" \
  bench speed --recipe "$root/recipes/bench-fashion-mnist.yaml" --teacher "$teacher" --out "$out" \
  --docs "$out/docs" --epochs 2 --online-epochs 1 --rounds 3 --max-load 1000 --max-wait 0 \
  --python /nonexistent --rss-epochs 0 --threads 1 \
  --set data.train_limit=12000 --set evaluation.latency_runs=20
