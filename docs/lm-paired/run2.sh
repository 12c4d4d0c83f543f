# Queued after run.sh. /work/lmpair/ndteach-s3 and /work/lmpair/text03-sS are run directories
# assembled from two runs, as the benchmark's sections pair them: symbolic links to the distilled
# student (ndteach/s3; share03-text2k/fulltext-sS) and to the scratch twin trained in another run
# (nd4k/full-s3; share03-drop2k/full-sS, the twin with dropout 0.1), the teacher (ndteach/s3/teacher,
# for the first), and the distilled run's metrics.json with the twin's row inserted, so that the
# tool can check every model's bits per byte.
while [ ! -f /work/lmpair/done ]; do sleep 5; done
cd /work/main
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true DISTILL="java -Dai.djl.offline=true -Djava.awt.headless=true -jar distill.jar"
python3 tools/lm_paired_intervals.py recipes/lm-debian.yaml /work/lmpair/ndteach-s3 --set data.split_seed=42 --set data.split_by=near_duplicates > /work/lmpair/nd3.tsv 2> /work/lmpair/nd3.err
python3 tools/lm_paired_intervals.py recipes/lm-debian.yaml /work/lmpair/text03-s{1,2,3} /work/lmeq/share03-drop2k/full-s{1,2,3} --set data.split_seed=42 --set data.student_share=0.03 > /work/lmpair/share03.tsv 2> /work/lmpair/share03.err
echo done > /work/lmpair/done2
