#!/usr/bin/env bash
# Collection throughput: items/s of `distill label` against `distill serve` at several concurrency
# levels, for both protocols, next to the server's own capacity measured by wrk (a load tool) with
# the same request body at the same concurrency, in the same run. Writes OUT/results.md and
# OUT/results.tsv.
#
#   bench/http_collection.sh TEACHER_DIR [OUT_DIR]
#
# TEACHER_DIR: a distill4j text classifier, e.g. runs/debian/teacher from
#   ./distill train-teacher recipes/debian-sections.yaml --out runs/debian --acknowledge-unknown-terms
# Environment: ROWS (training rows labelled per run, default 3000), LEVELS (default "1 2 4 8 16"),
# DURATION (wrk seconds per level, default 8), PORT (default 18181), BATCH (v2 texts per request
# for the batched row, default 32). Needs wrk (apt-get install wrk) and python3 (to build bodies).
set -euo pipefail
cd "$(dirname "$0")/.."

teacher=${1:?usage: bench/http_collection.sh TEACHER_DIR [OUT_DIR]}
out=${2:-docs/http-collection}
rows=${ROWS:-3000}
levels=${LEVELS:-1 2 4 8 16}
duration=${DURATION:-8}
port=${PORT:-18181}
batch=${BATCH:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

./distill serve "$teacher" --name teacher --port "$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null || { cat "$work/serve.log" >&2; exit 3; }

# One request body per protocol, from a training text of median length, as the collector sends it.
python3 - "$work" <<'EOF'
import gzip, json, sys
work = sys.argv[1]
with gzip.open("../shared/data/debian-descriptions/train.jsonl.gz", "rt") as f:
    texts = [json.loads(line)["text"] for _, line in zip(range(3000), f)]
text = sorted(texts, key=len)[len(texts) // 2]
v2 = {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [text]}]}
chat = {"model": "teacher", "logprobs": True, "top_logprobs": 20, "max_tokens": 16, "temperature": 0,
        "messages": [{"role": "user", "content": "Classify the text.\n<text>\n" + text + "\n</text>"}]}
for name, body in (("v2", v2), ("openai", chat)):
    with open(f"{work}/{name}.lua", "w") as lua:
        lua.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        lua.write("wrk.body = " + json.dumps(json.dumps(body)) + "\n")
EOF

label() {  # protocol concurrency batch -> items/s
    local dir="$work/label-$1-$2-$3"
    ./distill label recipes/debian-remote.yaml --out "$dir" --split train --no-progress --acknowledge-unknown-terms \
        --set teacher.http.url="http://127.0.0.1:$port" --set teacher.http.protocol="$1" \
        --set teacher.http.concurrency="$2" --set teacher.http.batch_size="$3" \
        --set data.train_limit="$rows" >"$dir.log" 2>&1 \
        || { cat "$dir.log" >&2; exit 4; }
    sed -n 's/.* \([0-9.]*\) items\/s$/\1/p' "$dir.log" | head -1
}

capacity() {  # protocol concurrency -> requests/s
    local path=/v2/models/teacher/infer
    [ "$1" = openai ] && path=/v1/chat/completions
    wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "${duration}s" -s "$work/$1.lua" "http://127.0.0.1:$port$path" \
        | awk '/Requests\/sec/ {print $2}'
}

# Warm up the server (JIT, allocator) so the first level is not penalised.
wrk -t 1 -c 4 -d 3s -s "$work/v2.lua" "http://127.0.0.1:$port/v2/models/teacher/infer" >/dev/null

printf 'protocol\tconcurrency\ttexts_per_request\tcollector_items_per_s\twrk_requests_per_s\tratio\n' >"$out/results.tsv"
for c in $levels; do
    for proto in v2 openai; do
        collected=$(label "$proto" "$c" 1)
        cap=$(capacity "$proto" "$c")
        ratio=$(python3 -c "print(f'{$collected/$cap:.2f}')")
        printf '%s\t%s\t1\t%s\t%s\t%s\n' "$proto" "$c" "$collected" "$cap" "$ratio" | tee -a "$out/results.tsv"
    done
    collected=$(label v2 "$c" "$batch")
    printf 'v2\t%s\t%s\t%s\t-\t-\n' "$c" "$batch" "$collected" | tee -a "$out/results.tsv"
done

{
    echo "# Collection throughput against \`distill serve\`"
    echo
    echo "Measured $(date -u +%Y-%m-%d) by \`bench/http_collection.sh $teacher $out\` (ROWS=$rows, DURATION=${duration}s)."
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem/ {print $2}') GiB,"
    echo "$(java -version 2>&1 | head -1); server and collector on the same machine, loopback, one run."
    echo
    echo "Collector: \`distill label\` on the first $rows training texts (unique items only; the journal is fresh per row)."
    echo "Capacity: wrk with one median-length text per request, same concurrency, ${duration} s."
    echo
    echo "| protocol | concurrency | texts/request | collector items/s | wrk requests/s | collector / wrk |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    tail -n +2 "$out/results.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}'
} >"$out/results.md"
cat "$out/results.md"
