#!/usr/bin/env bash
# The language-model distillation benchmark of issue 11, item 7 (docs/lm-benchmarks.md): one
# teacher trained once, then every row as its own `distill run` of recipes/lm-debian.yaml with the
# same student, split and training tokens; the top-k rows collect the teacher's log-probabilities
# over HTTP from `distill serve`. Each step is skipped when its metrics.json exists, so the script
# resumes; every step's start, end and seconds go to OUT/timings.tsv.
#
#   bench/lm_benchmark.sh [STEP...]     (default: all steps, in the order below)
#
# Steps: teacher (teacher + scratch s1 + full s1), full-s2, top{1,5,20}-s{1,2}, sampled-s{1,2},
# seq-s{1,2}, stepcost (stepcost2: a rerun, stepcost1t: 1 thread, stepcost64: 64-step blocks), repro-top20-s1 (a rerun of
# top20-s1 with its scratch student, to compare bit for bit). Environment: OUT (default runs/lm-bench), DISTILL (the command,
# default ./distill; the benchmark ran a private copy of the jar through the launcher's flags),
# PORT (default 18471), TSTEPS (teacher steps, 1500), SSTEPS (student steps, 1000), GEN (teacher
# tokens generated for sequence-level KD, 200000). Threads: DISTILL4J_THREADS (default: all cores).
# The students-with-less-text variant (docs/lm-benchmarks.md, "The student has a tenth of the text"):
# STUDENT_SHARE=0.1 gives every row data.student_share and early stopping on validation
# (student.training.select=best_validation), and TEACHER=DIR reuses a saved teacher instead of the
# step `teacher` (run the steps full-s1 full-s2 top20-s1 ... then; full-sN also trains seed N's scratch).
# Teacher text in the transfer set (docs/lm-benchmarks.md, "Teacher text joins the transfer set"):
# fulltext-sN, top20text-sN (the top-20 computed in-process, into OUT/cache), top20texthttp-sN
# (the same over HTTP from `distill serve`: text, then top-20) and seqtext-sN (cross-entropy only: a
# text-only API) add TEXT (default 400000) tokens of the teacher's continuations of the students'
# prompts to their documents.
# A cosine learning-rate decay for the students (docs/lm-benchmarks.md, "A cosine learning rate"):
# cosfull-sN is full-sN with student.training.schedule=cosine, for its scratch and distilled students
# alike (the teacher as in the step `teacher`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/lm-bench}
distill=${DISTILL:-./distill}
port=${PORT:-18471}
tsteps=${TSTEPS:-1500}
ssteps=${SSTEPS:-1000}
gen=${GEN:-200000}
text=${TEXT:-400000}
mkdir -p "$out"

B=(recipes/lm-debian.yaml --acknowledge-unknown-terms --set data.split_seed=42
   --set student.training.steps="$ssteps" --set teacher.training.steps="$tsteps")
teacher="${TEACHER:-$(realpath "$out")/teacher/teacher}" # absolute: recipe paths resolve against recipes/
teacher="$(realpath -m "$teacher")"
# Equal text, less of it (docs/lm-benchmarks.md, "Equal text, less of it"): EXTRA adds recipe
# overrides to every row, e.g. EXTRA="--set data.max_bytes=100000 --set student.training.select=best_validation"
# with TEACHER=DIR, a teacher trained on the same bytes.
if [ -n "${EXTRA:-}" ]; then
    read -r -a extra <<<"$EXTRA"
    B+=("${extra[@]}")
fi
if [ -n "${STUDENT_SHARE:-}" ]; then
    B+=(--set data.student_share="$STUDENT_SHARE" --set student.training.select=best_validation)
fi
NOARCH=(--set teacher.layers= --set teacher.width= --set teacher.heads= --set teacher.positions=
        --set teacher.training=)
LOCAL=("${NOARCH[@]}" --set teacher.path="$teacher")
HTTP=("${NOARCH[@]}" --set teacher.http.url="http://127.0.0.1:$port/v1" --set teacher.http.model=teacher
      --set teacher.http.concurrency=2)
# The scratch student is the same in every run of a seed: rows after the first train only the
# distilled one (the scratch rows are those of the steps teacher and full-s2).
NOSCRATCH=(--set evaluation.scratch=false)

# The HTTP top-k collector sends each window plus its next token (129 tokens), more than the
# teacher's context of 128: it is served from a copy whose model.json says 129. Its positions are
# rotary (no parameter depends on the context), and bench/LmSameLogits.java checks that the copy's
# logits on 128-token windows are exactly the teacher's.
served="$out/teacher-ctx129"
java_cmd=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1
          -Dai.djl.pytorch.num_threads="${DISTILL4J_THREADS:-$(nproc)}" -cp "${DISTILL_JAR:-distill-cli/target/distill.jar}")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true' EXIT
