"""Detection statistics on the Java evaluation's own models (docs/audit.md section 2, "Other
statistics on the evaluation's models").

Reads what `tools/watermark-eval.sh -Dwatermark.eval.dump=DIR` writes (every model's logits on the
probe pool, the clean teacher's, the pool's features, each component's key angle without its phase,
the key's phases and targets) and prints, per variant of the statistic, the exact phase-test p-value
of every watermarked student and the smallest of the 20 negatives', on the probes of the
evaluation: the rows the API served (the first 10,000 transfer rows for the 100% students, the rows
served to the 25% students' collector for those) and 10,000 fresh test rows. The variants "full
design" and "compact design" are `WatermarkDetector`'s two designs (`Regressors.FULL`, its only one
until 2026-12-05, and `Regressors.COMPACT`, its default with a baseline since; their p-values agree
with the evaluation's results.json to the grid's rounding). Every variant changes only things that
do not depend on the key's phases (the score's scale, row weights, the regressors, the components'
weights), so each stays an exact test.

    /usr/bin/python3 tools/watermark-lab/served.py DIR [DIR ...]
    WM_VARIANTS='full design,compact' /usr/bin/python3 tools/watermark-lab/served.py DIR   (only those variants)
"""
import json
import math
import os
import sys

import numpy as np
import scipy.linalg
from scipy.signal import fftconvolve

FLOOR = math.log(1e-7)
EPS = 0.01

# name: (score, row weights, principal components of the inputs added as regressors,
#        regressor set, component weights)
# Regressor sets: 'full' (constant, the clean teacher's log-probabilities, the suspect's other
# log-probabilities centred), 'compact' (constant, the clean teacher's log-probability of the target
# and of the group, the suspect's log-probability of the group minus the mean of its non-target
# log-probabilities: four columns whatever the class count); '-nobase' without the teacher. Component
# weights: None (every component's in-phase value counts once) or 'sqrt_rows' (each scaled by the
# square root of its rows, so that S = sum over components of rows x correlation).
VARIANTS = {
    'log, full design (shipped until 2026-12-05)': ('log', None, 0, 'full', None),
    'log, rows with p_t < eps x10': ('log', 'lab', 0, 'full', None),
    'log, weight = harmonic amplitude': ('log', 'amp', 0, 'full', None),
    'probability': ('prob', None, 0, 'full', None),
    'sqrt probability': ('sqrt', None, 0, 'full', None),
    'log + 20 input PCs': ('log', None, 20, 'full', None),
    'log + 50 input PCs': ('log', None, 50, 'full', None),
    'log, components weighted by sqrt(rows)': ('log', None, 0, 'full', 'sqrt_rows'),
    'log, compact regressors, unweighted': ('log', None, 0, 'compact', None),
    'log, compact design (shipped since 2026-12-05)': ('log', None, 0, 'compact', 'sqrt_rows'),
    'no baseline: log, full design (shipped)': ('log', None, 0, 'full-nobase', None),
    'no baseline: log, compact regressors, unweighted': ('log', None, 0, 'compact-nobase', None),
    'no baseline: log, compact design': ('log', None, 0, 'compact-nobase', 'sqrt_rows'),
}


def null_tail(R, t, grid=40000):
    """P(sum R_j cos U_j >= t), U_j uniform, on a grid rounded up (as PhaseNull)."""
    R = np.asarray([r for r in R if r > 0])
    if len(R) == 0:
        return 1.0
    h = R.sum() / grid
    dist = np.array([1.0])
    lo = 0
    for r in R:
        kmin = int(math.ceil(-r / h))
        kmax = int(math.ceil(r / h))
        ks = np.arange(kmin, kmax + 1)
        F = lambda x: 1 - np.arccos(np.clip(x / r, -1, 1)) / np.pi
        pm = F(ks * h) - F((ks - 1) * h)
        pm[0] = F(kmin * h)
        dist = np.clip(fftconvolve(dist, pm), 0, None)
        lo += kmin
    kk = int(math.ceil(t / h)) - lo
    if kk <= 0:
        return 1.0
    return float(min(1.0, dist[kk:].sum()))


def logsoftmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def weights(kind, base_t):
    """Per-row weights from the clean teacher's log-probability of the target (never the phase)."""
    p = np.exp(base_t)
    if kind is None:
        return None
    if kind == 'lab':  # tools/watermark-lab/det2lib.py
        return np.where(p < EPS, 1.0, 0.1)
    # first-harmonic amplitude of the served log-shift log(1 + eps (1 + cos u) / p)
    a = EPS / np.maximum(p, 1e-12)
    u = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    return (np.log1p(a[:, None] * (1 + np.cos(u))[None, :]) * np.cos(u)[None, :]).mean(1) * 2


def component(y, H, cos, sin, phase, w=None):
    """In-phase value and amplitude of one component, as WatermarkDetector.component."""
    n = len(y)
    if w is not None:
        sw = np.sqrt(w)
        y, H, cos, sin = y * sw, H * sw[:, None], cos * sw, sin * sw
    # Columns that depend on earlier ones (e.g. classes clipped at the floor on every row) are
    # dropped, as WatermarkDetector's Gram-Schmidt drops them; a plain QR would keep arbitrary
    # directions for them and remove more than the regressors span.
    q, upper, _ = scipy.linalg.qr(H, mode='economic', pivoting=True)
    diag = np.abs(np.diag(upper))
    q = q[:, diag > 1e-9 * diag.max()]
    y = y - q @ (q.T @ y)
    cos = cos - q @ (q.T @ cos)
    sin = sin - q @ (q.T @ sin)
    scale = math.sqrt(n) / math.sqrt((y @ y) * (cos @ cos + sin @ sin) / 2)
    b, d = scale * (y @ cos), scale * (y @ sin)
    return b * math.cos(phase) - d * math.sin(phase), math.hypot(b, d)


