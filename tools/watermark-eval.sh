#!/bin/sh
# The watermark's evaluation (docs/audit.md section 2): a watermarked teacher, 6 students distilled from its
# outputs (100% or 25% of their transfer set), 20 models that were not, 100 / 1,000 / 10,000 queries, the
# cost to honest users, and the 20 negatives against 100 keys they never saw; probes are fresh test rows
# and the rows the API served (what distill serve --record-queries keeps).
#   tools/watermark-eval.sh                                    Fashion-MNIST, MLPs (4 minutes on a quiet
#                                                              2-core machine, 20 on a loaded one)
#   tools/watermark-eval.sh -Dwatermark.eval.data=debian       Debian descriptions, fastText-style bags
#                                                              (about 25 minutes; needs ../shared/data)
# -Dwatermark.eval.regressors=full|compact picks the detector's design (default compact, docs/audit.md);
# -Dwatermark.eval.key_seed=N draws another key; -Dwatermark.eval.epochs=E trains the distilled students E epochs
# (default 15, Debian 10; the clean and other teachers' students E / 2), cached under names ending in -eE. Results: distill-core/target/watermark-eval[-debian]/results.json
# (and the table on stdout); trained suspects are cached there, so a rerun with another key retrains
# only the students of the watermarked API. -Dwatermark.eval.dump=DIR also writes every model's logits on the probe
# pool, the pool's features and the key's angles for tools/watermark-lab/served.py (other detection statistics).
set -e
cd "$(dirname "$0")/.."
exec mvn -o -q -pl distill-core -am test -Dtest=WatermarkEvaluation -Dsurefire.failIfNoSpecifiedTests=false \
  -Djacoco.skip=true -Dwatermark.eval=true "$@"
