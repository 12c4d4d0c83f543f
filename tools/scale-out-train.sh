#!/usr/bin/env bash
# Training from a transfer set larger than the heap (docs/scale-out.md, "Training from data larger
# than memory"): Fashion-MNIST's training rows plus K shifted copies written as feature shards
# (`distill shards`), labelled by an MLP teacher into a memory-mapped .logits file and distilled
# into an MLP student for one epoch (`distill distill --from-shards`), each JVM with -Xmx$HEAP.
# Samples the training JVM's resident memory (VmRSS, RssAnon, RssFile from /proc) every 2 s and
# its heap from the GC log, for each K, so the peak can be compared across data sizes.
# Usage: tools/scale-out-train.sh [K ...]   (default: 1 7; K=7 is ~1.36 GB of features)
# Environment: HEAP (default 256m), WORK (default /tmp/distill4j-scale-out-train, removed first).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/rss-sample.sh
work="${WORK:-/tmp/distill4j-scale-out-train}"
heap="${HEAP:-256m}"
copies=("$@")
[ ${#copies[@]} -gt 0 ] || copies=(1 7)
export DISTILL4J_THREADS=1
recipe=tools/scale-out-train.yaml
rm -rf "$work"
mkdir -p "$work"
summary="$work/summary.txt"

# The teacher is trained once, in memory (the recipe's 54,000 rows), into $work/run/teacher.
DISTILL4J_JAVA_OPTS="-Xmx1g" ./distill train-teacher "$recipe" --out "$work/run" --no-progress >"$work/teacher.log" 2>&1

for k in "${copies[@]}"; do
  shards="$work/shards-$k"
  start=$(date +%s.%N)
  DISTILL4J_JAVA_OPTS="-Xmx$heap" ./distill shards "$recipe" "$shards" --copies "$k" --out "$work/run" \
    --no-progress >"$work/shards-$k.log" 2>&1
  write_s=$(echo "$(date +%s.%N) - $start" | bc)
  rows=$(grep -o '"rows" : [0-9]*' "$shards/shards.json" | head -1 | grep -o '[0-9]*$')
  bytes=$(du -sb "$shards" | cut -f1)
  log="$work/train-$k.log"
  samples="$work/rss-$k.tsv"
  echo -e "t_s\tvmrss_mb\trss_anon_mb\trss_file_mb\tphase" >"$samples"
  start=$(date +%s.%N)
  DISTILL4J_JAVA_OPTS="-Xmx$heap -Xlog:gc:file=$work/gc-$k.log" ./distill distill "$recipe" --from-shards "$shards" \
    --out "$work/run" --cache-dir "$work/cache" --shuffle-buffer 8192 --no-progress >"$log" 2>&1 &
  pid=$!   # the launcher execs java: this is the JVM
  sample_rss "$pid" "$start" "$log" '^(teacher outputs|student_distilled|\[student_distilled\]|shards|teacher)' "$samples"
  wait "$pid" || { tail -20 "$log"; exit 1; }
  train_s=$(echo "$(date +%s.%N) - $start" | bc)
  logits=$(du -cb "$work"/cache/*.logits | tail -1 | cut -f1)
  rps=$(grep -o '"samplesPerSecond" : [0-9.]*' "$work/run/student_distilled/training.json" | grep -o '[0-9.]*$')
  val=$(grep -o '"valAccuracy" : [0-9.]*' "$work/run/student_distilled/training.json" | grep -o '[0-9.]*$')
  heap_after=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$work/gc-$k.log" | sed -E 's/.*->([0-9]+)M.*/\1/' | sort -n | tail -1)
  heap_before=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$work/gc-$k.log" | sed -E 's/([0-9]+)M->.*/\1/' | sort -n | tail -1)
  gcs=$(grep -c 'Pause' "$work/gc-$k.log" || true)
  max_rss=$(tail -n +2 "$samples" | cut -f2 | sort -n | tail -1)
  {
    echo "K=$k copies: $rows rows, shards $((bytes / 1000000)) MB, logits $((logits / 1000000)) MB, heap -Xmx$heap"
    echo "  write shards: ${write_s%.*} s; label + train 1 epoch: ${train_s%.*} s, training $(printf '%.0f' "$rps") rows/s, val acc $val"
    echo "  resident: peak VmHWM $hwm MB, largest 2-s sample $max_rss MB; heap: at most ${heap_before}M before a GC, ${heap_after}M after ($gcs GC pauses)"
  } | tee -a "$summary"
  rm -rf "$work/cache"
done
echo "samples: $work/rss-*.tsv; summary: $summary"
