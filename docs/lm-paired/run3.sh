while [ ! -f /work/lmpair/done2 ]; do sleep 5; done
cd /work/main
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true
J="java -Dai.djl.offline=true -Djava.awt.headless=true -cp distill.jar tools/LmHeldOutEval.java --paired /work/shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128"
T1=/work/lmeq/share03/teacher/teacher
args=()
for s in 1 2 3; do args+=(/work/lmeq/eq2m/full-s$s/student-distilled /work/lmeq/eq2m/full-s$s/student-scratch $T1); done
for s in 1 2 3; do args+=(/work/lmeq/eq2m1k/full-s$s/student-distilled /work/lmeq/eq2m1k/full-s$s/student-scratch $T1); done
$J "${args[@]}" > /work/lmpair/heldout-doc.tsv 2> /work/lmpair/heldout-doc.err
T2=/work/nd/teacher/teacher/teacher
args=()
for s in 1 2 3; do args+=(/work/nd/nd4k/full-s$s/student-distilled /work/nd/nd4k/full-s$s/student-scratch $T2); done
args+=(/work/nd/ndteach/s2/student-distilled /work/nd/ndteach/s2/student-scratch /work/nd/ndteach/s2/teacher)
args+=(/work/nd/ndteach/s3/student-distilled /work/nd/nd4k/full-s3/student-scratch /work/nd/ndteach/s3/teacher)
args+=(/work/nd/ndteach/s4/student-distilled /work/nd/ndteach/s4/student-scratch /work/nd/ndteach/s4/teacher)
args+=(/work/nd/ndteach/s5/student-distilled /work/nd/ndteach/s5/student-scratch /work/nd/ndteach/s5/teacher)
$J "${args[@]}" > /work/lmpair/heldout-nd.tsv 2> /work/lmpair/heldout-nd.err
echo done > /work/lmpair/done3
