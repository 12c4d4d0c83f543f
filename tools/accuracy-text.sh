#!/usr/bin/env bash
# Issue 13.4 on the Debian descriptions (docs/benchmarks.md, "Text"): the scratch student against
# the student distilled from cached teacher outputs, plain and cross-fitted (k teachers, each
# row's soft target from the teacher that did not train on it), over seeds. Each seed is a whole
# `distill run` (teacher, students, report); the cross-fitted run reuses that seed's teacher and
# scratch student by copying them, so only the fold teachers and the distilled student are new.
# Usage: [SEEDS="1 2 3"] [K=5] [THREADS=2] tools/accuracy-text.sh OUT [JAR]
# Then:  python3 tools/accuracy-text-summary.py OUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: tools/accuracy-text.sh OUT [JAR]}"
jar="${2:-$root/distill-cli/target/distill.jar}"
k="${K:-5}"
run() {
  OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -jar "$jar" run "$root/recipes/debian-sections.yaml" \
    --acknowledge-unknown-terms --no-progress --threads "${THREADS:-2}" "$@"
}
for s in ${SEEDS:-1 2 3}; do
  plain="$out/plain-s$s" cf="$out/cf$k-s$s"
  [ -f "$plain/metrics.json" ] || run --out "$plain" --set seed="$s"
  if [ ! -f "$cf/metrics.json" ]; then
    mkdir -p "$cf" && cp -rn "$plain/teacher" "$plain/student_scratch" "$cf/" 2>/dev/null || true
    run --out "$cf" --set seed="$s" --set distillation.cross_fit="$k"
  fi
done
