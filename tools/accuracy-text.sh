#!/usr/bin/env bash
# Issue 13.4 on the Debian descriptions (docs/accuracy-plan.md, "Text"): the scratch student against
# the distilled one, over seeds, for several variants of the recipe. Each (variant, seed) is a whole
# `distill run` into OUT/VARIANT-sSEED; every variant but `plain` starts from a copy of that seed's
# plain teacher and scratch student, which `distill run` reuses when their settings are unchanged
# (so only what a variant changes is trained again).
# Variants: `plain` (recipes/debian-sections.yaml as is) always; then by default `cfK` (cross-fitted
# teacher outputs, distillation.cross_fit=K), or those of VARIANTS="NAME:--set a=b --set c=d;NAME2:..."
# (overrides split on spaces, so no spaces inside a value).
# Usage: [SEEDS="1 2 3"] [K=5] [THREADS=2] [VARIANTS="..."] tools/accuracy-text.sh OUT [JAR]
# Then:  tools/accuracy-text-summary.py OUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: tools/accuracy-text.sh OUT [JAR]}"
jar="${2:-$root/distill-cli/target/distill.jar}"
k="${K:-5}"
variants="${VARIANTS-cf$k:--set distillation.cross_fit=$k}"
run() {
  OPT_OUT_TRACKING=true java -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dai.djl.pytorch.num_interop_threads=1 -jar "$jar" run "$root/recipes/debian-sections.yaml" \
    --acknowledge-unknown-terms --no-progress --threads "${THREADS:-2}" "$@"
}
for s in ${SEEDS:-1 2 3}; do
  plain="$out/plain-s$s"
  [ -f "$plain/metrics.json" ] || run --out "$plain" --set seed="$s"
  IFS=';' read -ra list <<< "$variants"
  for v in "${list[@]}"; do
    [ -n "$v" ] || continue
    dir="$out/${v%%:*}-s$s"
    read -ra args <<< "${v#*:}"
    if [ ! -f "$dir/metrics.json" ]; then
      mkdir -p "$dir" && cp -rn "$plain/teacher" "$plain/student_scratch" "$dir/"
      run --out "$dir" --set seed="$s" "${args[@]}"
    fi
  done
done
