#!/usr/bin/env bash
# The numbers in docs/scale-out.md: single-JVM vs Spark local[1]/local[2] labelling throughput on
# Fashion-MNIST (Debian's dataset-fashion-mnist), an MLP [256, 128] teacher, medians of 3 runs.
# Usage: tools/scale-out-bench.sh [ROWS]   (default 20000)
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
mvn -q -o -pl distill-spark test -Dtest='ScaleOutBench,ScaleOutOverheadBench' -Dsurefire.failIfNoSpecifiedTests=false \
    -Ddistill4j.bench=true -Ddistill4j.bench.rows="${1:-20000}" >"$log" 2>&1
status=$?
grep '^BENCH' "$log"
[ "$status" -eq 0 ] || { tail -40 "$log"; echo "benchmark failed (full log: $log)"; }
exit "$status"
