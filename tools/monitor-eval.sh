#!/usr/bin/env bash
# The extraction monitor's evaluation (docs/audit.md section 3), a few minutes on 2 cores:
#
#   tools/monitor-eval.sh [OUT_DIR]          # default docs/monitor-eval
#
# Classifiers (Fashion-MNIST, /usr/share/datasets/fashion-mnist): a one-epoch MLP teacher behind
# `distill serve --monitor log --monitor-budget 1000 --monitor-window-s 60` (a time-compressed
# 1,000 rows/minute; the default is 10,000 rows/hour), with one API key per client and an admin key:
#   - the attacker: `distill label` of 4,000 training rows (64 rows per request, 4 in flight);
#   - 4 benign users: Fashion-MNIST test rows in natural order, one per request, 8 rows/s each,
#     1,100 rows each (more than the attacker had sent when it was flagged);
#   - a synthetic-probe attacker (Jacobian-augmentation-like perturbations of 20 seeds, PRADA's
#     setting), 8 queries/s, 1,100 queries.
# Then GET /admin/monitor. Language models: LmMonitorEvaluation (distill-server tests) on the Debian
# descriptions: the top-k collector, chat users, completion users and a perplexity scorer.
# Writes OUT/classifier.json, OUT/lm.json and OUT/summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/monitor-eval}
port=${PORT:-18391}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
chmod 700 "$work"   # the key files live here

start=$(date +%s)
./distill --version >/dev/null   # builds the jar if needed
timeout 600 ./distill train-teacher tools/monitor-eval/fmnist-teacher.yaml --out "$work/run" --no-progress \
    >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 3; }
teacher="$work/run/teacher"

key() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
label_key=$(key); probe_key=$(key); users=()
for i in 1 2 3 4; do users+=("$(key)"); done
printf '%s\n' "$label_key" "$probe_key" "${users[@]}" >"$work/keys"
printf '%s\n' "$label_key" >"$work/label.key"
key >"$work/admin"
fp() { printf 'key:%s' "$(printf '%s' "$1" | sha256sum | cut -c1-16)"; }

./distill serve "$teacher" --name teacher --port "$port" --monitor log --monitor-budget 1000 \
    --monitor-window-s 60 --api-keys-file "$work/keys" --admin-key-file "$work/admin" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null || { cat "$work/serve.log" >&2; exit 3; }
admin() { curl -fs -H "Authorization: Bearer $(cat "$work/admin")" "http://127.0.0.1:$port/admin/monitor"; }

t0=$(date +%s.%N)
timeout 600 ./distill label tools/monitor-eval/fmnist-label.yaml --out "$work/label" --split train --no-progress \
    --set teacher.http.url="http://127.0.0.1:$port" --set teacher.http.api_key_file="$work/label.key" \
    --set data.train_limit=4000 >"$work/label.log" 2>&1 || { cat "$work/label.log" >&2; exit 4; }
t1=$(date +%s.%N)
admin >"$work/after-label.json"

python3 tools/monitor-eval/clients.py users "http://127.0.0.1:$port" 8 1100 "$(IFS=,; echo "${users[*]}")" &
u=$!
python3 tools/monitor-eval/clients.py probes "http://127.0.0.1:$port" 8 1100 "$probe_key" &
p=$!
wait $u $p
admin >"$work/final.json"
kill $server; wait $server 2>/dev/null || true; server=

python3 - "$work" "$out" "$(fp "$label_key")" "$(fp "$probe_key")" "$t0" "$t1" \
    $(for k in "${users[@]}"; do fp "$k"; echo; done) <<'PY'
import json, sys
work, out, label, probe, t0, t1, *users = sys.argv[1:]
final = {c["client"]: c for c in json.load(open(f"{work}/final.json"))["clients"]}
doc = json.load(open(f"{work}/final.json"))
roles = {label: "distill label (4,000 training rows, 64 per request)", probe: "synthetic probes (PRADA's setting)"}
for i, u in enumerate(users):
    roles[u] = f"user {i + 1}: test rows in natural order, 1 per request, 8/s"
rows = []
for c, role in roles.items():
    s = final[c]
    rows.append({"role": role, "requests": s["requests"], "rows": s["items"], "flagged": s["flagged"],
                 "reason": s["reason"], "flagged_at_row": s["flagged_at_item"],
                 "flagged_at_request": s["flagged_at_request"], "shapiro_wilk_w": s["shapiro_wilk_w"],
                 "spread": s["spread"]})
res = {"settings": {k: doc[k] for k in ("policy", "item_budget", "budget_window_s", "delta")},
       "label_seconds": round(float(t1) - float(t0), 1), "clients": rows}
json.dump(res, open(f"{out}/classifier.json", "w"), indent=2)
with open(f"{out}/summary.md", "w") as f:
    f.write("| client | requests | rows | flagged | at row (request) | last W | reason |\n| --- | --- | --- | --- | --- | --- | --- |\n")
    for r in rows:
        w = "-" if r["shapiro_wilk_w"] is None else f"{r['shapiro_wilk_w']:.3f}"
        at = f"{r['flagged_at_row']} ({r['flagged_at_request']})" if r["flagged"] else "-"
        f.write(f"| {r['role']} | {r['requests']} | {r['rows']} | {'yes' if r['flagged'] else 'no'} | {at} | {w} | {r['reason']} |\n")
print(open(f"{out}/summary.md").read())
PY
grep -c . "$work/label.log" >/dev/null && tail -3 "$work/label.log"
if grep -q -F -f "$work/keys" "$out"/*.json "$work/serve.log" "$work/after-label.json" "$work/final.json"; then
    echo "a key appears in the output" >&2; exit 5
fi

# Language models (same policy, default budget), in-process server on loopback.
timeout 900 mvn -o -q -pl distill-server -am test -Dtest=LmMonitorEvaluation -Dsurefire.failIfNoSpecifiedTests=false \
    -Dmonitor.eval=true -Dmonitor.eval.out="$out/lm.json" >"$work/lm.log" 2>&1 || { tail -50 "$work/lm.log" >&2; exit 6; }
cat "$out/lm.json"
echo "monitor-eval: $(( $(date +%s) - start )) s on $(nproc) cores, $(date -u +%FT%TZ)"
