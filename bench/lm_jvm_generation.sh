#!/usr/bin/env bash
# Generation on the plain-Java decoder against DJL (docs/lm-benchmarks.md, "Generation on the
# JVM"): RUNS separate processes of tools/profile/LmGenerationSpeed.java, each 6 interleaved
# blocks (the first a warm-up) in which, for each engine (DJL, JVM) and batch size (1, 32), the
# student generates 100 greedy tokens per sequence and then the teacher does. One output file per
# run; the document reports the median over runs of each run's median, with the runs' spread.
#
#   bench/lm_jvm_generation.sh STUDENT_DIR TEACHER_DIR OUT_PREFIX   (JAR default distill-cli/target/distill.jar,
#                                                                    RUNS default 3, THREADS default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
student=$1 teacher=$2 prefix=$3
jar=${JAR:-distill-cli/target/distill.jar}
runs=${RUNS:-3}
threads=${THREADS:-2}
mkdir -p "$(dirname "$prefix")"
for r in $(seq 1 "$runs"); do
    {
        echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) | load $(cut -d' ' -f1-3 /proc/loadavg)"
        OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true \
            -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
            -cp "$jar" tools/profile/LmGenerationSpeed.java "$student" "$teacher" 6 100 1,32 DJL,JVM 2>&1 \
            | grep -v WARN
    } > "$prefix-$r.txt"
    tail -4 "$prefix-$r.txt"
done
