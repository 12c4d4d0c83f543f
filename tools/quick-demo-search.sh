#!/usr/bin/env bash
# Issue 13.6: the validation search behind the quick demo's overrides (docs/demo-results.md, "The
# quick demo's recipe"). Runs `distill demo --quick` with extra overrides for seeds 1-3 and scores
# both students on validation rows only: the run's own 600-row validation split (last epoch, from
# metrics.json) and a 10,000-row held-out set cut from rows 50,000-59,999 of the Fashion-MNIST
# *training* file, which the quick demo (train_limit 6000: rows 0-5,999) never reads. The test
# split is never looked at (the test columns of metrics.json are not printed).
#
# Usage: tools/quick-demo-search.sh OUT NAME [--set KEY=VALUE ...]
#   Teacher probes train the teacher per seed; student probes reuse one, e.g.
#   --set teacher.source=distill4j --set teacher.path=OUT/runs/tb64-s1/teacher (one seed at a time:
#   SEEDS=1 tools/quick-demo-search.sh ...).
# Example (the chosen row, C1, with its teacher trained):
#   tools/quick-demo-search.sh /tmp/qa C1 --set teacher.training.batch_size=64 \
#     --set student.training.learning_rate=0.003 --set student.training.epochs=30 --set distillation.alpha=0.5
# The current demo already contains C1's overrides, so `NAME` with no overrides reproduces it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$1"; name="$2"; shift 2
data=/usr/share/datasets/fashion-mnist
mkdir -p "$out/runs" "$out/holdout"
if [ ! -f "$out/holdout/t10k-labels-idx1-ubyte.gz" ]; then
  /usr/bin/python3 - "$data" "$out/holdout" <<'PY'
import gzip, struct, sys
src, dst = sys.argv[1], sys.argv[2]
im = gzip.open(src + '/train-images-idx3-ubyte.gz').read()
lb = gzip.open(src + '/train-labels-idx1-ubyte.gz').read()
a, b = 50000, 60000
images = struct.pack('>IIII', 2051, b - a, 28, 28) + im[16 + a * 784:16 + b * 784]
labels = struct.pack('>II', 2049, b - a) + lb[8 + a:8 + b]
# `distill eval` reads the t10k files as its test split; the train files only make a valid IDX dir.
for kind, blob in (('images-idx3', images), ('labels-idx1', labels)):
    for split in ('t10k', 'train'):
        with gzip.open(f'{dst}/{split}-{kind}-ubyte.gz', 'wb') as f:
            f.write(blob)
PY
fi
for seed in ${SEEDS:-1 2 3}; do
  run="$out/runs/$name-s$seed"
  timeout 900 "$root/distill" demo --quick --no-progress --out "$run" --cache-dir "$out/cache" \
    --set seed="$seed" "$@" > "$run.log" 2>&1
  acc() { timeout 300 "$root/distill" eval --data "$out/holdout" "$1" 2>&1 | sed -n 's/.*test accuracy: *\([0-9.]*\)%.*/\1/p'; }
  /usr/bin/python3 - "$run" "$name" "$seed" "$(acc "$run/student_scratch")" "$(acc "$run/student_distilled")" <<'PY'
import json, sys
run, name, seed, ho_scratch, ho_distilled = sys.argv[1:]
m = json.load(open(run + '/metrics.json'))['models']
val = lambda k: m[k]['history'][-1]['val_accuracy'] * 100
print(f"{name} seed {seed}: validation (600 rows) scratch {val('student_scratch'):.2f} distilled "
      f"{val('student_distilled'):.2f}; held-out (10,000 rows) scratch {ho_scratch} distilled {ho_distilled}")
PY
done | tee -a "$out/search.txt"
