#!/usr/bin/env bash
# Generation throughput of `distill serve` with two builds side by side (docs/lm-benchmarks.md,
# "Serving: continuous batching"): OLD_JAR and NEW_JAR each serve MODEL_DIR (on ports 18471 and
# 18472, --workers 64), and tools/profile/ServeThroughput.java sends C = 1, 8, 32 concurrent
# clients x 4 requests of 64 tokens to one, then the other (old first in odd rounds, new first in
# even ones), RUNS times (default 3), so that a change of machine load hits both alike. Only one server computes at a time. Outputs
# OUT/serve-{old,new}-N.txt and OUT/serve.out (start times, load, and each server's resident memory
# at the end).
#
#   OLD_JAR=... NEW_JAR=... bench/lm_serve_batching.sh MODEL_DIR [OUT=runs/serve-batching]
#
# MAX_TOKENS=0 measures prompt scoring (echo + logprobs 20) instead of generation; REQUESTS sets the
# requests per client (default 4). OLD_MODEL / NEW_MODEL serve another model on that side instead (e.g. one jar, the teacher against
# the student: OLD_JAR=X NEW_JAR=X OLD_MODEL=TEACHER NEW_MODEL=STUDENT); OLD_ARGS / NEW_ARGS add
# `distill serve` options on that side (e.g. OLD_ARGS="--lm-engine djl" NEW_ARGS="--lm-engine auto").
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 out=${2:-runs/serve-batching}
corpus=${CORPUS:-../shared/data/debian-descriptions/validation.jsonl.gz}
mkdir -p "$out"
java_opts=(-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1)
export OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for v in old new; do
  jar=$OLD_JAR port=18471 dir=${OLD_MODEL:-$model}
  [ $v = new ] && jar=$NEW_JAR port=18472 dir=${NEW_MODEL:-$model}
  extra=${OLD_ARGS:-}; [ $v = new ] && extra=${NEW_ARGS:-}
  # shellcheck disable=SC2086 # the extra options are words
  java "${java_opts[@]}" -jar "$jar" serve --port $port --workers 64 --name lm $extra "$dir" >"$out/server-$v.log" 2>&1 &
  pids+=($!)
done
for port in 18471 18472; do
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break
    sleep 1
  done
done
for i in $(seq 1 "${RUNS:-3}"); do
  # alternate which side goes first, so that a load that rises or falls during a round favours neither
  order="old new"; [ $((i % 2)) -eq 0 ] && order="new old"
  for v in $order; do
    port=18471; [ $v = new ] && port=18472
    echo "$(date -u +%H:%M:%S) $v $i load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/serve.out"
    java -cp "$NEW_JAR" tools/profile/ServeThroughput.java "http://127.0.0.1:$port" lm "$corpus" \
      "${CLIENTS:-1,8,32}" "${REQUESTS:-4}" "${MAX_TOKENS:-64}" >"$out/serve-$v-$i.txt" 2>&1
  done
done
echo "$(date -u +%H:%M:%S) done; server RSS (MB): old $(( $(ps -o rss= -p "${pids[0]}") / 1024 )), new $(( $(ps -o rss= -p "${pids[1]}") / 1024 ))" | tee -a "$out/serve.out"
