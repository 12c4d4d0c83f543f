#!/bin/bash
# docs/audit.md's language-model audit evaluation, as run (2026-12-04, this machine's paths; O/d is
# the launcher of the jar under test). Outputs: the .tsv files beside this script, except
# audit-dev-whole-vocabulary-10000-positions.tsv and audit-api-teacher-uncut.tsv, the same audits
# by earlier versions of the audit (docs/audit.md says what each compared).
set -euo pipefail
cd "$(dirname "$0")"
HELDOUT_RUNS="run1 full-s102 full-s103 topk-s104 sequence-s105 full-s106 topk-s107 sequence-s108 full-s109 topk-s110 sequence-s111"
# The development run: 5 pairs, 5 references (audit-dev.tsv = /work/lmaudit/audit.tsv).
./train.sh /work/lmaudit "" "full:2 full:3 topk:4 sequence:5" "11 12 13 14 15"
./audit.sh /work/lmaudit audit 1000 "11 12 13 14 15" "run1 full-s2 full-s3 topk-s4 sequence-s5"
# The held-out run: 11 pairs, 10 references (audit-heldout.tsv = audit-all.tsv), its first 5 pairs
# with 5 references (audit-heldout-5-references.tsv = audit.tsv), query budgets
# (audit-heldout-{100,10000}-positions.tsv = audit-all-$Q.tsv).
./train.sh /work/lmaudit2 "--set seed=7" "full:102 full:103 topk:104 sequence:105 full:106 topk:107 sequence:108 full:109 topk:110 sequence:111" "31 32 33 34 35 36 37 38 39 40"
./audit.sh /work/lmaudit2 audit-all 1000 "31 32 33 34 35 36 37 38 39 40" "$HELDOUT_RUNS"
./audit.sh /work/lmaudit2 audit 1000 "31 32 33 34 35" "run1 full-s102 full-s103 topk-s104 sequence-s105"
for Q in 100 10000; do ./audit.sh /work/lmaudit2 audit-all-$Q $Q "31 32 33 34 35 36 37 38 39 40" "$HELDOUT_RUNS"; done
# Suspects (then the teacher) behind distill serve's OpenAI-compatible API.
./audit-api.sh
./audit-api-teacher.sh
