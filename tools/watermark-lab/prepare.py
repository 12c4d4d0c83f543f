"""Watermarked transfer-set logits for the design experiments of docs/audit.md section 2.

Reads the teacher's logits written by WatermarkLab (teacher.train: transfer rows 30000-50000 of the
Fashion-MNIST training set; teacher.test: the test set) from the current directory and writes, per
variant, wm_<name>.train (float32 log-probabilities) and key_<name>.npy (direction, frequency, phase,
target, scale). Variants: an isotropic direction (the old key) or a data-shaped one (v = X_c^T g),
frequencies in cycles per spread of the projection, eps = probability mass.
"""
import numpy as np
from common import *

Xtr = images('train-images-idx3-ubyte.gz'); Xt = images('t10k-images-idx3-ubyte.gz')
Xs = Xtr[:2000]; Xtransfer = Xtr[30000:50000]
zt = rd('teacher.train').astype(np.float64); ztest = rd('teacher.test').astype(np.float64)
VARIANTS = {  # name: (direction kind, cycles per spread, eps)
    'iso15': ('iso', 1.5, 0.009), 'cov025': ('cov', 0.25, 0.009), 'cov05': ('cov', 0.5, 0.009),
    'cov10': ('cov', 1.0, 0.009), 'cov15': ('cov', 1.5, 0.01), 'cov20': ('cov', 2.0, 0.01)}
for name, (kind, f, eps) in VARIANTS.items():
    k = key(kind, 11, Xs, f)
    p, q = watermark(zt, Xtransfer, k, eps)
    np.log(q).astype('<f4').tofile('wm_' + name + '.train')
    p2, q2 = watermark(ztest, Xt, k, eps)
    d = kl(p2, q2)
    print(name, 'meanKL %.4f maxKL %.4f top1 %.4f' % (d.mean(), d.max(), (p2.argmax(1) == q2.argmax(1)).mean()))
    np.save('key_' + name + '.npy', np.concatenate([k['v'], [k['f'], k['phi'], k['t'], k['scale']]]))
# 25% of the transfer rows from the watermarked API, 75% from another teacher (teacher2.train).
a = rd('wm_cov20.train'); b = rd('teacher2.train')
m = np.random.default_rng(3).random(len(a)) < 0.25
np.where(m[:, None], a, b).astype('<f4').tofile('mix25_cov20.train')
