#!/usr/bin/env bash
# Generation speed of two builds side by side (docs/lm-benchmarks.md, "Generation with the in-place
# key/value cache"): tools/profile/LmGenerationSpeed.java (student vs teacher, interleaved blocks,
# B = 1, 32, 512, 100 new tokens) with jar A and jar B, alternated RUNS times (default 3), so that a
# change of machine load hits both builds alike. Outputs OUT/gencache-{old,new}-N.txt and
# OUT/gencache.out (start times and load).
#
#   OLD_JAR=... NEW_JAR=... bench/lm_kvcache_speed.sh STUDENT_DIR TEACHER_DIR [OUT=runs/kvcache]
set -euo pipefail
cd "$(dirname "$0")/.."
student=$1 teacher=$2 out=${3:-runs/kvcache}
mkdir -p "$out"
for i in $(seq 1 "${RUNS:-3}"); do
  for v in old new; do
    jar=$OLD_JAR; [ $v = new ] && jar=$NEW_JAR
    echo "$(date -u +%H:%M:%S) $v $i load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/gencache.out"
    OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
      -Dai.djl.pytorch.num_interop_threads=1 -cp "$jar" tools/profile/LmGenerationSpeed.java \
      "$student" "$teacher" 4 100 1,32,512 >"$out/gencache-$v-$i.txt" 2>&1
  done
done
echo "$(date -u +%H:%M:%S) done" | tee -a "$out/gencache.out"
