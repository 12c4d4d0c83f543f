"""The patience table of docs/lm-benchmarks.md ("Equal text, less of it", 2026-12-04 late): every
100 KB student at 1,000, 2,000 and 4,000 steps, from the runs' metrics.json and the held-out
evaluations (tools/LmHeldOutEval.java, lines "bits/byte tokens bytes model-dir" in /work/lmeq/heldout-*.tsv).
Writes patience.md and patience.json beside this file."""
import glob
import json
import os

OLD = '/work/lmeq/b100k-bench'
NEW = '/work/lmeq/b100k-patience'
HERE = os.path.dirname(os.path.abspath(__file__))

held = {}
for f in glob.glob('/work/lmeq/heldout-*.tsv'):
    for line in open(f):
        if line.startswith('#'):
            continue
        bpb, _, _, path = line.strip().split('\t')
        path = path if path.startswith('/') else '/work/lmeq/' + path
        held[path] = float(bpb)


def row(run, model):
    m = os.path.join(run, 'metrics.json')
    if not os.path.exists(m):
        return None
    r = {x['model']: x for x in json.load(open(m))['models']}.get(model)
    if r is None:
        return None
    return {
        'test': r['test_bits_per_byte'],
        'validation': r['validation_bits_per_byte'],
        'held_out': held.get(os.path.join(run, model)),
        'selected_step': r.get('selected_step'),
        'trained_steps': int(r['training_tokens'] / (32 * 128)) if r.get('training_tokens') else None,
    }


teacher = row('/work/lmeq/b100k/teacher', 'teacher')
teacher['held_out'] = held['/work/lmeq/b100k/teacher/teacher']
# (label, steps, kind, {seed: (run dir, model)}); kind 'scratch' rows are the twins the KD rows are measured against
ROWS = [
    ('scratch, no dropout', 1000, 'plain', {s: ('/work/lmeq/b100k/teacher' if s == 1 else f'{OLD}/full-s{s}', 'student-scratch') for s in (1, 2, 3)}),
    ('scratch, dropout 0.1', 1000, 'scratch', {s: (f'{OLD}/drop1-s{s}', 'student-scratch') for s in (1, 2, 3)}),
    ('scratch, dropout 0.2', 1000, 'other', {1: (f'{OLD}/drop2-s1', 'student-scratch')}),
    ('full KD, T = 2', 1000, 'kd', {s: (f'{OLD}/fullT2-s{s}', 'student-distilled') for s in (1, 2, 3)}),
    ('scratch, dropout 0.1', 2000, 'scratch', {s: (f'{NEW}/drop1-s{s}', 'student-scratch') for s in (1, 2, 3)}),
    ('scratch, dropout 0.2', 2000, 'other', {1: (f'{NEW}/drop2-s1', 'student-scratch')}),
    ('full KD, T = 2', 2000, 'kd', {s: (f'{NEW}/fullT2-s{s}', 'student-distilled') for s in (1, 2, 3)}),
    ('full KD, T = 2, dropout 0.1', 2000, 'kd', {s: (f'{NEW}/drop1-s{s}', 'student-distilled') for s in (1, 2, 3)}),
    ('scratch, dropout 0.1', 4000, 'scratch', {s: (f'{NEW}/scratch4k-s{s}', 'student-distilled') for s in (1, 2, 3)}),
    ('full KD, T = 2', 4000, 'kd', {s: (f'{NEW}/fullT2-4k-s{s}', 'student-distilled') for s in (1, 2, 3)}),
]

found = []
for label, steps, kind, runs in ROWS:
    for seed, (run, model) in runs.items():
        r = row(run, model)
        if r is not None:
            found.append(dict(label=label, steps=steps, kind=kind, seed=seed, **r))


def twin(steps, seed):
    for f in found:
        if f['kind'] == 'scratch' and f['steps'] == steps and f['seed'] == seed:
            return f
    return None


def gap(student, scratch, key):
    if scratch is None or student[key] is None or scratch[key] is None:
        return None
    return (scratch[key] - student[key]) / (scratch[key] - teacher[key])


def fmt(x):
    return '–' if x is None else f'{x:.3f}'


def pct(x):
    return '–' if x is None else f'{100 * x:.0f}%'


lines = [
    '| row | steps | seed | best step | test (3.1 KB) | validation (5.5 KB) | held-out (500 KB) | against scratch with dropout 0.1, same steps: gap closed on test; held-out difference |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    f"| teacher 4 x 128, dropout 0.2 | 1,500 | – | {teacher['selected_step']} | {fmt(teacher['test'])} | {fmt(teacher['validation'])} | {fmt(teacher['held_out'])} | |",
]
for f in found:
    t = twin(f['steps'], f['seed'])
    g = ''
    if f['kind'] == 'kd' and t is not None:
        d = None if f['held_out'] is None or t['held_out'] is None else f['held_out'] - t['held_out']
        g = f"{pct(gap(f, t, 'test'))}; {'–' if d is None else f'{d:+.3f}'}"
    lines.append(
        f"| {f['label']} | {f['steps']:,} | {f['seed']} | {f['selected_step']} | {fmt(f['test'])} | "
        f"{fmt(f['validation'])} | {fmt(f['held_out'])} | {g} |")
open(os.path.join(HERE, 'patience.md'), 'w').write('\n'.join(lines) + '\n')
json.dump({'teacher': teacher, 'rows': found}, open(os.path.join(HERE, 'patience.json'), 'w'), indent=1)
print('\n'.join(lines))
