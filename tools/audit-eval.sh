#!/bin/sh
# The audit's evaluation on Fashion-MNIST (docs/audit.md). Results: distill-core/target/audit-eval/results.json.
#   tools/audit-eval.sh small   # what docs/audit.md reports: 6,000 training rows, 4 distilled vs 6 not, 100/1,000 queries
#   tools/audit-eval.sh full    # the issue's: 60,000 rows, 10 distilled vs 20 not, 100/1,000/10,000 queries (hours of CPU)
set -e
cd "$(dirname "$0")/.."
case "${1:-small}" in
  small) P="-Daudit.eval.train=6000 -Daudit.eval.test=2000 -Daudit.eval.distilled=4 -Daudit.eval.independent=6 -Daudit.eval.references=5 -Daudit.eval.epochs=8 -Daudit.eval.budgets=100,1000" ;;
  full)  P="-Daudit.eval.train=60000 -Daudit.eval.test=10000 -Daudit.eval.distilled=10 -Daudit.eval.independent=20 -Daudit.eval.references=8 -Daudit.eval.epochs=20 -Daudit.eval.budgets=100,1000,10000" ;;
  *) echo "usage: $0 small|full" >&2; exit 2 ;;
esac
exec mvn -o -q -pl distill-core -am test -Dtest=AuditEvaluation -Dsurefire.failIfNoSpecifiedTests=false -Daudit.eval=true $P
