cd /work/main
export OPT_OUT_TRACKING=true
for m in r0/student-scratch r0/student-distilled wm1-topk/student-distilled wm1-seq/student-distilled; do
  nice -n 10 java -cp /work/wm3.jar -Dai.djl.offline=true tools/LmWatermarkNull.java /work/lmq/$m /work/shared/data/debian-descriptions/test.jsonl.gz 10000 1000 /work/lmq/r0/teacher 2>&1 | grep -v WARN
done
echo NULLDONE
