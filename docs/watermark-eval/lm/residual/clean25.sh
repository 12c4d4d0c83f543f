#!/usr/bin/env bash
# The clean teacher served without a key; a student whose transfer set is 25% its text (a negative),
# and the journal of that text, continuations of the same prompts, as key-independent probe texts.
set -u
cd /work/main
J="java -Dai.djl.offline=true -Djava.awt.headless=true -jar /work/wm2.jar"
export OPT_OUT_TRACKING=true
E=/work/lmq/e2
SIZES="--set data.max_bytes=2000000 --set data.split_seed=42 --set student.training.steps=2000"
$J serve /work/lmq/r0/teacher --name teacher --port 8096 > $E/serve-clean.log 2>&1 &
SP=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:8096/v1/models > /dev/null && break; sleep 1; done
HTTP='teacher={http: {url: "http://127.0.0.1:8096/v1", model: teacher, concurrency: 2}, terms: mit}'
s=$(date +%s)
$J run recipes/lm-debian-quick.yaml --out $E/clean-mix25-s1 --no-progress --threads 2 $SIZES --set seed=1 --set "$HTTP" --set distillation.variant=sequence --set distillation.max_new_tokens=30 --set distillation.teacher_text_tokens=600000 > $E/clean-mix25-s1.log 2>&1
echo "clean-mix25-s1 rc=$? $(( $(date +%s) - s )) s"
kill $SP; wait $SP 2>/dev/null
python3 - <<'PY'
import json,glob
src=glob.glob('/work/lmq/e2/clean-mix25-s1/cache/lm-text-*.journal.jsonl')[0]
with open('/work/lmq/e2/clean-text-probes.jsonl','w') as out:
    for line in open(src):
        r=json.loads(line)
        if r.get('type')=='ok':
            out.write(json.dumps({'text': r['prompt']+r['text']})+'\n')
PY
wc -l $E/clean-text-probes.jsonl
echo CLEANDONE
