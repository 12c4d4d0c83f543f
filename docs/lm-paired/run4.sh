# The 3%-plus-teacher-text students (and the 3% students without it) on the 500 KB held out.
cd /work/main
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true
J="java -Dai.djl.offline=true -Djava.awt.headless=true -Dai.djl.pytorch.num_threads=1 -cp distill.jar tools/LmHeldOutEval.java --paired /work/shared/data/debian-descriptions/train.jsonl.gz 2000000 500000 128"
T=/work/lmeq/share03/teacher/teacher
args=()
for s in 1 2 3; do args+=(/work/lmeq/share03-text2k/fulltext-s$s/student-distilled /work/lmeq/share03-drop2k/full-s$s/student-scratch $T); done
for s in 1 2 3; do args+=(/work/lmeq/share03-drop2k/full-s$s/student-distilled /work/lmeq/share03-drop2k/full-s$s/student-scratch $T); done
$J "${args[@]}" > /work/lmpair/heldout-share03.tsv 2> /work/lmpair/heldout-share03.err
