#!/usr/bin/env bash
# SIGTERM during a language-model teacher's training (recipes/lm-debian.yaml, 2 threads), 4 more times, at a random 3-40 s after the first report, with
# the jar before ShutdownBarrier (old.jar = /work/lmcap/distill.jar, d5e9db6) and 4 more times, at a random 3-40 s after the first report, with it
# (new.jar): exit status and whether the JVM wrote a crash report.
cd /work/lmcap/killcmp
for i in 6 7 8 9; do for v in old new; do
  jar=$([ $v = old ] && echo /work/lmcap/distill.jar || echo new.jar)
  d=run-$v-$i; rm -rf $d; mkdir -p $d; cd $d
  OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE java -Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1 -Dai.djl.pytorch.num_threads=2 \
    -jar $( [ $v = old ] && echo $jar || echo ../$jar ) run /work/main/recipes/lm-debian.yaml --acknowledge-unknown-terms --out out --no-progress > log 2>&1 &
  pid=$!
  for k in $(seq 1 120); do grep -q "step 150/" log 2>/dev/null && break; sleep 0.5; done
  sleep $((3 + RANDOM % 38))
  kill -TERM $pid; wait $pid; rc=$?
  printf '%s\t%s\t%s\t%s\n' $v $i $rc "$(ls | grep -c hs_err)"
  cd ..
done; done
