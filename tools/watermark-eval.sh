#!/bin/sh
# The watermark's evaluation on Fashion-MNIST (docs/audit.md section 2): a watermarked teacher, 6 students
# distilled from its outputs (100% or 25% of their transfer set), 20 models that were not, 1,000 and 10,000
# queries, the cost to honest users. About 20 minutes of one CPU core.
# Results: distill-core/target/watermark-eval/results.json (and the table on stdout).
set -e
cd "$(dirname "$0")/.."
exec mvn -o -q -pl distill-core -am test -Dtest=WatermarkEvaluation -Dsurefire.failIfNoSpecifiedTests=false \
  -Dwatermark.eval=true "$@"