def detect(L, B, ang, phases, targets, rows, score='log', kind=None, extra=None, regressors='full',
           cweight=None, min_rows=16):
    c = L.shape[1]
    Lc = np.maximum(L[rows], FLOOR)
    Bc = np.maximum(B[rows], FLOOR)
    nobase = regressors.endswith('-nobase')  # the suspect's own top class groups the rows, no teacher columns
    group = (L if nobase else B)[rows].argmax(1)
    A, Rs = [], []
    h = {'full': 1 + c + (c - 1), 'full-nobase': 1 + (c - 1), 'compact': 4, 'compact-nobase': 2}[regressors]
    for g in range(len(phases)):
        sel = np.where(group == g)[0]
        t = targets[g]
        n = len(sel)
        if n < max(min_rows, h + (0 if extra is None else extra.shape[1]) + 3):
            continue
        y = Lc[sel, t]
        o = np.delete(Lc[sel], t, 1)
        if regressors == 'full':
            H = [np.ones((n, 1)), Bc[sel], o - o.mean(1, keepdims=True)]
        elif regressors == 'full-nobase':
            H = [np.ones((n, 1)), o - o.mean(1, keepdims=True)]
        elif regressors == 'compact':
            H = [np.ones((n, 1)), Bc[sel][:, [t]], Bc[sel][:, [g]], (Lc[sel, g] - o.mean(1))[:, None]]
        else:
            H = [np.ones((n, 1)), (Lc[sel, g] - o.mean(1))[:, None]]
        if score == 'prob':
            y = np.exp(y)
            H.append(np.exp(Bc[sel]))
        elif score == 'sqrt':
            y = np.exp(y / 2)
            H.append(np.exp(Bc[sel] / 2))
        if extra is not None:
            H.append(extra[rows[sel]])
        th = ang[rows[sel], g].astype(np.float64)
        a, r = component(y, np.concatenate(H, 1), np.cos(th), np.sin(th), phases[g], weights(kind, Bc[sel, t]))
        w = math.sqrt(n) if cweight == 'sqrt_rows' else 1.0
        A.append(w * a)
        Rs.append(w * r)
    return null_tail(Rs, float(np.sum(A)))


def main(dirs):
    only = os.environ.get('WM_VARIANTS')  # comma-separated substrings of variant names to run
    if only:
        for name in list(VARIANTS):
            if not any(part in name for part in only.split(',')):
                del VARIANTS[name]
    # rows: (variant, probes, model) -> p per key
    found = {}
    order = []
    for d in dirs:
        meta = json.load(open(d + '/meta.json'))
        n, c, m = meta['pool_rows'], meta['classes'], meta['components']
        ang = np.fromfile(d + '/angles.f32', '<f4').reshape(n, m)
        B = logsoftmax(np.fromfile(d + '/teacher.f32', '<f4').reshape(n, c).astype(np.float64))
        X = np.fromfile(d + '/features.f32', '<f4').reshape(n, meta['features']).astype(np.float64)
        Xc = X - X.mean(0)
        ks = {v[2] for v in VARIANTS.values()}
        vt = np.linalg.svd(Xc[::4], full_matrices=False)[2] if max(ks) else None  # the pool's own: no key
        pcs = {k: (Xc @ vt[:k].T if k else None) for k in ks}
        sf = meta['served_from']
        served_all = np.arange(sf, sf + 10000)
        served_mix = np.array(meta['served_to_mix'])
        test = np.arange(10000)
        for mod in meta['models']:
            L = logsoftmax(np.fromfile(d + '/' + mod['file'], '<f4').reshape(n, c).astype(np.float64))
            name = mod['name'].rsplit('-key', 1)[0] if mod['distilled'] else 'negatives (min)'
            served = served_mix if mod['name'].startswith('wm25') else served_all
            for vname, (score, kind, k, regressors, cweight) in VARIANTS.items():
                for probes, rows in (('served', served), ('test', test)):
                    p = detect(L, B, ang, meta['phases'], meta['targets'], rows, score, kind, pcs[k],
                               regressors, cweight)
                    key = (vname, probes, name)
                    if key not in found:
                        found[key] = {}
                        order.append(key)
                    found[key][d] = min(p, found[key].get(d, 1.0))
    models = []
    for _, _, name in order:
        if name not in models:
            models.append(name)
    for probes in ('served', 'test'):
        print('\n%s probes; p-values for %s\n' % (probes, ', '.join(dirs)))
        print('| statistic | ' + ' | '.join(models) + ' |')
        print('| --- |' + ' ---: |' * len(models))
        for vname in VARIANTS:
            cells = [', '.join('%.1g' % found[(vname, probes, mname)][d] for d in dirs) for mname in models]
            print('| %s | %s |' % (vname, ' | '.join(cells)))


if __name__ == '__main__':
    main(sys.argv[1:])
