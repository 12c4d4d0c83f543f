#!/usr/bin/env bash
# Capacity ceiling of the 2 x 48 student: trained from scratch (cross-entropy) on 10x the text
# (data.max_bytes 20 MB, the same document split seed, so the 2 MB run's test documents are test
# documents here too), 8,000 steps, validation every 800; trained as the recipe's "teacher" so that
# no teacher is needed. Then scored on the 2 MB recipe's test split with distill eval.
set -euo pipefail
cd /work/main
export OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE
SEED=${1:-1}; MB=${MB:-20000000}; STEPS=${STEPS:-8000}
J=(java -Xmx6g -Dai.djl.offline=true -Djava.awt.headless=true -Dai.djl.pytorch.num_interop_threads=1 -jar /work/lmcap/distill.jar)
"${J[@]}" run recipes/lm-debian.yaml --acknowledge-unknown-terms --set data.split_seed=42 \
  --set data.max_bytes=$MB --set seed=$SEED --set teacher.layers=2 --set teacher.width=48 --set teacher.heads=4 \
  --set teacher.training.steps=$STEPS --set teacher.training.select=best_validation \
  --set student.training.steps=1 --set evaluation.scratch=false --set distillation.variant=full \
  --set name=lm-cap-s$SEED --out /work/lmcap/cap-$MB-s$SEED --threads 2 --no-progress
