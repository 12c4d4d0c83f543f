#!/usr/bin/env bash
# Byte-level BPE against bytes at the LM benchmark's model sizes (docs/lm-benchmarks.md, "Bytes or a
# byte-level BPE"): for each tokenizer a teacher (4 x 128) trained once, then for seeds 42 and 2 a
# scratch student, a student distilled on the full distribution and one on the top-20 (in-process
# cache), all for the same number of optimiser steps (600 x 32 windows of 128 tokens; a BPE token
# covers about two bytes, so a BPE run sees about twice the text per step). Every run is a
# `distill run` of recipes/lm-debian.yaml; each step is skipped when its metrics.json exists, so
# the script resumes; start, end and seconds of each step go to OUT/timings.tsv.
#
#   bench/lm_bpe_benchmark.sh        (OUT default runs/lm-bpe, DISTILL default ./distill,
#                                      VOCAB default 512, STEPS default 600, threads: DISTILL4J_THREADS)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/lm-bpe}
distill=${DISTILL:-./distill}
vocab=${VOCAB:-512}
steps=${STEPS:-600}
mkdir -p "$out"
out="$(realpath "$out")"
C=(recipes/lm-debian.yaml --acknowledge-unknown-terms --no-progress --cache-dir "$out/cache"
   --set data.split_seed=42 --set teacher.training.steps="$steps" --set student.training.steps="$steps")
BPE=(--set "data.tokenizer={type: bpe, vocab_size: $vocab}")
NOARCH=(--set teacher.layers= --set teacher.width= --set teacher.heads= --set teacher.positions= --set teacher.training=)
step() {
    local name=$1; shift
    [ -f "$out/$name/metrics.json" ] && return
    local t0; t0=$(date +%s)
    echo "$name start $(date -u +%H:%M:%S)" >> "$out/timings.tsv"
    $distill run "${C[@]}" --out "$out/$name" "$@" > "$out/log-$name.txt" 2>&1
    echo "$name end $(date -u +%H:%M:%S) $(( $(date +%s) - t0 ))s" >> "$out/timings.tsv"
}
for tok in bpe byte; do
    T=(); [ "$tok" = bpe ] && T=("${BPE[@]}")
    # seed 42 (the recipe's): teacher, scratch and full KD in one run; then top-20 from its teacher
    step "$tok-full" "${T[@]}" --set distillation.variant=full
    LOCAL=("${NOARCH[@]}" --set teacher.path="$out/$tok-full/teacher")
    step "$tok-top20" "${T[@]}" "${LOCAL[@]}" --set distillation.variant=topk --set distillation.k=20 \
        --set evaluation.scratch=false
done
for tok in bpe byte; do
    T=(); [ "$tok" = bpe ] && T=("${BPE[@]}")
    LOCAL=("${NOARCH[@]}" --set teacher.path="$out/$tok-full/teacher")
    step "$tok-full-s2" "${T[@]}" "${LOCAL[@]}" --set seed=2 --set distillation.variant=full
    step "$tok-top20-s2" "${T[@]}" "${LOCAL[@]}" --set seed=2 --set distillation.variant=topk \
        --set distillation.k=20 --set evaluation.scratch=false
done
