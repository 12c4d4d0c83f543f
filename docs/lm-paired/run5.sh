# One interval for the mean share over the seven grouped-split pairs, covering pairs and documents.
cd /work/main
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true
T=/work/nd/teacher/teacher/teacher N=/work/nd/nd4k D=/work/nd/ndteach
java -Dai.djl.offline=true -Djava.awt.headless=true -Dai.djl.pytorch.num_threads=1 -cp distill.jar \
  tools/LmPooledShare.java recipes/lm-debian.yaml --set data.split_seed=42 --set data.split_by=near_duplicates \
  $N/full-s1/student-distilled $N/full-s1/student-scratch $T \
  $N/full-s2/student-distilled $N/full-s2/student-scratch $T \
  $N/full-s3/student-distilled $N/full-s3/student-scratch $T \
  $D/s2/student-distilled $D/s2/student-scratch $D/s2/teacher \
  $D/s3/student-distilled $N/full-s3/student-scratch $D/s3/teacher \
  $D/s4/student-distilled $D/s4/student-scratch $D/s4/teacher \
  $D/s5/student-distilled $D/s5/student-scratch $D/s5/teacher > /work/lmpair/pooled-nd.txt 2> /work/lmpair/pooled-nd.err
