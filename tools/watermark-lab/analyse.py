"""Detection statistics of docs/audit.md section 2 on the students WatermarkLab wrote (s_<name>.test).

usage: KEY=cov20 python3 analyse.py s_cov20_T4 s_clean_T4 ...   (KEY defaults to the name's prefix)
For each suspect and each score variant prints z = sqrt(n) corr(residualised score, key cosine), the
standard deviation of z over 300 random data-shaped keys, z standardised by them and its normal tail.
  A: log-odds of the target minus the teacher's, residualised on [1, teacher class, teacher log-probs]
  E: log-probability of the target, residualised on [1, teacher class, teacher log-probs, own others]
  I: as E with the suspect's other log-probabilities centred (what WatermarkDetector does)
"""
import os
os.environ.setdefault('OMP_NUM_THREADS', '1')
import math, sys
import numpy as np
from math import erfc
from common import *

Xt = images('t10k-images-idx3-ubyte.gz'); BF = logsoftmax(rd('teacher.test').astype(np.float64))
K = 300; n = 10000
lo = lambda l: l - np.log1p(-np.minimum(np.exp(l), 1 - 1e-7))
cl = lambda L: np.maximum(L, np.log(1e-7))

def null_cos(k):
    r = np.random.default_rng(7)
    P = Xt @ ((Xt - Xt.mean(0)).T @ r.standard_normal((n, K))); P /= P.std(0)
    return np.cos(2 * np.pi * k['f'] * k['scale'] * P + r.uniform(0, 2 * np.pi, K))

def run(L, k, C, variant):
    b = BF; t = k['t']
    CC = np.concatenate([np.cos(2 * np.pi * k['f'] * (Xt @ k['v']) + k['phi'])[:, None], C], 1)
    one = np.ones((n, 1)); oh = np.eye(10)[b.argmax(1)]; others = np.delete(cl(L), t, 1)
    if variant == 'A': y = lo(L[:, t]) - lo(b[:, t]); h = [one, oh, cl(b)]
    if variant == 'E': y = cl(L)[:, t]; h = [one, oh, cl(b), others]
    if variant == 'I': y = cl(L)[:, t]; h = [one, oh, cl(b), others - others.mean(1, keepdims=True)]
    q, _ = np.linalg.qr(np.concatenate(h, 1)); y = y - q @ (q.T @ y); CC = CC - q @ (q.T @ CC)
    z = (y @ CC) / np.sqrt((y @ y) * (CC * CC).sum(0)) * math.sqrt(n); z0, zs = z[0], z[1:]
    zz = (z0 - zs.mean()) / zs.std()
    return z0, zs.std(), zz, 0.5 * erfc(zz / math.sqrt(2))

for name in sys.argv[1:]:
    kn = os.environ.get('KEY') or name.split('_')[1]
    a = np.load('key_' + kn + '.npy'); k = dict(v=a[:784], f=a[784], phi=a[785], t=int(a[786]), scale=a[787])
    L = logsoftmax(rd(name + '.test').astype(np.float64)); C = null_cos(k)
    for v in 'AEI':
        print('%-18s key %-6s %s z=%6.2f null sd=%5.2f standardised=%6.2f tail p=%8.2g' % ((name, kn, v) + run(L, k, C, v)))
