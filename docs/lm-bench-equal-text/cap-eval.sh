#!/usr/bin/env bash
# Scores the 20 MB students of cap.sh on the 2 MB recipe's splits (the main table's test and
# validation documents, and the test documents without a near duplicate in its training split).
#   cap-eval.sh SEED >> cap-eval.tsv
set -euo pipefail
cd /work/main
m=/work/lmcap/cap-20000000-s$1/teacher
for split in test validation test_without_near_duplicate; do
  bpb=$(/work/lmcap/d1 eval "$m" --recipe recipes/lm-debian.yaml --set data.split_seed=42 --split $split \
        | sed -n 's/^  bits\/byte: *\([0-9.]*\).*/\1/p')
  printf '%s\t%s\t%s\n' "$1" "$split" "$bpb"
done
