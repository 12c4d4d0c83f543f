"""Tables of docs/lm-benchmarks.md, "Equal text, less of it", from the runs' metrics.json and the held-out evaluations."""
import json, glob, os, sys
B = '/work/lmeq/b100k-bench'
held = {}
for f in glob.glob('/work/lmeq/heldout-*.tsv') + ['/work/lmeq/b300k/heldout.tsv']:
    for line in open(f):
        if line.startswith('#'): continue
        bpb, _, _, path = line.strip().split('\t')
        held[path] = float(bpb)
def model(metrics, name):
    return {r['model']: r for r in json.load(open(metrics))['models']}.get(name)
def row(run_dir, metrics, name):
    r = model(metrics, name)
    return (r['test_bits_per_byte'], r['validation_bits_per_byte'], held.get(os.path.join(run_dir, name)))
T = row('/work/lmeq/b100k/teacher', '/work/lmeq/b100k/teacher/metrics.json', 'teacher')
runs = {1: ('/work/lmeq/b100k/teacher',)}
def run_of(kind, s):
    if kind == 'full' and s == 1: d = '/work/lmeq/b100k/teacher'
    else: d = f'{B}/{kind}-s{s}'
    return d, d + '/metrics.json'
out = {'teacher': T}
for s in (1, 2, 3):
    d, m = run_of('full', s)
    out[f'scratch-s{s}'] = row(d, m, 'student-scratch')
    out[f'full-s{s}'] = row(d, m, 'student-distilled')
    for kind in ('drop1', 'fullT2', 'top20', 'drop2', 'top5', 'top1', 'sampled', 'seq'):
        d, m = run_of(kind, s)
        if os.path.exists(m):
            if kind.startswith('drop'):
                out[f'{kind}scratch-s{s}'] = row(d, m, 'student-scratch')
                out[f'{kind}full-s{s}'] = row(d, m, 'student-distilled')
            else:
                out[f'{kind}-s{s}'] = row(d, m, 'student-distilled')
json.dump(out, open('/work/main/docs/lm-bench-equal-text/summary.json', 'w'), indent=1)
def gap(student, scratch, i):
    if student[i] is None or scratch[i] is None: return None
    return (scratch[i] - student[i]) / (scratch[i] - T[i])
def fmt(x): return '–' if x is None else f'{x:.3f}'
def pct(x): return '–' if x is None else f'{100*x:.0f}%'
lines = ['| row | seed | test (3.1 KB) | validation (5.5 KB) | held-out (500 KB) | gap closed vs plain scratch: test, held-out | vs scratch with dropout 0.1: test, held-out |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
lines.append(f'| teacher 4 x 128, dropout 0.2 | – | {fmt(T[0])} | {fmt(T[1])} | {fmt(T[2])} | 100% | 100% |')
for key, label in [('scratch', 'scratch 2 x 48 (the recipe: no dropout)'), ('drop1scratch', 'scratch, dropout 0.1 (validation\'s choice of 0, 0.1, 0.2)'), ('full', 'full KD, T = 1, alpha 0.5'), ('fullT2', 'full KD, T = 2 (validation\'s choice of 1, 2)'), ('top20', 'top-20 over HTTP, T = 1'), ('top5', 'top-5 over HTTP'), ('top1', 'top-1 over HTTP'), ('sampled', 'sampled KD, 12 draws, T = 1'), ('seq', 'sequence-level KD (200k tokens of teacher text only)'), ('drop1full', 'full KD with dropout 0.1')]:
    for s in (1, 2, 3):
        k = f'{key}-s{s}'
        if k not in out: continue
        r = out[k]
        a = out[f'scratch-s{s}']; b = out.get(f'drop1scratch-s{s}')
        g1 = f'{pct(gap(r, a, 0))}, {pct(gap(r, a, 2))}' if key != 'scratch' else '0%'
        g2 = '0%' if key == 'drop1scratch' else '–' if key == 'scratch' or not b else f'{pct(gap(r, b, 0))}, {pct(gap(r, b, 2))}'
        lines.append(f'| {label} | {s} | {fmt(r[0])} | {fmt(r[1])} | {fmt(r[2])} | {g1} | {g2} |')
open('/work/main/docs/lm-bench-equal-text/table.md', 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