serve() {
    [ -n "$server" ] && return 0
    if [ ! -f "$served/model.json" ]; then
        mkdir -p "$served"
        cp "$teacher/model-0000.params" "$served/"
        sed 's/"context_length" : 128,/"context_length" : 129,/' "$teacher/model.json" >"$served/model.json"
        OPT_OUT_TRACKING=true "${java_cmd[@]}" bench/LmSameLogits.java "$teacher" "$served" | tee "$out/same-logits.txt"
    fi
    $distill serve "$served" --name teacher --port "$port" >"$out/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 240); do
        curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
            -d '{"model":"teacher","prompt":"a","max_tokens":1}' && return 0
        sleep 0.5
    done
    cat "$out/serve.log" >&2
    exit 3
}

step() { # step NAME ARGS...: one `distill run` into OUT/NAME, logged and timed
    local name=$1; shift
    if [ -f "$out/$name/metrics.json" ]; then echo "skip $name (done)"; return 0; fi
    local t0; t0=$(date +%s)
    echo "$(date -u +%H:%M:%S) start $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    $distill run "${B[@]}" "$@" --set name="lm-bench-$name" --out "$out/$name" >"$out/$name.log" 2>&1
    local t1; t1=$(date +%s)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(date -u -d @"$t0" +%H:%M:%S)" "$(date -u -d @"$t1" +%H:%M:%S)" \
        "$((t1 - t0))" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/timings.tsv"
    echo "$(date -u +%H:%M:%S) done $name in $((t1 - t0)) s"
}

run_step() {
    case $1 in
        teacher) step teacher --set seed=1 --set distillation.variant=full ;;
        full-s*) step "$1" "${LOCAL[@]}" --set seed="${1##*-s}" --set distillation.variant=full ;;
        cosfull-s*) step "$1" "${LOCAL[@]}" --set seed="${1##*-s}" --set distillation.variant=full \
            --set student.training.schedule=cosine ;;
        # Before top*-s*, which would take top20text-sN for a top-k row.
        fulltext-s*) step "$1" "${LOCAL[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=full \
            --set distillation.teacher_text_tokens="$text" ;;
        seqtext-s*) step "$1" "${LOCAL[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=sequence \
            --set distillation.teacher_text_tokens="$text" ;;
        top20texthttp-s*) serve # (d+) over the API: the text from /v1/completions, then its top-20 (echo + logprobs);
            # the server refuses prompt + max_tokens beyond its context (129): 33 prompt tokens + 96 new.
            step "$1" "${HTTP[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=topk \
            --set distillation.k=20 --set distillation.teacher_text_tokens="$text" --set distillation.max_new_tokens=96 \
            --cache-dir "$out/cache" ;;
        top20text-s*) step "$1" "${LOCAL[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=topk \
            --set distillation.k=20 --set distillation.teacher_text_tokens="$text" --cache-dir "$out/cache" ;;
        top*-s*) k=${1#top}; k=${k%-s*}; seed=${1##*-s}; serve
            step "$1" "${HTTP[@]}" "${NOSCRATCH[@]}" --set seed="$seed" --set distillation.variant=topk \
                --set distillation.k="$k" --cache-dir "$out/cache" ;;
        repro-top20-s1) # top20-s1 again from its cache, with the scratch student: a reproducibility check
            step "$1" "${HTTP[@]}" --set seed=1 --set distillation.variant=topk --set distillation.k=20 \
                --cache-dir "$out/cache" ;;
        sampled-s*) step "$1" "${LOCAL[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=sampled \
            --set distillation.samples=12 ;;
        seq-s*) step "$1" "${LOCAL[@]}" "${NOSCRATCH[@]}" --set seed="${1##*-s}" --set distillation.variant=sequence \
            --set distillation.generated_tokens="$gen" ;;
        stepcost*) local t0; t0=$(date +%s) # stepcost, stepcost2 (a rerun), stepcost1t (1 PyTorch thread)
            local threads=${DISTILL4J_THREADS:-$(nproc)}; [ "$1" = stepcost1t ] && threads=1
            local blocks=(7 16); [ "$1" = stepcost64 ] && blocks=(5 64) # stepcost64: 5 blocks of 64 steps
            OPT_OUT_TRACKING=true OMP_WAIT_POLICY=PASSIVE "${java_cmd[@]/#-Dai.djl.pytorch.num_threads=*/-Dai.djl.pytorch.num_threads=$threads}" \
                tools/profile/LmStepCost.java "$teacher" "${blocks[@]}" >"$out/$1.log" 2>&1 || echo "$1 failed: see $out/$1.log"
            printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(date -u -d @"$t0" +%H:%M:%S)" "$(date -u +%H:%M:%S)" \
                "$(($(date +%s) - t0))" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/timings.tsv" ;;
        *) echo "unknown step $1" >&2; exit 2 ;;
    esac
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(teacher top20-s1 top20-s2 full-s2 stepcost seq-s1 sampled-s1 top5-s1 top1-s1
                                 seq-s2 sampled-s2 top5-s2 top1-s2)
echo "machine: $(nproc) cores, $(uname -srm), $(date -u); load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${steps[@]}"; do run_step "$s"; done
