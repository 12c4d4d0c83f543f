#!/bin/sh
# The audit's evaluation (docs/audit.md, "Evaluation"). Results: distill-core/target/audit-eval/results.json
# (progress in progress.log there); trained models are kept under target/audit-eval/models/ and reused by a rerun.
#   tools/audit-eval.sh eval    # what docs/audit.md reports: Fashion-MNIST (6,000 training rows, 6 epochs, MLPs and
#                               # a small CNN) and the Debian descriptions (15,000 rows, 4 epochs, fastText-style bags);
#                               # 12 / 10 distilled vs 23 / 20 not, four reference sets, 100 / 1,000 / 10,000 queries;
#                               # about 40 minutes on 2 shared cores from scratch (the audits alone: about 20)
# Extra arguments go to Maven, e.g. -Daudit.eval.refsets=suspect-arch, -Daudit.eval.datasets=debian, or
# -Daudit.eval.nulls=20 (null models per architecture for teacher-consensus; default 6, the first six always the same),
# -Daudit.eval.scratch=20 (models from scratch per student architecture among the negatives; default 4 MLPs, 2 CNNs).
#   tools/audit-eval.sh smoke   # the same roster, 1 epoch on 1,000 / 2,000 rows, 100 and 10,000 queries (a few minutes)
#   tools/audit-eval.sh plot    # draws docs/audit-eval-*.png from docs/audit-eval.json (distill-charts, XChart)
set -e
cd "$(dirname "$0")/.."
MODE="${1:-eval}"
[ $# -gt 0 ] && shift
case "$MODE" in
  eval)  P="-Daudit.eval.fashion.train=6000 -Daudit.eval.fashion.epochs=6 -Daudit.eval.debian.train=15000 -Daudit.eval.debian.epochs=4 -Daudit.eval.budgets=100,1000,10000" ;;
  smoke) P="-Daudit.eval.out=target/audit-smoke -Daudit.eval.fashion.train=1000 -Daudit.eval.fashion.epochs=1 -Daudit.eval.debian.train=2000 -Daudit.eval.debian.epochs=1 -Daudit.eval.budgets=100,10000" ;;
  plot)  exec mvn -o -q -pl distill-charts -am test -Dtest=AuditEvaluationPlot -Dsurefire.failIfNoSpecifiedTests=false \
           -Daudit.eval.plot="$(pwd)/docs/audit-eval.json" "$@" ;;
  *) echo "usage: $0 eval|smoke|plot" >&2; exit 2 ;;
esac
exec mvn -o -q -pl distill-core -am test -Dtest=AuditEvaluation -Dsurefire.failIfNoSpecifiedTests=false -Daudit.eval=true $P "$@"
