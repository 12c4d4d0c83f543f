#!/usr/bin/env bash
# Training a language model from a corpus larger than memory (docs/scale-out.md, "The
# language-model corpus"): for each size S (MB), writes a JSONL corpus of S MB by repeating the
# bundled Debian descriptions (../shared/data/debian-descriptions/train.jsonl.gz, 24 MB of JSONL),
# each copy's texts prefixed with "#COPY " so no two documents are equal, then runs
# `distill run tools/lm-stream-rss.yaml` (data.streaming: true: one streaming pass packs the corpus
# into token files, then a tiny teacher and two students train from them) in a JVM with -Xmx$HEAP,
# sampling its resident memory (VmRSS, RssAnon, RssFile, VmHWM from /proc) every 2 s.
# Usage: tools/lm-stream-rss.sh [S ...]   (default: 50 500; from about 20: below, the 0.02% validation
#   share of the documents can be empty, which the split refuses)
# Environment: HEAP (default 256m), WORK (default /tmp/distill4j-lm-stream-rss, removed first),
#   STREAMING (default true; false runs the in-memory path for comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/rss-sample.sh
work="${WORK:-/tmp/distill4j-lm-stream-rss}"
heap="${HEAP:-256m}"
streaming="${STREAMING:-true}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 500)
export DISTILL4J_THREADS="${DISTILL4J_THREADS:-1}"
source_corpus="$(pwd)/../shared/data/debian-descriptions/train.jsonl.gz"
rm -rf "$work"
mkdir -p "$work"
summary="$work/summary.txt"
for s in "${sizes[@]}"; do
  corpus="$work/corpus-$s.jsonl"
  target=$((s * 1000000))
  copy=0
  : >"$corpus"
  while [ "$(stat -c %s "$corpus")" -lt "$target" ]; do
    zcat "$source_corpus" | sed "s/\"text\": \"/\"text\": \"#$copy /" >>"$corpus"
    copy=$((copy + 1))
  done
  truncate -s "$target" "$corpus"
  # Cut at a line end: drop the partial last line.
  sed -i '$ d' "$corpus"
  bytes=$(stat -c %s "$corpus")
  log="$work/run-$s.log"
  samples="$work/rss-$s.tsv"
  echo -e "t_s\tvmrss_mb\trss_anon_mb\trss_file_mb\tphase" >"$samples"
  start=$(date +%s.%N)
  DISTILL4J_JAVA_OPTS="-Xmx$heap -Xlog:gc:file=$work/gc-$s.log" ./distill run tools/lm-stream-rss.yaml \
    --set "data.path=$corpus" --set "data.streaming=$streaming" --out "$work/run-$s" --cache-dir "$work/cache-$s" \
    --acknowledge-unknown-terms >"$log" 2>&1 &
  pid=$!   # the launcher execs java: this is the JVM
  sample_rss "$pid" "$start" "$log" '^(corpus|teacher|student-scratch|student-distilled)' "$samples"
  wait "$pid" || { tail -20 "$log"; exit 1; }
  total_s=$(echo "$(date +%s.%N) - $start" | bc)
  pack_s=$(awk -F'\t' '$5 == "corpus" && !t {t = $1} END {print t + 0}' "$samples")
  tokens=0
  if compgen -G "$work/cache-$s/lm-corpus-*/*.tokens" >/dev/null; then
    tokens=$(du -cb "$work/cache-$s"/lm-corpus-*/*.tokens | tail -1 | cut -f1)
  fi
  heap_after=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$work/gc-$s.log" | sed -E 's/.*->([0-9]+)M.*/\1/' | sort -n | tail -1)
  heap_before=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$work/gc-$s.log" | sed -E 's/([0-9]+)M->.*/\1/' | sort -n | tail -1)
  max_rss=$(tail -n +2 "$samples" | cut -f2 | sort -n | tail -1)
  max_anon=$(tail -n +2 "$samples" | cut -f3 | sort -n | tail -1)
  max_file=$(tail -n +2 "$samples" | cut -f4 | sort -n | tail -1)
  {
    echo "S=$s MB: corpus $bytes bytes ($copy copies), token files $tokens bytes, heap -Xmx$heap, streaming=$streaming"
    echo "  whole run ${total_s%.*} s (corpus read + packed by about ${pack_s} s); $(grep -m1 '^corpus: [0-9,]* documents' "$log")"
    echo "  resident: peak VmHWM $hwm MB, largest 2-s sample $max_rss MB (RssAnon max $max_anon MB, RssFile max $max_file MB); heap: at most ${heap_before}M before a GC, ${heap_after}M after"
    grep -E '^(student-scratch|student-distilled) ' "$log" | sed 's/^/  /'
  } | tee -a "$summary"
  rm -f "$corpus"
  rm -rf "$work/cache-$s"
done
echo "samples: $work/rss-*.tsv; summary: $summary"
