#!/usr/bin/env bash
# The language-model top-k numbers in docs/scale-out.md: single-JVM TopKCache.build vs LmTopKJob on
# Spark local[1]/local[2], same corpus and in-process teacher (LmTopKBench), a warm-up round then
# ROUNDS interleaved rounds; prints medians, runs and the load average before each run.
# Usage: tools/lm-topk-bench.sh [CORPUS_KB] [ROUNDS]   (default 256 KB, 3 rounds)
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
mvn -q -o -pl distill-spark -am test -Dtest='LmTopKBench' -Dsurefire.failIfNoSpecifiedTests=false \
    -Ddistill4j.bench=true -Ddistill4j.bench.lm.kb="${1:-256}" -Ddistill4j.bench.rounds="${2:-3}" >"$log" 2>&1
status=$?
grep '^BENCH' "$log"
[ "$status" -eq 0 ] || { tail -40 "$log"; echo "benchmark failed (full log: $log)"; }
exit "$status"
