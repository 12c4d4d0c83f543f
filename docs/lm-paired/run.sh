# As run for docs/lm-benchmarks.md, "Paired intervals over test documents" (2026-12-05): the saved
# models of earlier sessions' runs (their directories on the project's VM; the sections named there
# say how each was trained), distill.jar a copy of the jar of c5978e5 (a copy, so that a rebuild
# cannot replace it mid-run).
cd /work/main
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true DISTILL="java -Dai.djl.offline=true -Djava.awt.headless=true -jar distill.jar"
python3 tools/lm_paired_intervals.py recipes/lm-debian.yaml /work/nd/nd4k/full-s{1,2,3} /work/nd/nd1k/full-s{1,2,3} /work/nd/ndteach/s{2,4,5} --set data.split_seed=42 --set data.split_by=near_duplicates > /work/lmpair/nd.tsv 2> /work/lmpair/nd.err
python3 tools/lm_paired_intervals.py recipes/lm-debian.yaml /work/lmeq/eq2m/full-s{1,2,3} /work/lmeq/eq2m1k/full-s{1,2,3} --set data.split_seed=42 > /work/lmpair/doc.tsv 2> /work/lmpair/doc.err
echo done > /work/lmpair/done
